import { Command, CommanderError } from 'commander';
import { type CliContext, defaultContext } from './cli-context.js';
import { registerDeploy } from './commands/deploy-command.js';
import { registerDev } from './commands/dev-command.js';
import { registerDestroy } from './commands/destroy-command.js';
import { registerInit } from './commands/init-command.js';
import { registerLogs } from './commands/logs-command.js';
import { registerStatus } from './commands/status-command.js';
import { registerSynth } from './commands/synth-command.js';
import { registerVerify } from './commands/verify-command.js';
import { CLI_ERRORS, CliError } from './errors.js';

export const CLI_VERSION = '0.1.0';

/** The `mcp-fargate` program; `context` is what its commands read and write. */
export function createProgram(context: CliContext): Command {
  const program = new Command('mcp-fargate')
    .description('Run an MCP server as a production service on AWS ECS Fargate behind an Application Load Balancer.')
    .version(CLI_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => context.out.write(text), writeErr: (text) => context.err.write(text) })
    .addHelpText(
      'after',
      `
The seed's flow, as commands:
  $ mcp-fargate init                       # writes mcp-fargate.config.json and a Dockerfile for this project
  $ mcp-fargate dev                        # the gateway locally, as it runs in the container
  $ mcp-fargate deploy                     # build, push, deploy pinned by digest, print the URL, verify it
  $ mcp-fargate verify https://mcp.example.com/mcp
  $ mcp-fargate status / logs --follow / destroy`,
    );
  registerInit(program, context);
  registerDev(program, context);
  registerSynth(program, context);
  registerDeploy(program, context);
  registerVerify(program, context);
  registerLogs(program, context);
  registerStatus(program, context);
  registerDestroy(program, context);
  // Every subcommand reports usage errors the same way, without exiting the process itself.
  for (const command of program.commands) command.exitOverride().showHelpAfterError('(run with --help for usage)');
  return program;
}

/**
 * Runs the CLI and returns the exit code. A user's mistake (CliError, a usage error) is one message naming the problem
 * and the fix; anything else is reported with its name and message, its stack only with MCP_FARGATE_DEBUG=1.
 */
export async function runCli(argv: readonly string[], context: CliContext = defaultContext()): Promise<number> {
  const program = createProgram(context);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are exit 0; commander has already printed usage problems.
      return error.exitCode === 0 ? 0 : CLI_ERRORS.MCPF_CLI_USAGE.exitCode;
    }
    if (error instanceof CliError) {
      context.err.write(`mcp-fargate: ${error.message}\n`);
      return error.exitCode;
    }
    const err = error as Error;
    context.err.write(`mcp-fargate: ${err.name}: ${err.message}\n`);
    if (context.env.MCP_FARGATE_DEBUG === '1') context.err.write(`${err.stack ?? ''}\n`);
    return 1;
  }
}

import type { Command } from 'commander';
import { CliError } from '../errors.js';
import type { CliContext } from '../cli-context.js';
import { renderReport } from '../verify/report.js';
import { VERIFY_DEFAULTS, verify, type VerifyOptions } from '../verify/verify.js';
import { parseHeader, positiveNumber } from './option-parsers.js';

export function registerVerify(program: Command, context: CliContext): void {
  program
    .command('verify')
    .description('probe a deployed (or local) MCP URL and print a checklist; exits 1 when a required check fails')
    .argument('<url>', 'the MCP URL, e.g. https://mcp.example.com/mcp')
    .option('--json', 'print the report as JSON')
    .option('--idle-seconds <s>', 'hold an SSE stream idle this long: above the load balancer idle timeout', positiveNumber, VERIFY_DEFAULTS.idleSeconds)
    .option(
      '--keep-alive-seconds <s>',
      'hold a keep-alive connection idle this long: below the load balancer idle timeout',
      positiveNumber,
      VERIFY_DEFAULTS.keepAliveSeconds,
    )
    .option('--expect-auth', 'require a request without the --header credentials to get 401')
    .option('--header <K:V>', 'a header on every request (repeatable), e.g. "X-Api-Key: ..."', parseHeader, {})
    .option('--call <tool>', 'also call this tool once (never by default: tools can have side effects)')
    .option('--args <json>', 'arguments for --call, a JSON object', '{}')
    .addHelpText(
      'after',
      `
Examples:
  $ mcp-fargate verify https://mcp.example.com/mcp
  $ mcp-fargate verify https://mcp.example.com/mcp --expect-auth --header "X-Api-Key: $KEY"
  $ mcp-fargate verify http://127.0.0.1:8080/mcp --idle-seconds 30 --keep-alive-seconds 5 --json
  $ mcp-fargate verify https://mcp.example.com/mcp --call echo --args '{"message":"hi"}'`,
    )
    .action(async (url: string, flags: VerifyFlags) => {
      const report = await verify(checkedUrl(url), verifyOptions(flags));
      context.out.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
      if (!report.ok) {
        const unreachable = report.checks.some((c) => c.status === 'skip' && c.detail.includes('unreachable'));
        throw new CliError(
          unreachable ? 'MCPF_CLI_UNREACHABLE' : 'MCPF_CLI_VERIFY_FAILED',
          unreachable ? `${url} is unreachable (see the first line above)` : 'a required check failed (see the fix under it)',
        );
      }
    });
}

export interface VerifyFlags {
  readonly json?: boolean;
  readonly idleSeconds: number;
  readonly keepAliveSeconds: number;
  readonly expectAuth?: boolean;
  readonly header: Record<string, string>;
  readonly call?: string;
  readonly args: string;
}

export function verifyOptions(flags: Omit<VerifyFlags, 'json'>): VerifyOptions {
  let call: VerifyOptions['call'];
  if (flags.call !== undefined) {
    let args: unknown;
    try {
      args = JSON.parse(flags.args);
    } catch {
      throw new CliError('MCPF_CLI_USAGE', `--args must be a JSON object, got ${flags.args}; e.g. --args '{"message":"hi"}'`);
    }
    if (typeof args !== 'object' || args === null || Array.isArray(args)) {
      throw new CliError('MCPF_CLI_USAGE', `--args must be a JSON object, got ${flags.args}`);
    }
    call = { tool: flags.call, args: args as Record<string, unknown> };
  } else if (flags.args !== '{}') {
    throw new CliError('MCPF_CLI_USAGE', '--args goes with --call TOOL');
  }
  return {
    headers: flags.header,
    expectAuth: flags.expectAuth ?? false,
    idleSeconds: flags.idleSeconds,
    keepAliveSeconds: flags.keepAliveSeconds,
    ...(call === undefined ? {} : { call }),
  };
}

function checkedUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError('MCPF_CLI_USAGE', `"${url}" is not a URL; give the MCP URL, e.g. https://mcp.example.com/mcp`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CliError('MCPF_CLI_USAGE', `"${url}" must be an http:// or https:// URL`);
  }
  return parsed.href;
}

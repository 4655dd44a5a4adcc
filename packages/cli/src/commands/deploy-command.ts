import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { deploy } from '../deploy/deploy.js';
import { DEFAULT_CONFIG_FILE } from '../project-config.js';
import { VERIFY_DEFAULTS } from '../verify/verify.js';
import { parseHeader, positiveNumber } from './option-parsers.js';
import { verifyOptions } from './verify-command.js';

export function registerDeploy(program: Command, context: CliContext): void {
  program
    .command('deploy')
    .description('check prerequisites, build and push the image, deploy the stack pinned by digest, print the URL and verify it')
    .option('-c, --config <file>', 'the deployment config', DEFAULT_CONFIG_FILE)
    .option('--dry-run', 'print every step (with the docker commands) without doing it; touches neither AWS nor docker')
    .option('--no-verify', 'do not run verify on the deployed URL')
    .option('--idle-seconds <s>', 'verify: hold an SSE stream idle this long', positiveNumber, VERIFY_DEFAULTS.idleSeconds)
    .option('--keep-alive-seconds <s>', 'verify: hold a keep-alive connection idle this long', positiveNumber, VERIFY_DEFAULTS.keepAliveSeconds)
    .option('--expect-auth', 'verify: require 401 without the --header credentials')
    .option('--header <K:V>', 'verify: a header on every request (repeatable)', parseHeader, {})
    .addHelpText(
      'after',
      `
Needs docker with buildx, AWS credentials (aws configure / aws sso login), and the account bootstrapped once
(npx cdk bootstrap aws://ACCOUNT/REGION); each one missing is named with its fix before anything is built.

Examples:
  $ mcp-fargate deploy --dry-run
  $ mcp-fargate deploy
  $ mcp-fargate deploy --config examples/mcp-fargate.config.json --header "X-Api-Key: $KEY" --expect-auth
  $ AWS_PROFILE=prod mcp-fargate deploy --no-verify`,
    )
    .action(async (flags: DeployFlags) => {
      await deploy(context, {
        configPath: resolve(context.cwd, flags.config),
        dryRun: flags.dryRun ?? false,
        verify: flags.verify ? verifyOptions({ ...flags, args: '{}' }) : undefined,
      });
    });
}

interface DeployFlags {
  readonly config: string;
  readonly dryRun?: boolean;
  readonly verify: boolean;
  readonly idleSeconds: number;
  readonly keepAliveSeconds: number;
  readonly expectAuth?: boolean;
  readonly header: Record<string, string>;
}

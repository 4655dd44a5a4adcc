/**
 * Every error the CLI reports, in one table: a stable code (never reused once retired), the exit code, and what it
 * means. A user's mistake (a bad flag, a missing file, a missing prerequisite) is printed as its message, which names
 * the problem and the fix, never as a stack trace. Exit codes: 1 a check or an AWS step failed, 2 bad usage or input,
 * 3 a prerequisite is missing.
 */
export const CLI_ERRORS = {
  MCPF_CLI_USAGE: { exitCode: 2, meaning: 'a command was called with a missing or malformed argument' },
  MCPF_CLI_CONFIG_NOT_FOUND: { exitCode: 2, meaning: 'the deployment config file does not exist' },
  MCPF_CLI_CONFIG_INVALID: { exitCode: 2, meaning: 'the deployment config file is not valid' },
  MCPF_CLI_FILE_EXISTS: { exitCode: 2, meaning: 'init would overwrite a file; --force allows it' },
  MCPF_CLI_PROJECT_UNKNOWN: { exitCode: 2, meaning: 'init cannot tell what kind of MCP server the directory holds' },
  MCPF_CLI_PREREQUISITE_MISSING: { exitCode: 3, meaning: 'docker, buildx, AWS credentials, a region or the CDK bootstrap is missing' },
  MCPF_CLI_DOCKER_FAILED: { exitCode: 1, meaning: 'a docker build, login or push failed' },
  MCPF_CLI_IMAGE_NOT_FOUND: { exitCode: 1, meaning: 'the pushed image (or its digest) is not in the ECR repository' },
  MCPF_CLI_STACK_NOT_FOUND: { exitCode: 1, meaning: 'the stack is not deployed in this account and region' },
  MCPF_CLI_STACK_FAILED: { exitCode: 1, meaning: 'synthesizing or deploying a stack failed' },
  MCPF_CLI_DESTROY_NOT_CONFIRMED: { exitCode: 1, meaning: 'destroy was not confirmed' },
  MCPF_CLI_VERIFY_FAILED: { exitCode: 1, meaning: 'a required verify check failed' },
  MCPF_CLI_UNREACHABLE: { exitCode: 1, meaning: 'the URL could not be reached at all' },
  MCPF_CLI_GATEWAY_EXITED: { exitCode: 1, meaning: 'the local gateway (dev) exited' },
} as const satisfies Record<string, { exitCode: 1 | 2 | 3; meaning: string }>;

export type CliErrorCode = keyof typeof CLI_ERRORS;

/** A problem the user can fix; the message says what went wrong and how to fix it. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;

  constructor(
    readonly code: CliErrorCode,
    message: string,
  ) {
    super(message);
    this.exitCode = CLI_ERRORS[code].exitCode;
  }
}

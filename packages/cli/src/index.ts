// The public API of @mcp-fargate/cli. Any export added here becomes public API: named exports only.
export { CLI_ERRORS, CliError } from './errors.js';
export type { CliErrorCode } from './errors.js';
export { createProgram, runCli, CLI_VERSION } from './program.js';
export type { CliContext, Output } from './cli-context.js';
export { defaultContext } from './cli-context.js';
export { verify, VERIFY_DEFAULTS } from './verify/verify.js';
export type { VerifyOptions } from './verify/verify.js';
export type { CheckResult, VerifyReport } from './verify/report.js';
export { renderReport } from './verify/report.js';
export type { StackDeployer, AssemblySource, AssemblyBuild } from './deploy/stack-deployer.js';

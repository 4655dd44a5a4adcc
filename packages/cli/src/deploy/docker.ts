import { spawn } from 'node:child_process';

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** How the CLI runs docker (and git): a child process found on PATH. */
export type CommandRunner = (command: string, args: readonly string[], options?: { cwd?: string; input?: string }) => Promise<CommandResult>;

/** Output kept per stream: a build log can be megabytes, and only its end explains a failure. */
const KEEP_OUTPUT_CHARS = 64 * 1024;

/** Runs commands found on the PATH of `env` (tests put a recording docker first on it). */
export const commandRunner =
  (env: NodeJS.ProcessEnv = process.env): CommandRunner =>
  (command, args, options = {}) =>
    new Promise((resolve) => {
      const child = spawn(command, args, { cwd: options.cwd, env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      const keep = (text: string, chunk: Buffer) => (text + chunk.toString('utf8')).slice(-KEEP_OUTPUT_CHARS);
      child.stdout?.on('data', (chunk: Buffer) => (stdout = keep(stdout, chunk)));
      child.stderr?.on('data', (chunk: Buffer) => (stderr = keep(stderr, chunk)));
      // A missing executable is an answer (code null, ENOENT in stderr), not an exception: prerequisites report it.
      child.on('error', (error) => resolve({ code: null, stdout, stderr: `${stderr}${error.message}` }));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      if (child.stdin !== null) {
        // A child that exits before reading its input (a failed login) makes the write fail with EPIPE; its exit code
        // and stderr say what went wrong.
        child.stdin.on('error', () => undefined);
        child.stdin.end(options.input);
      }
    });

/** The last lines of a failed command's output, which is where docker says why. */
export function tail(result: CommandResult, lines = 15): string {
  const text = `${result.stdout}\n${result.stderr}`.trim().split('\n');
  return text.slice(-lines).join('\n');
}

/** The digest docker prints after a push (`<tag>: digest: sha256:… size: …`). */
export function pushedDigest(output: string): string | undefined {
  return /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1];
}

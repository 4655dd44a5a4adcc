import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { Logger } from '../logger.js';
import type { InboundMessage, OutboundMessage } from '../protocol/json-rpc.js';
import { type ConnectionEvents, type Era, type HostedConnection, type HostedServer, HostedServerError } from './hosted-server.js';

export interface StdioServerOptions {
  /** The hosted server's name, for logs. */
  readonly name: string;
  readonly argv: readonly string[];
  readonly cwd: string | undefined;
  /** The child's whole environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Time from closing a child's stdin to SIGKILL (SIGTERM comes in between). */
  readonly stopGraceMs: number;
  /** The longest line the child may write; longer is garbage. */
  readonly maxLineBytes: number;
  readonly logger: Logger;
}

/** Children that fail within {@link FAILURE_WINDOW_MS} before `/healthz` reports the server as failing. */
const FAILURES_FOR_PROBLEM = 3;
const FAILURE_WINDOW_MS = 60_000;
/** How long a child has to exit on its own once its stdin is closed, before SIGTERM. */
const STDIN_GRACE_MS = 1000;
/** Bytes the child may leave unread on its stdin before it is taken for hung. */
const MAX_UNREAD_STDIN_BYTES = 16 * 1024 * 1024;
/** Characters of a garbage line or a stderr line that reach the log. */
const LOGGED_LINE_CHARS = 2000;

/**
 * A stdio MCP server in any language: one child process per connection, so a
 * legacy session never shares a process with another (one client never sees
 * another's state). Children speak newline-delimited JSON-RPC on stdin and
 * stdout; their stderr goes to the log line by line with their pid and the
 * session's log id. A child that exits, crashes, hangs or writes anything but
 * JSON-RPC to stdout ends its connection: the gateway answers its requests in
 * progress with an error naming what happened, and the next request gets a
 * fresh child.
 */
export class StdioServer implements HostedServer {
  /** Stdio servers speak the 2025 era; 2026-07-28 requests reach them through a pool of legacy connections. */
  readonly eras: ReadonlySet<Era> = new Set(['legacy']);
  readonly description: string;
  private readonly children = new Set<StdioConnection>();
  /** When children recently failed (could not start, crashed, hung, broke the protocol), newest last. */
  private readonly failures: { at: number; reason: string }[] = [];

  constructor(private readonly options: StdioServerOptions) {
    // Arguments can carry secrets (`--token=…`): the description names the program only.
    this.description = `stdio command ${options.argv[0] ?? ''}`;
  }

  /** Refuses a command that does not exist, at start, naming it. */
  check(): void {
    const [command] = this.options.argv;
    if (command === undefined || findExecutable(command, this.options.env['PATH'] ?? '', this.options.cwd) === undefined) {
      throw new HostedServerError(
        `the stdio server's command ${JSON.stringify(command)} was not found${command?.includes('/') === true ? '' : ' on the PATH'} (or is not executable): install it in the image or fix MCP_SERVER_COMMAND`,
      );
    }
  }

  get liveChildren(): number {
    return this.children.size;
  }

  async connect(_era: Era, events: ConnectionEvents, tag?: string): Promise<HostedConnection> {
    const failed = (reason: string): void => {
      this.failures.push({ at: Date.now(), reason });
      if (this.failures.length > FAILURES_FOR_PROBLEM) this.failures.shift();
    };
    try {
      const closed = (reason: string): void => {
        failed(reason);
        events.closed(reason);
      };
      const connection = await StdioConnection.start(this.options, { ...events, closed }, tag, () => this.children.delete(connection));
      this.children.add(connection);
      return connection;
    } catch (error) {
      failed((error as Error).message);
      throw error;
    }
  }

  /** Failing while children keep failing: FAILURES_FOR_PROBLEM of them within FAILURE_WINDOW_MS. */
  problem(): string | undefined {
    const recent = this.failures.filter((failure) => failure.at > Date.now() - FAILURE_WINDOW_MS);
    return recent.length >= FAILURES_FOR_PROBLEM ? `${recent.length} children failed in the last minute; last: ${recent.at(-1)?.reason}` : undefined;
  }

  /** Stops every child: stdin closed, SIGTERM, then SIGKILL after the grace period. */
  async close(): Promise<void> {
    await Promise.all([...this.children].map((child) => child.close()));
  }
}

class StdioConnection implements HostedConnection {
  readonly relates = false;
  private ended = false;
  private lastOutputAt = Date.now();
  private stdoutBuffer = '';
  private stderrBuffer = '';
  private exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly options: StdioServerOptions,
    private readonly events: ConnectionEvents,
    private readonly tag: string | undefined,
    private readonly forget: () => void,
  ) {
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
  }

  static async start(options: StdioServerOptions, events: ConnectionEvents, tag: string | undefined, forget: () => void): Promise<StdioConnection> {
    const [command, ...args] = options.argv as [string, ...string[]];
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const connection = new StdioConnection(child, options, events, tag, forget);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (error) => reject(new Error(`the stdio server ${command} could not start: ${error.message}`)));
    });
    connection.wire();
    options.logger.info({ pid: child.pid, session: tag }, 'stdio server started');
    return connection;
  }

  get closed(): boolean {
    return this.ended;
  }

  send(message: InboundMessage): void {
    if (this.ended) return;
    if (this.child.stdin.writableLength > MAX_UNREAD_STDIN_BYTES) {
      this.fail(`stopped reading its stdin (${MAX_UNREAD_STDIN_BYTES} bytes unread)`);
      return;
    }
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  stalled(sentAt: number): void {
    if (this.lastOutputAt <= sentAt) this.fail('stopped answering (no output since a request that has now timed out)');
  }

  /** Closes stdin (a well-behaved server exits on it), then SIGTERM, then SIGKILL; resolves when the child is gone. */
  async close(): Promise<void> {
    this.ended = true;
    this.forget();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin.end();
    // Closing stdin is the polite stop (the MCP stdio binding); SIGTERM follows soon, SIGKILL at the end of the grace.
    const grace = this.options.stopGraceMs;
    const sigterm = setTimeout(() => this.child.kill('SIGTERM'), Math.min(STDIN_GRACE_MS, grace / 2));
    const sigkill = setTimeout(() => this.child.kill('SIGKILL'), grace);
    await this.exited;
    clearTimeout(sigterm);
    clearTimeout(sigkill);
  }

  private wire(): void {
    const { child, options } = this;
    child.stdin.on('error', () => undefined);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.stdout(chunk));
    child.stderr.on('data', (chunk: string) => this.stderr(chunk));
    child.once('exit', (code, signal) => {
      this.stderr('\n');
      const how = signal === null ? `exited with code ${code}` : `was stopped by ${signal}`;
      options.logger.info({ pid: child.pid, session: this.tag, code, signal }, `stdio server ${how}`);
      this.end(`the stdio server ${how}`);
    });
  }

  private stdout(chunk: string): void {
    this.lastOutputAt = Date.now();
    this.stdoutBuffer += chunk;
    let cut = this.stdoutBuffer.indexOf('\n');
    while (cut !== -1 && !this.ended) {
      const line = this.stdoutBuffer.slice(0, cut).trim();
      this.stdoutBuffer = this.stdoutBuffer.slice(cut + 1);
      if (line !== '') this.line(line);
      cut = this.stdoutBuffer.indexOf('\n');
    }
    if (this.stdoutBuffer.length > this.options.maxLineBytes) this.fail(`wrote a line longer than ${this.options.maxLineBytes} bytes to stdout`);
  }

  private line(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      message = undefined;
    }
    const valid = message !== null && typeof message === 'object' && !Array.isArray(message) && (message as { jsonrpc?: unknown }).jsonrpc === '2.0';
    if (!valid) {
      this.fail(`wrote something that is not JSON-RPC to stdout: ${line.slice(0, LOGGED_LINE_CHARS)}`);
      return;
    }
    this.events.message(message as OutboundMessage, undefined);
  }

  private stderr(chunk: string): void {
    this.stderrBuffer += chunk;
    const lines = this.stderrBuffer.split('\n');
    this.stderrBuffer = lines.pop() ?? '';
    if (this.stderrBuffer.length > LOGGED_LINE_CHARS) {
      lines.push(this.stderrBuffer);
      this.stderrBuffer = '';
    }
    for (const line of lines) {
      if (line.trim() === '') continue;
      this.options.logger.info({ pid: this.child.pid, session: this.tag, stderr: line.slice(0, LOGGED_LINE_CHARS) }, 'stdio server stderr');
    }
  }

  /** The child broke the protocol or stopped working: it is stopped, and its connection ends with the reason. */
  private fail(reason: string): void {
    this.options.logger.warn({ pid: this.child.pid, session: this.tag }, `stdio server ${reason}`);
    this.end(`the stdio server ${reason}`);
    void this.close();
  }

  private end(reason: string): void {
    const wasOpen = !this.ended;
    this.ended = true;
    this.forget();
    // Reported once, and only for an end the gateway did not ask for.
    if (wasOpen || this.child.exitCode === null) this.events.closed(reason);
  }
}

/** The executable `command` names: a path (relative to `cwd`), or a name found on `PATH`. */
function findExecutable(command: string, path: string, cwd: string | undefined): string | undefined {
  const executable = (file: string): boolean => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (command.includes('/')) {
    const file = isAbsolute(command) ? command : resolve(cwd ?? '.', command);
    return executable(file) ? file : undefined;
  }
  for (const dir of path.split(delimiter)) {
    if (dir !== '' && executable(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

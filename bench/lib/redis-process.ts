// A real redis-server for the store figure, on 127.0.0.1 and a free port, in a temp dir, nothing persisted. A tiny
// RESP client of its own (PING, INFO, ECHO, MONITOR) keeps the benchmark free of a Redis client dependency.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pinningAvailable, SERVER_CORE } from './core-pinning.js';
import { freePort } from './free-port.js';
import { procAvailable, type TreeUsage, treeUsage } from './process-tree.js';

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** One connection that sends inline commands and reads RESP replies (simple strings, errors, integers, bulk strings). */
class RespConnection {
  private buffer = '';
  private waiting: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      this.buffer += chunk;
      this.waiting?.();
    });
  }

  static async open(port: number, timeoutMs: number): Promise<RespConnection> {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    await Promise.race([
      once(socket, 'connect'),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no connection to redis on ${port} within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]).catch((error: unknown) => {
      socket.destroy();
      throw error;
    });
    return new RespConnection(socket);
  }

  /** Waits (bounded) until `parse` finds something in the buffer. */
  async read<T>(parse: (buffer: string) => { value: T; rest: string } | undefined, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = parse(this.buffer);
      if (parsed !== undefined) {
        this.buffer = parsed.rest;
        return parsed.value;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.socket.destroyed) throw new Error('redis did not answer');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiting = undefined;
    }
  }

  async command(...args: string[]): Promise<string> {
    this.socket.write(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`);
    return this.read(parseReply);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** One RESP reply off the front of `buffer` (utf8 text: bulk lengths are bytes, so they are counted as bytes). */
function parseReply(buffer: string): { value: string; rest: string } | undefined {
  const end = buffer.indexOf('\r\n');
  if (end < 0) return undefined;
  const kind = buffer[0];
  const head = buffer.slice(1, end);
  if (kind === '-') throw new Error(`redis: ${head}`);
  if (kind === '+' || kind === ':') return { value: head, rest: buffer.slice(end + 2) };
  if (kind !== '$') throw new Error(`redis: unexpected reply ${buffer.slice(0, 40)}`);
  const length = Number(head);
  if (length < 0) return { value: '', rest: buffer.slice(end + 2) };
  const body = Buffer.from(buffer.slice(end + 2), 'utf8');
  if (body.length < length + 2) return undefined;
  return { value: body.subarray(0, length).toString('utf8'), rest: body.subarray(length + 2).toString('utf8') };
}

/** What clients sent while a MONITOR watch ran, by command name. */
export interface CommandsSent {
  total: number;
  byCommand: Record<string, number>;
}

export class RedisProcess {
  private exited = false;
  private readonly exitPromise: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly dir: string,
  ) {
    // 'error' alone (a spawn that failed) ends the process too: events.once would reject on it.
    this.exitPromise = new Promise((resolve) => {
      const done = (): void => {
        this.exited = true;
        resolve();
      };
      child.once('exit', done);
      child.once('error', done);
    });
  }

  /** What the gateway's REDIS_URL is set to. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * Pinned to the server core beside the gateway. On Fargate the store is another machine and only its client's cost
   * lands on the task, but the load core is nearly saturated by the load generator, and a store there would cap the load
   * instead of the server: on the server core the store's own CPU is charged to the gateway, which makes the redis row
   * a lower bound (the figure reports the store's CPU beside it).
   */
  static async start(timeoutMs = 10_000): Promise<RedisProcess> {
    if (!onPath('redis-server')) throw new Error('redis-server is not installed (Debian: apt-get install redis-server)');
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'bench-redis-'));
    const argv = ['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--loglevel', 'warning'];
    const [command, ...args] = pinningAvailable() ? ['taskset', '-c', String(SERVER_CORE), ...argv] : argv;
    const child = spawn(command as string, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 8000) stderr += chunk;
    });
    const redis = new RedisProcess(child, port, dir);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (redis.exited) {
        await rm(dir, { recursive: true, force: true });
        throw new Error(`redis-server exited: ${stderr.trim().slice(0, 300) || 'no output'}`);
      }
      try {
        if ((await redis.command('PING')) === 'PONG') return redis;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) {
        await redis.stop();
        throw new Error(`redis-server did not answer PING within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** CPU of the server process from /proc, so a load run can tell it from interference. */
  tree(): TreeUsage | undefined {
    if (this.exited || this.child.pid === undefined || !procAvailable()) return undefined;
    const usage = treeUsage(this.child.pid);
    return usage.processes === 0 ? undefined : usage;
  }

  /** One command on a fresh connection (the figure sends few; a connection of its own keeps replies apart). */
  async command(...args: string[]): Promise<string> {
    const connection = await RespConnection.open(this.port, 2000);
    try {
      return await connection.command(...args);
    } finally {
      connection.close();
    }
  }

  /**
   * Watches what clients send (MONITOR) until `stop()`. A Lua script counts once, as the EVAL/EVALSHA its client sent:
   * the commands it runs inside (MONITOR's `[0 lua]` lines) are not round trips. The watch ends at an ECHO of a marker
   * of its own, since MONITOR prints a command as it runs: everything before the marker has been printed.
   */
  async monitor(): Promise<{ stop(): Promise<CommandsSent> }> {
    const connection = await RespConnection.open(this.port, 2000);
    const firstLine = (buffer: string): { value: string; rest: string } | undefined => {
      const end = buffer.indexOf('\r\n');
      return end < 0 ? undefined : { value: buffer.slice(0, end), rest: buffer.slice(end + 2) };
    };
    try {
      if ((await connection.command('MONITOR')) !== 'OK') throw new Error('MONITOR was refused');
    } catch (error) {
      connection.close();
      throw error;
    }
    return {
      stop: async () => {
        const marker = `bench-end-of-watch-${process.pid}-${Date.now()}`;
        await this.command('ECHO', marker);
        const byCommand: Record<string, number> = {};
        let total = 0;
        try {
          // Bounded: read() times out when the server stops printing; the marker ends a normal watch.
          for (;;) {
            const line = await connection.read(firstLine);
            if (line.includes(marker)) break;
            const match = /^\+[\d.]+ \[\d+ ([^\]]+)\] "([^"]+)"/.exec(line);
            if (match === null || match[1] === 'lua') continue;
            const name = (match[2] as string).toLowerCase();
            byCommand[name] = (byCommand[name] ?? 0) + 1;
            total += 1;
          }
        } finally {
          connection.close();
        }
        return { total, byCommand };
      },
    };
  }

  async stop(graceMs = 3000): Promise<void> {
    if (!this.exited) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exitPromise;
      clearTimeout(timer);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

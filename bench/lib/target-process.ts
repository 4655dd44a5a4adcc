// Runner-side handle on a target process: spawns bench/dist/targets/<name>.js pinned to the server
// core with an IPC channel, waits for its port, asks it for heap figures, stops it.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pinnedNode, SERVER_CORE } from './core-pinning.js';
import { procAvailable, type TreeUsage, treeUsage } from './process-tree.js';
import type { HeapMessage, RunnerMessage, TargetMessage } from './target-ipc.js';

export interface TargetStartOptions {
  /** Extra environment for the child (merged over the runner's). */
  env?: Record<string, string>;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  startTimeoutMs?: number;
}

export class TargetStartError extends Error {
  override name = 'TargetStartError';
}

export function targetScript(name: string): string {
  return fileURLToPath(new URL(`../targets/${name}.js`, import.meta.url));
}

/** The most telling line of a failed child's stderr (the first error line, else the last line). */
function reasonFrom(stderr: string, fallback: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const errorLine = lines.find((line) => /error|cannot|not found/i.test(line) && !line.startsWith('at '));
  return (errorLine ?? lines.at(-1) ?? fallback).slice(0, 300);
}

export class TargetProcess {
  private stderr = '';
  private exited = false;
  private readonly exitPromise: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    public port = 0,
  ) {
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', () => {
        this.exited = true;
        resolve();
      });
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      if (this.stderr.length < 64_000) this.stderr += chunk;
    });
    // Stdout is drained (targets should be quiet; a chatty target must not block on a full pipe).
    child.stdout?.resume();
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get mcpUrl(): string {
    return `${this.origin}/mcp`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(name: string, options: TargetStartOptions = {}): Promise<TargetProcess> {
    const script = targetScript(name);
    if (!existsSync(script)) {
      throw new TargetStartError(`bench/dist/targets/${name}.js was not built (see the tsc output)`);
    }
    const { command, args } = pinnedNode(SERVER_CORE, ['--expose-gc', ...(options.nodeArgs ?? []), script]);
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const target = new TargetProcess(name, child);
    const timeoutMs = options.startTimeoutMs ?? 20_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        child.kill('SIGKILL');
        reject(new TargetStartError(`no ready message within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (raw: unknown): void => {
        const message = raw as TargetMessage;
        if (message.type === 'ready') {
          target.port = message.port;
          cleanup();
          resolve();
        } else if (message.type === 'failed') {
          cleanup();
          reject(new TargetStartError(message.reason));
        }
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        cleanup();
        // Give the stderr pipe a moment to deliver the last chunk.
        setTimeout(() => reject(new TargetStartError(reasonFrom(target.stderr, `exited (code ${code}, signal ${signal})`))), 50);
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
    });
    return target;
  }

  /** Heap and RSS of the target after a full GC inside it. */
  async heap(timeoutMs = 30_000): Promise<{ heapUsed: number; rss: number }> {
    if (this.exited) throw new Error(`${this.name} has exited`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.off('message', onMessage);
        reject(new Error(`${this.name}: no heap answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (raw: unknown): void => {
        const message = raw as TargetMessage;
        if (message.type !== 'heap') return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        const { heapUsed, rss } = message satisfies HeapMessage;
        resolve({ heapUsed, rss });
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'heap' } satisfies RunnerMessage);
    });
  }

  /** CPU time (user + system) the target has used so far, in milliseconds. */
  async cpuMs(timeoutMs = 10_000): Promise<number> {
    if (this.exited) throw new Error(`${this.name} has exited`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.off('message', onMessage);
        reject(new Error(`${this.name}: no cpu answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (raw: unknown): void => {
        const message = raw as TargetMessage;
        if (message.type !== 'cpu') return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(message.micros / 1000);
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'cpu' } satisfies RunnerMessage);
    });
  }

  /**
   * CPU and memory of the target process and its descendants (stdio children, a wrapped CLI and its children), from
   * /proc; undefined where there is no /proc or the target has exited. `withPss` also sums proportional set sizes.
   */
  tree(withPss = false): TreeUsage | undefined {
    if (this.exited || this.child.pid === undefined || !procAvailable()) return undefined;
    const usage = treeUsage(this.child.pid, withPss);
    return usage.processes === 0 ? undefined : usage;
  }

  /** Ask the target to close and exit (so --cpu-prof profiles get written); SIGKILL after a grace period. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.exited) return;
    try {
      this.child.send({ type: 'stop' } satisfies RunnerMessage);
    } catch {
      // The channel may already be closed; fall through to the kill.
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }
}

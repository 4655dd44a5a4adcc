// The target side for servers that are command-line programs, not TypeScript modules (supergateway, mcp-proxy,
// server-everything's own HTTP mode): the wrapper in bench/targets spawns the CLI with the runner's Node on a free
// port, reports ready once the port accepts connections, answers `cpu` with the CLI's own CPU time from /proc, and
// on stop ends the CLI and whatever it spawned. Children inherit the wrapper's core pinning.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';
import { descendants, processCpuMs } from './process-tree.js';
import type { StartedServer } from './target-ipc.js';

export interface CliTarget {
  /** The script to run with this Node (a package's bin). */
  script: string;
  /** The CLI's arguments for the port it should listen on. */
  args(port: number): string[];
  /**
   * Extra environment for the CLI (merged over the wrapper's).
   * @default - none
   */
  env?(port: number): Record<string, string>;
  /**
   * How long the CLI has to listen.
   * @default 20000
   */
  startTimeoutMs?: number;
}

/** Time from SIGTERM to SIGKILL when stopping the CLI. */
const STOP_GRACE_MS = 5000;

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

export async function startCli(target: CliTarget): Promise<StartedServer> {
  const port = await freePort();
  // stdout is dropped: some of these servers log a line per request to it (server-everything's HTTP mode does).
  const child = spawn(process.execPath, [target.script, ...target.args(port)], {
    env: { ...process.env, ...target.env?.(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  let exit: string | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = `exited (code ${code}, signal ${signal})`;
      resolve();
    }),
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not spawn ${target.script}`);
  const deadline = performance.now() + (target.startTimeoutMs ?? 20_000);
  while (!(await accepts(port))) {
    if (exit !== undefined) throw new Error(`${target.script} ${exit} before listening: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    if (performance.now() > deadline) {
      kill(pid, 'SIGKILL');
      throw new Error(`${target.script} did not listen on ${port} within ${target.startTimeoutMs ?? 20_000} ms`);
    }
    await sleep(25);
  }
  return {
    port,
    cpuMicros: () => processCpuMs(pid) * 1000,
    async close() {
      // Remember the CLI's children first: a CLI that dies before them must not leave them behind.
      const spawned = descendants(pid);
      kill(pid, 'SIGTERM');
      const timer = setTimeout(() => kill(pid, 'SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
      for (const orphan of spawned) kill(orphan, 'SIGKILL');
    },
  };
}

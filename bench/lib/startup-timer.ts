// Process start to first 200 from /healthz: spawn a server process (pinned to the server core) with
// PORT/HOST, poll GET /healthz every 5 ms, stop at the first 200.
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { pinnedNode, SERVER_CORE } from './core-pinning.js';
import { freePort } from './free-port.js';

const POLL_INTERVAL_MS = 5;

function healthStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', method: 'GET', agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Milliseconds from spawn to the first 200 on /healthz. */
export async function timeToHealthy(script: string, env: Record<string, string> = {}, timeoutMs = 15_000): Promise<number> {
  const port = await freePort();
  const { command, args } = pinnedNode(SERVER_CORE, [script]);
  const started = performance.now();
  const child = spawn(command, args, {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 8000) stderr += chunk;
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve();
    }),
  );
  try {
    while (performance.now() - started < timeoutMs) {
      if (exitCode !== undefined) {
        throw new Error(`exited with code ${exitCode} before /healthz answered: ${stderr.trim().split('\n')[0] ?? ''}`);
      }
      if ((await healthStatus(port)) === 200) return performance.now() - started;
      await sleep(POLL_INTERVAL_MS);
    }
    throw new Error(`no 200 from /healthz within ${timeoutMs} ms`);
  } finally {
    if (exitCode === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
  }
}

// Runner-side: run one LoadSpec in a fresh load-worker process pinned to the load core.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LOAD_CORE, pinnedNode } from './core-pinning.js';
import type { LoadResult, LoadSpec, WorkerMessage } from './load-spec.js';

const WORKER = fileURLToPath(new URL('../load-worker.js', import.meta.url));

/** Run `spec`; `onMeasuring` is called when the warm-up is over and the measured run starts. */
export function runLoad(spec: LoadSpec, onMeasuring?: () => void): Promise<LoadResult> {
  const { command, args } = pinnedNode(LOAD_CORE, [WORKER]);
  const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 16_000) stderr += chunk;
  });
  const limitMs = (spec.warmupSec + (spec.durationSec ?? 0) + spec.maxSec + 30) * 1000;
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() => reject(new Error(`load worker exceeded ${limitMs} ms`)));
    }, limitMs);
    const finish = (action: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      action();
    };
    child.on('message', (raw: unknown) => {
      const message = raw as WorkerMessage;
      if (message.type === 'measuring') {
        onMeasuring?.();
        return;
      }
      finish(() => (message.type === 'result' ? resolve(message.result) : reject(new Error(`load worker: ${message.message}`))));
    });
    child.on('exit', (code) => {
      finish(() => reject(new Error(`load worker exited (code ${code}) without a result: ${stderr.trim().slice(0, 300)}`)));
    });
    child.send(spec);
  });
}

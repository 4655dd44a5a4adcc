import type { SpawnedGateway } from './harness.js';
import { eventually } from './harness.js';

/**
 * The heap of a gateway process, read through the V8 inspector (the process
 * is started with `--inspect=127.0.0.1:0`): no test hook in the gateway.
 */
export interface HeapProbe {
  /** Bytes of live heap after a full garbage collection. */
  usedAfterGc(): Promise<number>;
  close(): void;
}

export async function heapProbe(gateway: SpawnedGateway): Promise<HeapProbe> {
  await eventually(() => /Debugger listening on (ws:\/\/\S+)/.test(gateway.output()), 'the inspector URL');
  const url = (/Debugger listening on (ws:\/\/\S+)/.exec(gateway.output()) as RegExpExecArray)[1] as string;
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error(`cannot reach the inspector at ${url}`)), { once: true });
  });
  let nextId = 1;
  const waiting = new Map<number, (result: unknown) => void>();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) waiting.get(message.id)?.(message.result);
  });
  const call = (method: string): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => reject(new Error(`the inspector did not answer ${method} within 30 s`)), 30_000);
      waiting.set(id, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      socket.send(JSON.stringify({ id, method }));
    });
  return {
    async usedAfterGc() {
      await call('HeapProfiler.collectGarbage');
      await call('HeapProfiler.collectGarbage');
      return ((await call('Runtime.getHeapUsage')) as { usedSize: number }).usedSize;
    },
    close: () => socket.close(),
  };
}

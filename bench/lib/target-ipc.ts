// The IPC contract between the runner and a target process (bench/targets/*.ts).
// A target starts its server on 127.0.0.1:0 and calls serveTarget(); the runner talks to it with
// these messages. Targets are started with --expose-gc so heap figures are taken after a full GC.

export interface ReadyMessage {
  type: 'ready';
  port: number;
}
export interface FailedMessage {
  type: 'failed';
  reason: string;
}
export interface HeapMessage {
  type: 'heap';
  heapUsed: number;
  rss: number;
}
export interface CpuMessage {
  type: 'cpu';
  /** User + system CPU of the serving process (the target, or the CLI it wraps), microseconds since it started. */
  micros: number;
}
export type TargetMessage = ReadyMessage | FailedMessage | HeapMessage | CpuMessage;

export type RunnerMessage = { type: 'heap' } | { type: 'cpu' } | { type: 'stop' };

export interface StartedServer {
  port: number;
  close(): Promise<void>;
  /**
   * CPU time of the process that serves, in microseconds, when that is not this one (a CLI under its wrapper in
   * bench/targets). Such a target's `heap` answer is still this process's: no figure asks a wrapper for its heap.
   * @default - this process's own process.cpuUsage()
   */
  cpuMicros?(): number;
}

function send(message: TargetMessage): void {
  process.send?.(message);
}

function heapAfterGc(): HeapMessage {
  // Two passes: the first may only queue finalizers (weak refs, FinalizationRegistry).
  globalThis.gc?.();
  globalThis.gc?.();
  const usage = process.memoryUsage();
  return { type: 'heap', heapUsed: usage.heapUsed, rss: usage.rss };
}

/** Start a target's server and serve the runner's IPC requests until told to stop. */
export function serveTarget(start: () => Promise<StartedServer>): void {
  if (process.send === undefined) {
    console.error('bench target: run me through bench/run.ts (needs an IPC channel)');
    process.exit(2);
  }
  start().then(
    (server) => {
      process.on('message', (raw: unknown) => {
        const message = raw as RunnerMessage;
        if (message.type === 'heap') send(heapAfterGc());
        if (message.type === 'cpu') {
          const usage = process.cpuUsage();
          send({ type: 'cpu', micros: server.cpuMicros?.() ?? usage.user + usage.system });
        }
        if (message.type === 'stop') {
          // Exit normally (not by signal) so --cpu-prof can write its profile.
          const timer = setTimeout(() => process.exit(0), 2000);
          void server.close().finally(() => {
            clearTimeout(timer);
            process.exit(0);
          });
        }
      });
      send({ type: 'ready', port: server.port });
    },
    (error: unknown) => {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      send({ type: 'failed', reason });
      setTimeout(() => process.exit(1), 50);
    },
  );
}

// The load generator process (pinned to the load core by the runner). Receives one LoadSpec over
// IPC, runs autocannon (warm-up, then the measured run), answers with a LoadResult and exits.
import autocannon, { type AutocannonOptions, type AutocannonRequest, type AutocannonResult } from 'autocannon';
import { LatencySamples } from './lib/latency-samples.js';
import type { LoadRequest, LoadResult, LoadSpec, WorkerMessage } from './lib/load-spec.js';

function headerValue(headers: Record<string, string | string[]>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

interface Counters {
  sessions: number;
}

function toAutocannon(request: LoadRequest, counters: Counters): AutocannonRequest {
  const out: AutocannonRequest = { method: request.method, path: request.path, headers: request.headers };
  if (request.body !== undefined) out.body = request.body;
  if (request.captureSession === true) {
    out.onResponse = (status, _body, context, headers) => {
      const sessionId = headerValue(headers, 'mcp-session-id');
      if (status >= 200 && status < 300 && sessionId !== undefined) {
        context.sessionId = sessionId;
        counters.sessions++;
      }
    };
  }
  if (request.sendSession === true) {
    out.setupRequest = (req, context) => {
      const sessionId = context.sessionId;
      if (typeof sessionId !== 'string') return undefined;
      return { ...req, headers: { ...req.headers, 'mcp-session-id': sessionId } };
    };
  }
  return out;
}

interface RunOutcome {
  result: AutocannonResult;
  elapsedSec: number;
  samples: LatencySamples;
  statusCodes: Record<string, number>;
  counters: Counters;
}

/** Gives each connection its session from `sessionIds`, in turn (autocannon deep-copies the requests per connection). */
function sessionSpreader(spec: LoadSpec, counters: Counters): AutocannonOptions['setupClient'] {
  const ids = spec.sessionIds;
  if (ids === undefined || ids.length === 0) return undefined;
  let next = 0;
  return (client) => {
    const sessionId = ids[next++ % ids.length] as string;
    client.setRequests(spec.requests.map((request) => toAutocannon({ ...request, headers: { ...request.headers, 'mcp-session-id': sessionId } }, counters)));
  };
}

function runOnce(spec: LoadSpec, bound: { durationSec: number } | { amount: number }): Promise<RunOutcome> {
  const counters: Counters = { sessions: 0 };
  const setupClient = sessionSpreader(spec, counters);
  const samples = new LatencySamples();
  const statusCodes: Record<string, number> = {};
  return new Promise((resolve, reject) => {
    let cap: NodeJS.Timeout | undefined;
    const started = process.hrtime.bigint();
    const instance = autocannon(
      {
        url: spec.origin,
        connections: spec.connections,
        pipelining: 1,
        timeout: 10,
        idReplacement: spec.idReplacement,
        requests: spec.requests.map((request) => toAutocannon(request, counters)),
        ...(setupClient === undefined ? {} : { setupClient }),
        ...('durationSec' in bound ? { duration: bound.durationSec } : { amount: bound.amount }),
      },
      (error, result) => {
        clearTimeout(cap);
        if (error !== null) {
          reject(error);
          return;
        }
        const elapsedSec = Number(process.hrtime.bigint() - started) / 1e9;
        resolve({ result, elapsedSec, samples, statusCodes, counters });
      },
    );
    // Every run is bounded in time, whatever its count bound.
    cap = setTimeout(() => instance.stop(), spec.maxSec * 1000);
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300) samples.add(responseTime);
    });
  });
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  if (spec.warmupSec > 0) await runOnce(spec, { durationSec: spec.warmupSec });
  const bound = spec.amount !== undefined ? { amount: spec.amount } : { durationSec: spec.durationSec ?? 10 };
  process.send?.({ type: 'measuring' } satisfies WorkerMessage);
  const cpuBefore = process.cpuUsage();
  const { result, elapsedSec, samples, statusCodes, counters } = await runOnce(spec, bound);
  const cpu = process.cpuUsage(cpuBefore);
  let responses = 0;
  let ok = 0;
  for (const [code, count] of Object.entries(statusCodes)) {
    responses += count;
    if (code.startsWith('2')) ok += count;
  }
  // autocannon's duration run ends on a timer; its own `duration` is the measured window.
  const window = spec.amount !== undefined ? elapsedSec : Math.min(elapsedSec, result.duration || elapsedSec);
  return {
    connections: spec.connections,
    elapsedSec: window,
    responses,
    ok,
    non2xx: responses - ok,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    okPerSec: ok / window,
    latencyMs: samples.summary(),
    sessionsCaptured: counters.sessions,
    loadCpuShare: (cpu.user + cpu.system) / 1e6 / elapsedSec,
    autocannon: {
      requestsAverage: result.requests.average,
      latencyP50: result.latency.p50,
      latencyP99: result.latency.p99,
      non2xx: result.non2xx,
    },
  };
}

function reply(message: WorkerMessage): void {
  process.send?.(message, () => process.exit(0));
}

if (process.send === undefined) {
  console.error('load-worker: run me through bench/run.ts (needs an IPC channel)');
  process.exit(2);
}
process.once('message', (raw: unknown) => {
  run(raw as LoadSpec).then(
    (result) => reply({ type: 'result', result }),
    (error: unknown) => reply({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
});

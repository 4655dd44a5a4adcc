// The contract between the runner and the load worker (bench/load-worker.ts): what to send, how
// long, and what comes back.

export interface LoadRequest {
  method: 'POST' | 'GET' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Remember the response's mcp-session-id header for the next request of this connection's sequence. */
  captureSession?: boolean;
  /** Send the remembered mcp-session-id (the request is skipped when none was captured). */
  sendSession?: boolean;
}

export interface LoadSpec {
  origin: string;
  connections: number;
  /** Seconds of load before measuring; its results are discarded. */
  warmupSec: number;
  /** Measured seconds (a time-bounded run) ... */
  durationSec?: number;
  /** ... or a number of requests (a count-bounded run, still capped by maxSec). */
  amount?: number;
  /** Hard wall-clock cap on the measured run. */
  maxSec: number;
  /** Each connection cycles through these requests in order. */
  requests: LoadRequest[];
  /** Replace `[<id>]` in each request with a unique id (unique JSON-RPC ids per session). */
  idReplacement: boolean;
  /**
   * Spread the connections over these sessions: connection i sends `mcp-session-id: sessionIds[i % length]` on every
   * request (over any session header the requests carry).
   * @default - each request's own headers
   */
  sessionIds?: string[];
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  max: number;
}

export interface LoadResult {
  connections: number;
  elapsedSec: number;
  responses: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** 2xx responses per second of measured wall time. */
  okPerSec: number;
  /** Per-request latency of 2xx responses in milliseconds (float precision, not autocannon's integer histogram). */
  latencyMs: LatencySummary;
  /** Session ids received on 2xx responses to `captureSession` requests. */
  sessionsCaptured: number;
  /** CPU time of the load worker during the measured run, as a share of one core (near 1 = the load generator is the limit). */
  loadCpuShare: number;
  /** autocannon's own summary for cross-checking. */
  autocannon: { requestsAverage: number; latencyP50: number; latencyP99: number; non2xx: number };
}

export type WorkerMessage = { type: 'measuring' } | { type: 'result'; result: LoadResult } | { type: 'error'; message: string };

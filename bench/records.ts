// What one benchmark run records: these types are the schema of bench/results/*.json (`Results`).
import type { BenchOptions } from './lib/cli-options.js';
import type { LoadResult } from './lib/load-spec.js';
import { CEILING, type StdioBridge, type TargetName, type UpstreamRoute } from './scenarios.js';

export interface CallRecord {
  target: TargetName;
  mode: string;
  connections: number;
  result?: LoadResult;
  /** Share of one core the server used during the measured run. */
  serverCpuShare?: number;
  /** Cores' worth of CPU other processes on the machine used meanwhile. */
  otherCpu?: number;
  /**
   * plain-echo measured right after this row, same connections and duration: the row's "vs
   * plain-echo" uses it, so drift of the machine between rows (noisy neighbours on the VM host, which
   * no counter here sees) does not land in the ratio.
   */
  pairedCeiling?: LoadResult;
  error?: string;
}

/** plain-echo's own throughput row: the ceiling of figures measured without a paired run. */
export function plainEchoRun(throughput: CallRecord[]): LoadResult | undefined {
  return throughput.find((row) => row.target === CEILING)?.result;
}

/** The plain-echo run a throughput row is compared with: its paired run, else plain-echo's own row. */
export function ceilingOf(record: CallRecord, throughput: CallRecord[]): LoadResult | undefined {
  return record.pairedCeiling ?? plainEchoRun(throughput);
}

/** One paired round of the 1-connection figure: the target, then plain-echo right after it. */
export interface LatencyRound {
  p50: number;
  p99: number;
  okPerSec: number;
  non2xx: number;
  plainP50: number;
  plainP99: number;
}
export interface LatencyRecord {
  target: TargetName;
  mode: string;
  rounds: LatencyRound[];
  /** Medians over the rounds. */
  p50?: number;
  p99?: number;
  plainP50?: number;
  /** Median over the rounds of (target p50 - plain-echo p50 of the same round). */
  addedP50?: number;
  non2xx?: number;
  error?: string;
}

export interface HeapRecord {
  target: TargetName;
  requested: number;
  sessions?: number;
  heapBefore?: number;
  heapAfter?: number;
  rssBefore?: number;
  rssAfter?: number;
  /** Per session once idle (after the gateway's live servers were swept), the figure judged by the goal. */
  heapPerSession?: number;
  rssPerSession?: number;
  /** Per session measured right after the last initialize (live servers still warm). */
  heapPerSessionFresh?: number;
  seconds?: number;
  result?: LoadResult;
  error?: string;
}
/** Heap per session by what the session holds (figures/session-memory.ts), and the cap that bounds how many there can be. */
export interface MemoryRecord {
  kind: string;
  sessions: number;
  heapPerSession?: number;
  rssPerSession?: number;
  /** The variable that bounds how many such sessions one process holds, and its default. */
  capVariable: string;
  capCount: number;
  error?: string;
}
export interface InitRecord {
  target: TargetName;
  initsPerSec?: number;
  result?: LoadResult;
  serverCpuShare?: number;
  otherCpu?: number;
  error?: string;
}
/** The rows of the auth figure: no auth, a static key, a verified JWT, forged JWTs alone, and valid JWTs beside a forged flood. */
export type AuthRow = 'none' | 'keys' | 'oauth' | 'oauth-forged' | 'oauth-under-flood';
export interface AuthRecord {
  row: AuthRow;
  result?: LoadResult;
  /** 401s per second: of the measured load (oauth-forged), or of the flood beside it (oauth-under-flood). */
  refusedPerSec?: number;
  /** JWKS fetches during the row. */
  jwksFetches?: number;
  serverCpuShare?: number;
  otherCpu?: number;
  error?: string;
}
export interface StartRecord {
  process: string;
  runsMs: number[];
  medianMs?: number;
  error?: string;
}
/** tools/call of server-everything's echo through a stdio bridge (figures/stdio-bridge.ts). */
export interface BridgeCallRecord {
  bridge: StdioBridge;
  /** legacy-session or modern (2026-07-28). */
  mode: string;
  connections: number;
  /** Legacy sessions the connections were spread over (each holds its own child in the gateway and supergateway). */
  sessions?: number;
  result?: LoadResult;
  /** Share of one core the bridge's own process used (the gateway process; the supergateway or mcp-proxy process). */
  serverCpuShare?: number;
  /** The same for the bridge with its descendants (stdio children; supergateway's `sh -c` too), from /proc. */
  treeCpuShare?: number;
  /** Processes in the bridge's tree right after the run (the bridge, its children; the wrapper for supergateway and mcp-proxy). */
  processes?: number;
  otherCpu?: number;
  /** plain-echo measured right after this row (see CallRecord.pairedCeiling). */
  pairedCeiling?: LoadResult;
  error?: string;
}

/** tools/call of server-everything's echo in its own HTTP mode, directly or through the gateway (figures/upstream-proxy.ts). */
export interface UpstreamCallRecord {
  route: UpstreamRoute;
  mode: string;
  connections: number;
  sessions: number;
  result?: LoadResult;
  /** The gateway process (route gateway) or the upstream's process (route direct), as a share of one core. */
  serverCpuShare?: number;
  /** The upstream's process tree, as a share of one core. */
  upstreamCpuShare?: number;
  otherCpu?: number;
  pairedCeiling?: LoadResult;
  error?: string;
}

/** One paired round at 1 connection: through the gateway, then directly on the same upstream. */
export interface UpstreamLatencyRound {
  p50: number;
  p99: number;
  okPerSec: number;
  non2xx: number;
  directP50: number;
  directP99: number;
}
export interface UpstreamLatencyRecord {
  rounds: UpstreamLatencyRound[];
  /** Medians over the rounds. */
  p50?: number;
  p99?: number;
  directP50?: number;
  /** Median over the rounds of (gateway p50 - direct p50 of the same round): what the gateway adds. */
  addedP50?: number;
  non2xx?: number;
  error?: string;
}

/** Memory per stdio session in the gateway (figures/stdio-memory.ts): a fresh gateway hosting server-everything per row. */
export interface StdioMemoryRecord {
  /** 'live' (a session with its child) or 'idle' (a record only: initialize + notifications/initialized, no child). */
  kind: 'live' | 'idle';
  requested: number;
  /** Sessions the gateway created. */
  sessions?: number;
  /** Gateway process heap after gc, per session. */
  heapPerSession?: number;
  /** Gateway process RSS, per session. */
  rssPerSession?: number;
  /** Sum of RSS over the gateway's process tree (gateway and children) from /proc, per session. */
  treeRssPerSession?: number;
  /** Sum of PSS over the same tree (shared pages split between processes), per session. */
  treePssPerSession?: number;
  /** Processes in the tree before and after (the gateway, its 2026-07-28 pool's first child, the sessions' children). */
  processesBefore?: number;
  processesAfter?: number;
  error?: string;
}

/** tools/call of the demo echo over a legacy session with the memory store or the Redis store (figures/session-store.ts). */
export interface StoreCallRecord {
  store: 'memory' | 'redis';
  mode: string;
  connections: number;
  result?: LoadResult;
  /** The gateway process, as a share of one core. */
  serverCpuShare?: number;
  /** The redis-server process (on the server core beside the gateway), as a share of one core; redis rows only. */
  redisCpuShare?: number;
  otherCpu?: number;
  /** plain-echo measured right after this row (see CallRecord.pairedCeiling). */
  pairedCeiling?: LoadResult;
  error?: string;
}

/** Commands clients sent to redis (MONITOR, a Lua script counted once) during sequential tools/calls on a session whose live server is cached. */
export interface StoreTripsRecord {
  requests: number;
  commands?: number;
  perRequest?: number;
  byCommand?: Record<string, number>;
  error?: string;
}

/** First tools/call of sessions created on gateway A, sent to gateway B on the same redis, which rebuilds each from its record. */
export interface StoreRebuildRecord {
  requested: number;
  /** Sessions timed (those whose first and second calls both answered with the echo). */
  sessions?: number;
  /** Client-side ms of the first call on B (it rebuilds the live server). */
  firstP50?: number;
  firstP99?: number;
  firstMax?: number;
  /** The second call of the same sessions on B (live server cached): what the first adds is the rebuild. */
  cachedP50?: number;
  cachedP99?: number;
  failed?: number;
  error?: string;
}

export interface GoalRecord {
  goal: string;
  measured: string;
  status: 'pass' | 'FAIL' | 'n/a';
}

/** Every figure's rows; a figure left out by --figures has none. */
export interface FigureRecords {
  throughput: CallRecord[];
  latency: LatencyRecord[];
  heap: HeapRecord[];
  memory: MemoryRecord[];
  inits: InitRecord[];
  starts: StartRecord[];
  stdio: BridgeCallRecord[];
  upstream: UpstreamCallRecord[];
  upstreamLatency: UpstreamLatencyRecord[];
  stdioMemory: StdioMemoryRecord[];
  auth: AuthRecord[];
  storeCalls: StoreCallRecord[];
  storeTrips: StoreTripsRecord[];
  storeRebuild: StoreRebuildRecord[];
}

/** One bench/results/<timestamp>.json. */
export interface Results extends FigureRecords {
  version: 1;
  startedAt: string;
  finishedAt: string;
  commit: string | undefined;
  machine: { node: string; cpu: string | undefined; cores: number; memoryMB: number; pinned: boolean };
  options: BenchOptions;
  goals: GoalRecord[];
  warnings: string[];
}

// What one benchmark run records: these types are the schema of bench/results/*.json (`Results`).
import type { BenchOptions } from './lib/cli-options.js';
import type { LoadResult } from './lib/load-spec.js';
import { CEILING, type TargetName } from './scenarios.js';

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
export interface StartRecord {
  process: string;
  runsMs: number[];
  medianMs?: number;
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

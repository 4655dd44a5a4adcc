// The gateway's goals, judged against each run's figures in the last table of the report. bench/README.md
// states the same goals for readers; change both together.
import { fmtFactor, fmtInt, fmtMs, fmtShare } from './lib/text-table.js';
import { type BridgeCallRecord, ceilingOf, type FigureRecords, type GoalRecord } from './records.js';
import type { TargetName } from './scenarios.js';

type Goal = {
  /** The row of the goals table; it names the threshold so the table reads on its own. */
  goal: string;
  figure(records: FigureRecords): number | undefined;
  shown(value: number): string;
} & ({ atLeast: number } | { atMost: number });

// The gateway's figures the goals judge; undefined where the run did not measure them.

const throughputShare =
  (mode: string) =>
  (records: FigureRecords): number | undefined => {
    const row = records.throughput.find((record) => record.target === 'gateway' && record.mode === mode);
    const reference = row === undefined ? undefined : ceilingOf(row, records.throughput);
    return row?.result === undefined || reference === undefined ? undefined : row.result.okPerSec / reference.okPerSec;
  };

const addedP50 =
  (mode: string) =>
  (records: FigureRecords): number | undefined =>
    records.latency.find((record) => record.target === 'gateway' && record.mode === mode)?.addedP50;

function heapPerIdleSession(records: FigureRecords): number | undefined {
  return records.heap.find((record) => record.target === 'gateway')?.heapPerSession;
}

function initsOverV1(records: FigureRecords): number | undefined {
  const initsOf = (target: TargetName) => records.inits.find((record) => record.target === target)?.initsPerSec;
  const gateway = initsOf('gateway');
  const v1 = initsOf('sdk-v1-express');
  return gateway === undefined || v1 === undefined ? undefined : gateway / v1;
}

/** What the gateway's start adds over a plain node:http process started the same way (issue 13). */
function startAddedMs(records: FigureRecords): number | undefined {
  const gateway = records.starts.find((record) => record.process.startsWith('gateway'))?.medianMs;
  const plain = records.starts.find((record) => record.process.startsWith('plain'))?.medianMs;
  return gateway === undefined || plain === undefined ? undefined : gateway - plain;
}

/** The gateway's p99 at 32 connections as a factor of its paired plain-echo run's p99. */
const p99OverCeiling =
  (mode: string) =>
  (records: FigureRecords): number | undefined => {
    const row = records.throughput.find((record) => record.target === 'gateway' && record.mode === mode);
    const reference = row === undefined ? undefined : ceilingOf(row, records.throughput);
    return row?.result === undefined || reference === undefined || row.result.okPerSec === 0 ? undefined : row.result.latencyMs.p99 / reference.latencyMs.p99;
  };

/** A row's req/s as a share of its paired plain-echo run: the VM's drift between rows cancels out of ratios of rows. */
function ceilingShare(row: { result?: { okPerSec: number }; pairedCeiling?: { okPerSec: number } } | undefined): number | undefined {
  if (row?.result === undefined || row.pairedCeiling === undefined) return undefined;
  return row.result.okPerSec / row.pairedCeiling.okPerSec;
}

/** The gateway's stdio bridge over the faster of supergateway and mcp-proxy, in the same mode (each by its paired ceiling). */
const overFasterPeer =
  (mode: string) =>
  (records: FigureRecords): number | undefined => {
    const share = (bridge: BridgeCallRecord['bridge']) => ceilingShare(records.stdio.find((row) => row.bridge === bridge && row.mode === mode));
    const gateway = share('gateway');
    const peers = [share('supergateway'), share('mcp-proxy')].filter((value): value is number => value !== undefined && value > 0);
    return gateway === undefined || peers.length === 0 ? undefined : gateway / Math.max(...peers);
  };

function upstreamShareOfDirect(records: FigureRecords): number | undefined {
  const through = ceilingShare(records.upstream.find((row) => row.route === 'gateway'));
  const direct = ceilingShare(records.upstream.find((row) => row.route === 'direct'));
  return through === undefined || direct === undefined ? undefined : through / direct;
}

function upstreamAddedP50(records: FigureRecords): number | undefined {
  return records.upstreamLatency[0]?.addedP50;
}

/** The Redis store's tools/call over the memory store's, each as a share of its paired plain-echo. */
function redisShareOfMemory(records: FigureRecords): number | undefined {
  const redis = ceilingShare(records.storeCalls.find((row) => row.store === 'redis'));
  const memory = ceilingShare(records.storeCalls.find((row) => row.store === 'memory'));
  return redis === undefined || memory === undefined ? undefined : redis / memory;
}

function storeTripsPerRequest(records: FigureRecords): number | undefined {
  return records.storeTrips[0]?.perRequest;
}

const ms = (digits: number) => (value: number) => `${fmtMs(value, digits)} ms`;
const bytes = (value: number) => `${fmtInt(value)} B`;

const GOALS: readonly Goal[] = [
  { goal: 'gateway legacy-session tools/call >= 50% of plain-echo', figure: throughputShare('legacy-session'), shown: fmtShare, atLeast: 0.5 },
  { goal: 'gateway modern tools/call >= 50% of plain-echo', figure: throughputShare('modern'), shown: fmtShare, atLeast: 0.5 },
  { goal: 'gateway legacy-session p99 @32 <= 2x plain-echo', figure: p99OverCeiling('legacy-session'), shown: fmtFactor, atMost: 2 },
  { goal: 'gateway modern p99 @32 <= 2x plain-echo', figure: p99OverCeiling('modern'), shown: fmtFactor, atMost: 2 },
  { goal: 'gateway legacy-session added p50 @1 <= 0.2 ms', figure: addedP50('legacy-session'), shown: ms(3), atMost: 0.2 },
  { goal: 'gateway modern added p50 @1 <= 0.2 ms', figure: addedP50('modern'), shown: ms(3), atMost: 0.2 },
  { goal: 'gateway heap per idle session <= 2 KB', figure: heapPerIdleSession, shown: bytes, atMost: 2048 },
  { goal: 'gateway inits/s >= 10x sdk-v1-express', figure: initsOverV1, shown: fmtFactor, atLeast: 10 },
  { goal: 'gateway start to /healthz 200 <= plain node:http + 80 ms', figure: startAddedMs, shown: ms(1), atMost: 80 },
  { goal: 'stdio legacy-session: gateway >= 2x the faster peer', figure: overFasterPeer('legacy-session'), shown: fmtFactor, atLeast: 2 },
  { goal: 'stdio modern: gateway >= 2x the faster peer', figure: overFasterPeer('modern'), shown: fmtFactor, atLeast: 2 },
  { goal: 'upstream: through the gateway >= 90% of direct', figure: upstreamShareOfDirect, shown: fmtShare, atLeast: 0.9 },
  { goal: 'upstream: gateway added p50 @1 <= 0.3 ms', figure: upstreamAddedP50, shown: ms(3), atMost: 0.3 },
  { goal: 'redis store tools/call >= 70% of memory store', figure: redisShareOfMemory, shown: fmtShare, atLeast: 0.7 },
  { goal: 'redis store round trips per request <= 1', figure: storeTripsPerRequest, shown: (value) => value.toFixed(2), atMost: 1 },
];

export function judgeGoals(records: FigureRecords): GoalRecord[] {
  return GOALS.map((goal) => {
    const value = goal.figure(records);
    if (value === undefined || !Number.isFinite(value)) return { goal: goal.goal, measured: 'n/a', status: 'n/a' };
    const met = 'atLeast' in goal ? value >= goal.atLeast : value <= goal.atMost;
    return { goal: goal.goal, measured: goal.shown(value), status: met ? 'pass' : 'FAIL' };
  });
}

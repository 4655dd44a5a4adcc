// tools/call of server-everything's `echo` in its own streamable-HTTP mode, called directly and through the gateway
// (MCP_SERVER_URL), in one run. The upstream runs on the server core beside the gateway, as the two containers of one
// Fargate task share the task's CPU: through the gateway, both share core 0; called directly, the upstream has it alone.
// Every row starts a fresh upstream (server-everything's HTTP mode keeps every SSE event it sends in memory for good,
// so a long-lived upstream slows down from row to row) and gets its paired plain-echo ceiling.
import { median } from '../lib/latency-samples.js';
import type { TargetProcess } from '../lib/target-process.js';
import { fmtInt, fmtMs } from '../lib/text-table.js';
import { errorText, type Harness, log } from '../harness.js';
import type { UpstreamCallRecord, UpstreamLatencyRecord } from '../records.js';
import { closeSessions, type Prepared, prepareLegacySessions, timedLoad, type UpstreamRoute } from '../scenarios.js';

export const UPSTREAM_ROUTES: readonly UpstreamRoute[] = ['direct', 'gateway'];

/**
 * A fresh upstream, and for the gateway route a gateway in front of it (`gateway` adds node flags, e.g. --cpu-prof);
 * `work` gets the target the load goes to and the upstream.
 */
export async function withUpstream<T>(
  harness: Harness,
  route: UpstreamRoute,
  work: (subject: TargetProcess, upstream: TargetProcess) => Promise<T>,
  gateway: { nodeArgs?: string[]; stopGraceMs?: number } = {},
): Promise<T> {
  return harness.withTarget('everything-http', {}, (upstream) => {
    if (route === 'direct') return work(upstream, upstream);
    return harness.withTarget('gateway', { ...gateway, gatewayDefaults: { MCP_SERVER_URL: upstream.mcpUrl } }, (target) => work(target, upstream));
  });
}

async function throughputRow(harness: Harness, route: UpstreamRoute, plain: Prepared): Promise<UpstreamCallRecord> {
  const { options } = harness;
  const sessions = options.bridgeSessions;
  const record: UpstreamCallRecord = { route, mode: 'legacy-session', connections: options.connections, sessions };
  const label = `upstream ${route} legacy-session @${options.connections}`;
  try {
    await withUpstream(harness, route, async (subject, upstream) => {
      const prepared = await prepareLegacySessions(subject, sessions);
      try {
        log(`${label} over ${sessions} sessions: ${options.warmupSec} s warm-up + ${options.durationSec} s`);
        const measured = await harness.measure(subject, timedLoad(prepared, options), label, route === 'direct' ? [] : [upstream]);
        harness.flagBadResponses(label, measured.result);
        record.result = measured.result;
        record.serverCpuShare = measured.serverCpuShare;
        record.upstreamCpuShare = route === 'direct' ? measured.treeCpuShare : measured.alongsideCpuShares[0];
        record.otherCpu = measured.otherCpu;
        log(`${label}: ${fmtInt(measured.result.okPerSec)} req/s, p50 ${fmtMs(measured.result.latencyMs.p50)} ms`);
      } finally {
        await closeSessions(prepared);
      }
    });
    record.pairedCeiling = await harness.ceilingAfter(plain, `upstream ${route}`);
  } catch (error) {
    record.error = errorText(error);
    log(`${label}: ${record.error}`);
  }
  return record;
}

/** 1-connection rounds on one fresh upstream: through the gateway, then directly right after (Harness.pairedLatency). */
async function latencyRecord(harness: Harness): Promise<UpstreamLatencyRecord> {
  const record: UpstreamLatencyRecord = { rounds: [] };
  try {
    await withUpstream(harness, 'gateway', async (gateway, upstream) => {
      const through = await prepareLegacySessions(gateway, 1);
      const direct = await prepareLegacySessions(upstream, 1);
      const paired = await harness.pairedLatency(through, direct, 'upstream gateway legacy-session @1');
      record.rounds = paired.map(({ baselineP50, baselineP99, ...round }) => ({ ...round, directP50: baselineP50, directP99: baselineP99 }));
      await closeSessions(through);
      await closeSessions(direct);
    });
    record.p50 = median(record.rounds.map((r) => r.p50));
    record.p99 = median(record.rounds.map((r) => r.p99));
    record.directP50 = median(record.rounds.map((r) => r.directP50));
    record.addedP50 = median(record.rounds.map((r) => r.p50 - r.directP50));
    record.non2xx = record.rounds.reduce((sum, r) => sum + r.non2xx, 0);
    log(`upstream @1: p50 ${fmtMs(record.p50)} ms, direct ${fmtMs(record.directP50)} ms, added ${fmtMs(record.addedP50)} ms`);
  } catch (error) {
    record.error = errorText(error);
  }
  return record;
}

export async function upstreamFigures(harness: Harness): Promise<{ upstream: UpstreamCallRecord[]; upstreamLatency: UpstreamLatencyRecord[] }> {
  const { options } = harness;
  let plain: Prepared;
  try {
    plain = await harness.startCeiling();
  } catch (error) {
    const reason = `plain-echo: ${errorText(error)}`;
    return {
      upstream: UPSTREAM_ROUTES.map((route) => ({
        route,
        mode: 'legacy-session',
        connections: options.connections,
        sessions: options.bridgeSessions,
        error: reason,
      })),
      upstreamLatency: [{ rounds: [], error: reason }],
    };
  }
  try {
    const upstream: UpstreamCallRecord[] = [];
    for (const route of UPSTREAM_ROUTES) upstream.push(await throughputRow(harness, route, plain));
    return { upstream, upstreamLatency: [await latencyRecord(harness)] };
  } finally {
    await plain.target.stop();
  }
}

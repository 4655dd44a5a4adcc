// The gateway on the shared Redis store (SESSION_STORE=redis) against its memory store, on one real redis-server
// started for the figure (bench/lib/redis-process.ts): tools/call throughput of each, each row with its paired plain-echo
// ceiling; the commands the gateway sends redis per request on a session whose live server it holds; and how long the
// first call of a session takes on a task that has never seen it (the live server rebuilt from the record).
import { errorText, type Harness, log } from '../harness.js';
import { quantile } from '../lib/latency-samples.js';
import { legacyHeaders, legacyToolCallBody } from '../lib/mcp-messages.js';
import { checkToolCall, openLegacySession } from '../lib/mcp-probe.js';
import { RedisProcess } from '../lib/redis-process.js';
import type { TargetProcess } from '../lib/target-process.js';
import { fmtInt, fmtMs } from '../lib/text-table.js';
import type { StoreCallRecord, StoreRebuildRecord, StoreTripsRecord } from '../records.js';
import { CALL_SCENARIOS, type CallScenario, type Prepared, timedLoad } from '../scenarios.js';

type Store = StoreCallRecord['store'];
const STORES: readonly Store[] = ['memory', 'redis'];

/** Sequential tools/calls the round-trip count spans: enough that a command sent every few requests shows as a fraction. */
export const TRIP_REQUESTS = 200;
/** Sessions rebuilt on the second gateway before the timed ones, so its first rebuilds' JIT warm-up stays out of the figure. */
const REBUILD_WARMUP = 20;

function gatewayDefaults(store: Store, redis: RedisProcess): Record<string, string> {
  return store === 'redis' ? { SESSION_STORE: 'redis', REDIS_URL: redis.url } : {};
}

/** The throughput figure's own legacy-session scenario: one verified session that every connection shares. */
function legacyScenario(): CallScenario {
  const scenario = CALL_SCENARIOS.find((candidate) => candidate.target === 'gateway' && candidate.mode === 'legacy-session');
  if (scenario === undefined) throw new Error('no gateway legacy-session scenario');
  return scenario;
}

async function throughputRow(harness: Harness, store: Store, redis: RedisProcess, plain: Prepared): Promise<StoreCallRecord> {
  const { options } = harness;
  const scenario = legacyScenario();
  const record: StoreCallRecord = { store, mode: scenario.mode, connections: options.connections };
  const label = `store ${store} ${scenario.mode} @${options.connections}`;
  try {
    await harness.withTarget('gateway', { gatewayDefaults: gatewayDefaults(store, redis) }, async (target) => {
      const subject: Prepared = { target, requests: await scenario.prepare(target), uniqueIds: scenario.uniqueIds };
      log(`${label}: ${options.warmupSec} s warm-up + ${options.durationSec} s`);
      // redis rides along on both rows, so its idle ticks never count as interference.
      const measured = await harness.measure(target, timedLoad(subject, options), label, [redis]);
      harness.flagBadResponses(label, measured.result);
      record.result = measured.result;
      record.serverCpuShare = measured.serverCpuShare;
      if (store === 'redis') record.redisCpuShare = measured.alongsideCpuShares[0];
      record.otherCpu = measured.otherCpu;
      log(`${label}: ${fmtInt(measured.result.okPerSec)} req/s, p50 ${fmtMs(measured.result.latencyMs.p50)} ms`);
    });
    record.pairedCeiling = await harness.ceilingAfter(plain, label);
  } catch (error) {
    record.error = errorText(error);
    log(`${label}: ${record.error}`);
  }
  return record;
}

async function call(target: TargetProcess, sessionId: string, id: number): Promise<void> {
  await checkToolCall(target.mcpUrl, legacyHeaders(sessionId), legacyToolCallBody(id));
}

/** What the gateway sends redis during TRIP_REQUESTS sequential calls, watched with MONITOR. */
async function tripsRecord(harness: Harness, redis: RedisProcess): Promise<StoreTripsRecord> {
  const record: StoreTripsRecord = { requests: TRIP_REQUESTS };
  try {
    await harness.withTarget('gateway', { gatewayDefaults: gatewayDefaults('redis', redis) }, async (target) => {
      const sessionId = await openLegacySession(target.mcpUrl);
      // The first call builds the live server from the record: the hot path is what follows.
      await call(target, sessionId, 1);
      const watch = await redis.monitor();
      try {
        for (let id = 2; id < 2 + TRIP_REQUESTS; id++) await call(target, sessionId, id);
      } catch (error) {
        await watch.stop();
        throw error;
      }
      const sent = await watch.stop();
      record.commands = sent.total;
      record.perRequest = sent.total / TRIP_REQUESTS;
      record.byCommand = sent.byCommand;
    });
    log(`store round trips: ${record.commands} commands for ${TRIP_REQUESTS} tool calls ${JSON.stringify(record.byCommand)}`);
    // A watch that saw nothing proves nothing: the gateway must have reached the store at least once.
    if (record.commands === 0) harness.warnings.push('store round trips: MONITOR saw no command during the calls; the figure is suspect');
  } catch (error) {
    record.error = errorText(error);
    log(`store round trips: ${record.error}`);
  }
  return record;
}

async function timedCall(target: TargetProcess, sessionId: string, id: number): Promise<number> {
  const start = performance.now();
  await call(target, sessionId, id);
  return performance.now() - start;
}

/**
 * Sessions created on gateway A (initialize + notifications/initialized), then called on gateway B, on the same redis:
 * B's first call of each session rebuilds its live server from the record, its second finds it cached. Both are timed at
 * the client, one request at a time, so the second call's time is the yardstick of what the rebuild adds.
 */
async function rebuildRecord(harness: Harness, redis: RedisProcess): Promise<StoreRebuildRecord> {
  const requested = harness.options.rebuildSessions;
  const record: StoreRebuildRecord = { requested };
  const setup = { gatewayDefaults: gatewayDefaults('redis', redis) };
  try {
    await harness.withTarget('gateway', setup, async (a) => {
      log(`store rebuild: ${REBUILD_WARMUP} + ${requested} sessions created on gateway A`);
      const sessionIds: string[] = [];
      for (let index = 0; index < REBUILD_WARMUP + requested; index++) sessionIds.push(await openLegacySession(a.mcpUrl));
      await harness.withTarget('gateway', setup, async (b) => {
        await harness.quietGate('store rebuild');
        const first: number[] = [];
        const cached: number[] = [];
        let failed = 0;
        for (const [index, sessionId] of sessionIds.entries()) {
          try {
            const firstMs = await timedCall(b, sessionId, 1);
            const cachedMs = await timedCall(b, sessionId, 2);
            if (index < REBUILD_WARMUP) continue;
            first.push(firstMs);
            cached.push(cachedMs);
          } catch (error) {
            failed += 1;
            if (failed === 1) harness.warnings.push(`store rebuild: a call on gateway B failed: ${errorText(error)}`);
          }
        }
        if (first.length === 0) throw new Error(`no session answered on gateway B (${failed} failed)`);
        first.sort((x, y) => x - y);
        cached.sort((x, y) => x - y);
        record.sessions = first.length;
        record.firstP50 = quantile(first, 0.5);
        record.firstP99 = quantile(first, 0.99);
        record.firstMax = first.at(-1);
        record.cachedP50 = quantile(cached, 0.5);
        record.cachedP99 = quantile(cached, 0.99);
        record.failed = failed;
      });
    });
    log(`store rebuild: first call p50 ${fmtMs(record.firstP50)} ms, p99 ${fmtMs(record.firstP99)} ms; cached p50 ${fmtMs(record.cachedP50)} ms`);
  } catch (error) {
    record.error = errorText(error);
    log(`store rebuild: ${record.error}`);
  }
  return record;
}

export async function storeFigures(
  harness: Harness,
): Promise<{ storeCalls: StoreCallRecord[]; storeTrips: StoreTripsRecord[]; storeRebuild: StoreRebuildRecord[] }> {
  const { options } = harness;
  const fail = (reason: string) => ({
    storeCalls: STORES.map((store) => ({ store, mode: 'legacy-session', connections: options.connections, error: reason })),
    storeTrips: [{ requests: TRIP_REQUESTS, error: reason }],
    storeRebuild: [{ requested: options.rebuildSessions, error: reason }],
  });
  let redis: RedisProcess;
  try {
    redis = await RedisProcess.start();
  } catch (error) {
    log(`store: ${errorText(error)}`);
    return fail(`redis: ${errorText(error)}`);
  }
  try {
    let plain: Prepared;
    try {
      plain = await harness.startCeiling();
    } catch (error) {
      return fail(`plain-echo: ${errorText(error)}`);
    }
    const storeCalls: StoreCallRecord[] = [];
    try {
      for (const store of STORES) storeCalls.push(await throughputRow(harness, store, redis, plain));
    } finally {
      await plain.target.stop();
    }
    return { storeCalls, storeTrips: [await tripsRecord(harness, redis)], storeRebuild: [await rebuildRecord(harness, redis)] };
  } finally {
    await redis.stop();
  }
}

// Heap per idle legacy session: a fresh process, N handshakes, heap after gc once the sessions are idle.
import { runLoad } from '../lib/load-generator.js';
import { openLegacySession } from '../lib/mcp-probe.js';
import type { TargetProcess } from '../lib/target-process.js';
import { fmtInt } from '../lib/text-table.js';
import { errorText, type Harness, log } from '../harness.js';
import type { HeapRecord } from '../records.js';
import { SESSION_PAIR, type TargetName } from '../scenarios.js';

export const HEAP_LIVE_SERVER_IDLE_MS = 1000;

/** Heap once idle state is reached: sample every second (after the live-server idle time) until it stops shrinking, at most 10 s. */
async function settledHeap(target: TargetProcess, fresh: { heapUsed: number; rss: number }): Promise<{ heapUsed: number; rss: number }> {
  await new Promise((resolve) => setTimeout(resolve, HEAP_LIVE_SERVER_IDLE_MS * 1.5));
  let last = fresh;
  for (let sample = 0; sample < 10; sample++) {
    const now = await target.heap();
    const shrunk = last.heapUsed - now.heapUsed;
    last = now;
    if (shrunk < now.heapUsed * 0.005) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return last;
}

export async function heapFigures(harness: Harness, targets: Set<TargetName>): Promise<HeapRecord[]> {
  const { options } = harness;
  const plan: Array<{ name: TargetName; sessions: number }> = [
    { name: 'gateway', sessions: options.sessions },
    { name: 'sdk-v1-express', sessions: options.v1Sessions },
  ];
  const records: HeapRecord[] = [];
  for (const { name, sessions } of plan) {
    if (!targets.has(name)) continue;
    const record: HeapRecord = { target: name, requested: sessions };
    records.push(record);
    // LIVE_SERVER_IDLE_MS: the gateway keeps up to MAX_LIVE_SERVERS (1000) recently used McpServer
    // instances warm for LIVE_SERVER_IDLE_MS (60 s); an idle session has none, so let them expire fast.
    const gatewayDefaults = { MAX_SESSIONS: String(sessions * 2 + 10_000), LIVE_SERVER_IDLE_MS: String(HEAP_LIVE_SERVER_IDLE_MS) };
    try {
      await harness.withTarget(name, { gatewayDefaults }, async (target) => {
        // One verified handshake first: it also loads the code paths a session needs.
        await openLegacySession(target.mcpUrl);
        const before = await target.heap();
        const label = `${name} heap: ${sessions} sessions`;
        log(`${label}: initialize + notifications/initialized`);
        const started = performance.now();
        const result = await runLoad({
          origin: target.origin,
          connections: options.connections,
          warmupSec: 0,
          amount: sessions * 2,
          maxSec: 900,
          requests: SESSION_PAIR,
          idReplacement: false,
        });
        record.seconds = (performance.now() - started) / 1000;
        harness.flagBadResponses(label, result);
        const fresh = await target.heap();
        const after = await settledHeap(target, fresh);
        Object.assign(record, {
          heapPerSessionFresh: (fresh.heapUsed - before.heapUsed) / result.sessionsCaptured,
          sessions: result.sessionsCaptured,
          heapBefore: before.heapUsed,
          heapAfter: after.heapUsed,
          rssBefore: before.rss,
          rssAfter: after.rss,
          heapPerSession: (after.heapUsed - before.heapUsed) / result.sessionsCaptured,
          rssPerSession: (after.rss - before.rss) / result.sessionsCaptured,
          result,
        });
        if (result.sessionsCaptured < sessions) {
          harness.warnings.push(`${label}: only ${result.sessionsCaptured} of ${sessions} sessions were created`);
        }
        log(`${label}: ${fmtInt(record.heapPerSession)} B heap per session`);
      });
    } catch (error) {
      record.error = errorText(error);
    }
  }
  return records;
}

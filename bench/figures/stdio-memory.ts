// Memory per stdio session: the gateway hosting server-everything over stdio (MCP_SERVER_COMMAND), a fresh process per
// row. A live session holds its own child; an idle one is a record only (the gateway spawns a child when a session first
// needs one, and initialize + notifications/initialized need none). Read: the gateway's heap after gc and its RSS, and
// RSS and PSS summed over its process tree from /proc, before and after N such sessions.
import { runLoad } from '../lib/load-generator.js';
import { EVERYTHING_ECHO, legacyHeaders, legacyToolCallBody } from '../lib/mcp-messages.js';
import { checkToolCall, openLegacySession } from '../lib/mcp-probe.js';
import type { TargetProcess } from '../lib/target-process.js';
import { fmtInt } from '../lib/text-table.js';
import { errorText, type Harness, log } from '../harness.js';
import type { StdioMemoryRecord } from '../records.js';
import { SESSION_PAIR, stdioGatewaySetup } from '../scenarios.js';

interface Reading {
  heapUsed: number;
  rss: number;
  treeRss: number;
  treePss: number;
  processes: number;
}

async function read(target: TargetProcess): Promise<Reading> {
  const { heapUsed, rss } = await target.heap();
  const tree = target.tree(true);
  if (tree === undefined) throw new Error('no /proc: the process tree cannot be read');
  return { heapUsed, rss, treeRss: tree.rssBytes, treePss: tree.pssBytes, processes: tree.processes };
}

function perSession(record: StdioMemoryRecord, before: Reading, after: Reading, sessions: number): void {
  Object.assign(record, {
    sessions,
    heapPerSession: (after.heapUsed - before.heapUsed) / sessions,
    rssPerSession: (after.rss - before.rss) / sessions,
    treeRssPerSession: (after.treeRss - before.treeRss) / sessions,
    treePssPerSession: (after.treePss - before.treePss) / sessions,
    processesBefore: before.processes,
    processesAfter: after.processes,
  });
}

/** A session that has called a tool once: it holds its child (a live server) until LIVE_SERVER_IDLE_MS passes. */
async function liveSession(target: TargetProcess): Promise<void> {
  const sessionId = await openLegacySession(target.mcpUrl);
  await checkToolCall(target.mcpUrl, legacyHeaders(sessionId), legacyToolCallBody(1, EVERYTHING_ECHO), EVERYTHING_ECHO.expectedText);
}

async function live(harness: Harness, sessions: number): Promise<StdioMemoryRecord> {
  const record: StdioMemoryRecord = { kind: 'live', requested: sessions };
  // Children stay for the whole row: one per session plus the 2026-07-28 pool, none swept while the row reads.
  const setup = stdioGatewaySetup(sessions + 1);
  setup.gatewayDefaults['MAX_LIVE_SERVERS'] = String(sessions + 10);
  setup.gatewayDefaults['LIVE_SERVER_IDLE_MS'] = '600000';
  try {
    await harness.withTarget('gateway', setup, async (target) => {
      // One session first loads the code paths a live session needs; it stays, in the baseline.
      await liveSession(target);
      const before = await read(target);
      log(`stdio memory: ${sessions} live sessions (a child each)`);
      for (let index = 0; index < sessions; index++) await liveSession(target);
      // Let the children finish starting up (their heaps settle after the first call).
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const after = await read(target);
      perSession(record, before, after, sessions);
      if (after.processes - before.processes !== sessions) {
        harness.warnings.push(`stdio memory live: ${after.processes - before.processes} new processes for ${sessions} sessions (want one child each)`);
      }
      log(`stdio memory: ${fmtInt(record.heapPerSession)} B gateway heap, ${fmtInt(record.treePssPerSession)} B tree PSS per live session`);
    });
  } catch (error) {
    record.error = errorText(error);
  }
  return record;
}

async function idle(harness: Harness, sessions: number): Promise<StdioMemoryRecord> {
  const record: StdioMemoryRecord = { kind: 'idle', requested: sessions };
  const setup = stdioGatewaySetup(1);
  setup.gatewayDefaults['MAX_SESSIONS'] = String(sessions * 2 + 10_000);
  try {
    await harness.withTarget('gateway', setup, async (target) => {
      await openLegacySession(target.mcpUrl);
      const before = await read(target);
      const label = `stdio memory: ${sessions} idle sessions`;
      log(`${label} (initialize + notifications/initialized)`);
      const result = await runLoad({
        origin: target.origin,
        connections: harness.options.connections,
        warmupSec: 0,
        amount: sessions * 2,
        maxSec: 300,
        requests: SESSION_PAIR,
        idReplacement: false,
      });
      harness.flagBadResponses(label, result);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const after = await read(target);
      perSession(record, before, after, result.sessionsCaptured);
      if (result.sessionsCaptured < sessions) harness.warnings.push(`${label}: only ${result.sessionsCaptured} were created`);
      if (after.processes !== before.processes) harness.warnings.push(`${label}: ${after.processes - before.processes} children were spawned (want none)`);
      log(`stdio memory: ${fmtInt(record.heapPerSession)} B gateway heap per idle session`);
    });
  } catch (error) {
    record.error = errorText(error);
  }
  return record;
}

export async function stdioMemoryFigures(harness: Harness): Promise<StdioMemoryRecord[]> {
  return [await live(harness, harness.options.stdioLive), await idle(harness, harness.options.stdioIdle)];
}

// The console report: one table per figure, the goals, then the warnings.
import { HEAP_LIVE_SERVER_IDLE_MS } from './figures/session-heap.js';
import type { BenchOptions } from './lib/cli-options.js';
import { fmtFactor, fmtInt, fmtMs, fmtShare, renderTable } from './lib/text-table.js';
import { ceilingOf, type FigureRecords, type GoalRecord, plainEchoRun } from './records.js';

/** One line per distinct failure reason, listing the rows it hit (keeps the tables narrow). */
function naNotes(rows: Array<{ label: string; error?: string | undefined }>): string[] {
  const byReason = new Map<string, string[]>();
  for (const row of rows) {
    if (row.error === undefined) continue;
    byReason.set(row.error, [...(byReason.get(row.error) ?? []), row.label]);
  }
  return [...byReason.entries()].map(([reason, labels]) => `  n/a ${labels.join(', ')}: ${reason}`);
}

export function printReport(options: BenchOptions, records: FigureRecords, goals: GoalRecord[], warnings: string[]): void {
  const { throughput, latency, heap, memory, inits, starts, stdio, upstream, upstreamLatency, stdioMemory, auth } = records;
  const out: string[] = [];
  const ceiling = plainEchoRun(throughput);

  if (throughput.length > 0) {
    out.push(
      `\ntools/call of echo, ${options.connections} connections (${options.warmupSec} s warm-up excluded, ${options.durationSec} s measured; "plain req/s" = plain-echo re-measured right after the row)`,
    );
    out.push(
      renderTable(
        [
          'target / mode',
          'req/s',
          'plain req/s',
          'vs plain-echo',
          'p50 ms',
          'p99 ms',
          'p50 vs plain',
          'server CPU',
          'load CPU',
          'other CPU',
          'non-2xx',
          'errors',
        ],
        throughput.map((record) => {
          const r = record.result;
          const label = `${record.target} ${record.mode}`;
          if (r === undefined) return [label, 'n/a', '', '', '', '', '', '', '', '', '', ''];
          const reference = ceilingOf(record, throughput);
          return [
            label,
            fmtInt(r.okPerSec),
            fmtInt(reference?.okPerSec),
            fmtShare(reference === undefined ? undefined : r.okPerSec / reference.okPerSec),
            fmtMs(r.latencyMs.p50),
            fmtMs(r.latencyMs.p99),
            fmtFactor(reference === undefined ? undefined : r.latencyMs.p50 / reference.latencyMs.p50),
            fmtShare(record.serverCpuShare),
            fmtShare(r.loadCpuShare),
            fmtShare(record.otherCpu),
            (r.non2xx > 0 ? '!! ' : '') + fmtInt(r.non2xx),
            fmtInt(r.errors + r.timeouts),
          ];
        }),
      ),
    );
    out.push(...naNotes(throughput.map((record) => ({ label: `${record.target} ${record.mode}`, error: record.error }))));
  }

  if (latency.length > 0) {
    out.push(`\ntools/call of echo, 1 connection (${options.latencyRounds} paired rounds of ${options.latencyRoundSec} s: target, then plain-echo; medians)`);
    out.push(
      renderTable(
        ['target / mode', 'p50 ms', 'p99 ms', 'plain p50 ms', 'added p50 ms', 'p50 vs plain', 'non-2xx'],
        latency.map((record) => {
          const label = `${record.target} ${record.mode}`;
          if (record.p50 === undefined) return [label, 'n/a', '', '', '', '', ''];
          return [
            label,
            fmtMs(record.p50),
            fmtMs(record.p99),
            fmtMs(record.plainP50),
            fmtMs(record.addedP50),
            fmtFactor(record.plainP50 === undefined ? undefined : record.p50 / record.plainP50),
            ((record.non2xx ?? 0) > 0 ? '!! ' : '') + fmtInt(record.non2xx),
          ];
        }),
      ),
    );
    out.push(...naNotes(latency.map((record) => ({ label: `${record.target} ${record.mode}`, error: record.error }))));
  }

  if (heap.length > 0) {
    out.push(
      `\nheap per idle legacy session (initialize + notifications/initialized, then heap after gc once idle; gateway with LIVE_SERVER_IDLE_MS=${HEAP_LIVE_SERVER_IDLE_MS})`,
    );
    out.push(
      renderTable(
        ['target', 'sessions', 'heap B/session', 'rss B/session', 'heap B/session just created', 'heap before MB', 'heap after MB', 'seconds', 'non-2xx'],
        heap.map((record) => {
          if (record.heapPerSession === undefined) return [record.target, fmtInt(record.requested), 'n/a', '', '', '', '', '', ''];
          return [
            record.target,
            fmtInt(record.sessions),
            fmtInt(record.heapPerSession),
            fmtInt(record.rssPerSession),
            fmtInt(record.heapPerSessionFresh),
            fmtMs((record.heapBefore ?? 0) / 1048576, 1),
            fmtMs((record.heapAfter ?? 0) / 1048576, 1),
            fmtMs(record.seconds, 1),
            fmtInt(record.result?.non2xx),
          ];
        }),
      ),
    );
    out.push(...naNotes(heap.map((record) => ({ label: record.target, error: record.error }))));
  }

  if (memory.length > 0) {
    const idle = heap.find((record) => record.target === 'gateway')?.heapPerSession;
    out.push('\ngateway heap per session by what it holds, and at the default cap on how many a process holds (heap after gc, fresh process each)');
    out.push(
      renderTable(
        ['session holds', 'sessions', 'heap B/session', 'rss B/session', 'cap', 'heap MB at cap'],
        [
          ...(idle === undefined ? [] : [['a record only (idle)', '', fmtInt(idle), '', 'MAX_SESSIONS 10000', fmtMs((idle * 10_000) / 1048576, 1)]]),
          ...memory.map((record) =>
            record.heapPerSession === undefined
              ? [record.kind, fmtInt(record.sessions), 'n/a', '', '', '']
              : [
                  record.kind,
                  fmtInt(record.sessions),
                  fmtInt(record.heapPerSession),
                  fmtInt(record.rssPerSession),
                  `${record.capVariable} ${fmtInt(record.capCount)}`,
                  fmtMs((record.heapPerSession * record.capCount) / 1048576, 1),
                ],
          ),
        ],
      ),
    );
    out.push(...naNotes(memory.map((record) => ({ label: record.kind, error: record.error }))));
  }

  const v1Inits = inits.find((record) => record.target === 'sdk-v1-express')?.initsPerSec;
  if (inits.length > 0) {
    out.push(`\nsession initializations per second, ${options.connections} connections (initialize only)`);
    out.push(
      renderTable(
        ['target', 'inits/s', 'vs sdk-v1-express', 'vs plain-echo req/s', 'p50 ms', 'server CPU', 'non-2xx'],
        inits.map((record) => {
          const r = record.result;
          if (r === undefined || record.initsPerSec === undefined) return [record.target, 'n/a', '', '', '', '', ''];
          return [
            record.target,
            fmtInt(record.initsPerSec),
            fmtFactor(v1Inits === undefined ? undefined : record.initsPerSec / v1Inits),
            fmtShare(ceiling === undefined ? undefined : record.initsPerSec / ceiling.okPerSec),
            fmtMs(r.latencyMs.p50),
            fmtShare(record.serverCpuShare),
            (r.non2xx > 0 ? '!! ' : '') + fmtInt(r.non2xx),
          ];
        }),
      ),
    );
    out.push(...naNotes(inits.map((record) => ({ label: record.target, error: record.error }))));
  }

  const plainStart = starts.find((record) => record.process.startsWith('plain'))?.medianMs;
  if (starts.length > 0) {
    out.push(`\nprocess start to first 200 from /healthz (median of ${options.starts}, polled every 5 ms)`);
    out.push(
      renderTable(
        ['process', 'median ms', 'vs plain node:http', 'runs ms'],
        starts.map((record) =>
          record.medianMs === undefined
            ? [record.process, 'n/a', '', '']
            : [
                record.process,
                fmtMs(record.medianMs, 1),
                fmtFactor(plainStart === undefined ? undefined : record.medianMs / plainStart),
                record.runsMs.map((ms) => ms.toFixed(0)).join(' '),
              ],
        ),
      ),
    );
    out.push(...naNotes(starts.map((record) => ({ label: record.process, error: record.error }))));
  }

  if (stdio.length > 0) {
    const sessions = stdio.find((record) => record.sessions !== undefined)?.sessions;
    out.push(
      `\nstdio bridges: tools/call of server-everything's echo, ${options.connections} connections (legacy-session spread over ${sessions ?? options.bridgeSessions} sessions; "bridge CPU" = the bridge's own process, "+children CPU" = with its stdio children, /proc; "plain req/s" = plain-echo right after the row)`,
    );
    out.push(
      renderTable(
        [
          'bridge / mode',
          'req/s',
          'plain req/s',
          'vs plain-echo',
          'p50 ms',
          'p99 ms',
          'bridge CPU',
          '+children CPU',
          'processes',
          'load CPU',
          'other CPU',
          'non-2xx',
          'errors',
        ],
        stdio.map((record) => {
          const r = record.result;
          const label = `${record.bridge} ${record.mode}`;
          if (r === undefined) return [label, 'n/a', '', '', '', '', '', '', '', '', '', '', ''];
          return [
            label,
            fmtInt(r.okPerSec),
            fmtInt(record.pairedCeiling?.okPerSec),
            fmtShare(record.pairedCeiling === undefined ? undefined : r.okPerSec / record.pairedCeiling.okPerSec),
            fmtMs(r.latencyMs.p50),
            fmtMs(r.latencyMs.p99),
            fmtShare(record.serverCpuShare),
            fmtShare(record.treeCpuShare),
            fmtInt(record.processes),
            fmtShare(r.loadCpuShare),
            fmtShare(record.otherCpu),
            (r.non2xx > 0 ? '!! ' : '') + fmtInt(r.non2xx),
            fmtInt(r.errors + r.timeouts),
          ];
        }),
      ),
    );
    out.push(...naNotes(stdio.map((record) => ({ label: `${record.bridge} ${record.mode}`, error: record.error }))));
  }

  if (upstream.length > 0) {
    const direct = upstream.find((record) => record.route === 'direct');
    const directShare = direct?.result === undefined || direct.pairedCeiling === undefined ? undefined : direct.result.okPerSec / direct.pairedCeiling.okPerSec;
    out.push(
      `\nupstream: tools/call of server-everything's echo in its HTTP mode, ${options.connections} connections over ${options.bridgeSessions} legacy sessions, the upstream on the server core (fresh per row; "vs direct" compares shares of each row's paired plain-echo)`,
    );
    out.push(
      renderTable(
        [
          'route',
          'req/s',
          'plain req/s',
          'vs plain-echo',
          'vs direct',
          'p50 ms',
          'p99 ms',
          'gateway CPU',
          'upstream CPU',
          'load CPU',
          'other CPU',
          'non-2xx',
          'errors',
        ],
        upstream.map((record) => {
          const r = record.result;
          if (r === undefined) return [record.route, 'n/a', '', '', '', '', '', '', '', '', '', '', ''];
          const share = record.pairedCeiling === undefined ? undefined : r.okPerSec / record.pairedCeiling.okPerSec;
          return [
            record.route,
            fmtInt(r.okPerSec),
            fmtInt(record.pairedCeiling?.okPerSec),
            fmtShare(share),
            fmtShare(share === undefined || directShare === undefined ? undefined : share / directShare),
            fmtMs(r.latencyMs.p50),
            fmtMs(r.latencyMs.p99),
            record.route === 'gateway' ? fmtShare(record.serverCpuShare) : '',
            fmtShare(record.upstreamCpuShare),
            fmtShare(r.loadCpuShare),
            fmtShare(record.otherCpu),
            (r.non2xx > 0 ? '!! ' : '') + fmtInt(r.non2xx),
            fmtInt(r.errors + r.timeouts),
          ];
        }),
      ),
    );
    out.push(...naNotes(upstream.map((record) => ({ label: record.route, error: record.error }))));
  }

  if (upstreamLatency.length > 0) {
    out.push(`\nupstream, 1 connection (${options.latencyRounds} paired rounds of ${options.latencyRoundSec} s: through the gateway, then directly; medians)`);
    out.push(
      renderTable(
        ['route', 'p50 ms', 'p99 ms', 'direct p50 ms', 'added p50 ms', 'non-2xx'],
        upstreamLatency.map((record) =>
          record.p50 === undefined
            ? ['gateway', 'n/a', '', '', '', '']
            : [
                'gateway',
                fmtMs(record.p50),
                fmtMs(record.p99),
                fmtMs(record.directP50),
                fmtMs(record.addedP50),
                ((record.non2xx ?? 0) > 0 ? '!! ' : '') + fmtInt(record.non2xx),
              ],
        ),
      ),
    );
    out.push(...naNotes(upstreamLatency.map((record) => ({ label: 'upstream @1', error: record.error }))));
  }

  if (stdioMemory.length > 0) {
    out.push(
      '\nmemory per stdio session (gateway hosting server-everything over stdio, fresh process per row; heap after gc; tree = the gateway and its children from /proc, PSS splits shared pages)',
    );
    out.push(
      renderTable(
        ['session', 'sessions', 'gateway heap B', 'gateway RSS B', 'tree RSS B', 'tree PSS B', 'processes before > after'],
        stdioMemory.map((record) => {
          const label = record.kind === 'live' ? 'live (its own child)' : 'idle (record only)';
          if (record.heapPerSession === undefined) return [label, fmtInt(record.requested), 'n/a', '', '', '', ''];
          return [
            label,
            fmtInt(record.sessions),
            fmtInt(record.heapPerSession),
            fmtInt(record.rssPerSession),
            fmtInt(record.treeRssPerSession),
            fmtInt(record.treePssPerSession),
            `${record.processesBefore} > ${record.processesAfter}`,
          ];
        }),
      ),
    );
    out.push(...naNotes(stdioMemory.map((record) => ({ label: record.kind, error: record.error }))));
  }

  const open = auth.find((record) => record.row === 'none')?.result?.okPerSec;
  if (auth.length > 0) {
    out.push(
      `\nwhat auth costs: gateway, 2026-07-28 tools/call echo, ${options.connections} connections (forged = random kids, a key never published; under-flood: a forged flood on as many connections beside it, its load worker on the same core)`,
    );
    out.push(
      renderTable(
        ['auth', 'valid req/s', 'vs none', 'p50 ms', 'server CPU', '401/s', 'JWKS fetches', 'non-2xx'],
        auth.map((record) => {
          const r = record.result;
          if (r === undefined) return [record.row, 'n/a', '', '', '', '', '', ''];
          const forged = record.row === 'oauth-forged';
          return [
            record.row,
            forged ? '' : fmtInt(r.okPerSec),
            forged || open === undefined ? '' : fmtShare(r.okPerSec / open),
            forged ? '' : fmtMs(r.latencyMs.p50),
            fmtShare(record.serverCpuShare),
            record.refusedPerSec === undefined ? '' : fmtInt(record.refusedPerSec),
            record.jwksFetches === undefined ? '' : fmtInt(record.jwksFetches),
            forged ? '' : (r.non2xx > 0 ? '!! ' : '') + fmtInt(r.non2xx),
          ];
        }),
      ),
    );
    out.push(...naNotes(auth.map((record) => ({ label: record.row, error: record.error }))));
  }

  if (records.storeCalls.length > 0) {
    const { storeCalls, storeTrips, storeRebuild } = records;
    const shareOf = (record: (typeof storeCalls)[number]) =>
      record.result === undefined || record.pairedCeiling === undefined ? undefined : record.result.okPerSec / record.pairedCeiling.okPerSec;
    const memory = storeCalls.find((record) => record.store === 'memory');
    const memoryShare = memory === undefined ? undefined : shareOf(memory);
    out.push(
      `\nsession store: tools/call of echo, ${options.connections} connections on one legacy session, the gateway on its memory store and on a real redis-server (loopback, on the server core beside the gateway; "vs memory" compares shares of each row's paired plain-echo)`,
    );
    out.push(
      renderTable(
        [
          'store',
          'req/s',
          'plain req/s',
          'vs plain-echo',
          'vs memory',
          'p50 ms',
          'p99 ms',
          'gateway CPU',
          'redis CPU',
          'load CPU',
          'other CPU',
          'non-2xx',
          'errors',
        ],
        storeCalls.map((record) => {
          const r = record.result;
          if (r === undefined) return [record.store, 'n/a', '', '', '', '', '', '', '', '', '', '', ''];
          const share = shareOf(record);
          return [
            record.store,
            fmtInt(r.okPerSec),
            fmtInt(record.pairedCeiling?.okPerSec),
            fmtShare(share),
            fmtShare(share === undefined || memoryShare === undefined ? undefined : share / memoryShare),
            fmtMs(r.latencyMs.p50),
            fmtMs(r.latencyMs.p99),
            fmtShare(record.serverCpuShare),
            record.store === 'redis' ? fmtShare(record.redisCpuShare) : '',
            fmtShare(r.loadCpuShare),
            fmtShare(record.otherCpu),
            (r.non2xx > 0 ? '!! ' : '') + fmtInt(r.non2xx),
            fmtInt(r.errors + r.timeouts),
          ];
        }),
      ),
    );
    out.push(...naNotes(storeCalls.map((record) => ({ label: record.store, error: record.error }))));
    out.push(
      '\nsession store: redis commands clients sent (MONITOR, a Lua script once) during sequential tools/calls on a session whose live server is cached',
    );
    out.push(
      renderTable(
        ['requests', 'commands', 'per request', 'by command'],
        storeTrips.map((record) =>
          record.perRequest === undefined
            ? [fmtInt(record.requests), 'n/a', '', '']
            : [
                fmtInt(record.requests),
                fmtInt(record.commands),
                record.perRequest.toFixed(2),
                Object.entries(record.byCommand ?? {})
                  .map(([command, count]) => `${command} ${count}`)
                  .join(', '),
              ],
        ),
      ),
    );
    out.push(...naNotes(storeTrips.map((record) => ({ label: 'round trips', error: record.error }))));
    out.push(
      '\nsession store: first tools/call of a session on a gateway that has never seen it (created on gateway A, called on gateway B on the same redis; client-side ms, one request at a time), and the second call (cached)',
    );
    out.push(
      renderTable(
        ['sessions', 'first p50 ms', 'first p99 ms', 'first max ms', 'cached p50 ms', 'cached p99 ms', 'failed'],
        storeRebuild.map((record) =>
          record.firstP50 === undefined
            ? [fmtInt(record.requested), 'n/a', '', '', '', '', '']
            : [
                fmtInt(record.sessions),
                fmtMs(record.firstP50),
                fmtMs(record.firstP99),
                fmtMs(record.firstMax),
                fmtMs(record.cachedP50),
                fmtMs(record.cachedP99),
                ((record.failed ?? 0) > 0 ? '!! ' : '') + fmtInt(record.failed),
              ],
        ),
      ),
    );
    out.push(...naNotes(storeRebuild.map((record) => ({ label: 'rebuild', error: record.error }))));
  }

  out.push('\ngoals');
  out.push(
    renderTable(
      ['goal', 'measured', 'status'],
      goals.map((goal) => [goal.goal, goal.measured, goal.status]),
    ),
  );

  if (warnings.length > 0) {
    out.push('\nwarnings');
    for (const warning of warnings) out.push(`- ${warning}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

// mcp-fargate benchmark: every figure in one process tree on this machine.
// Servers run in child processes pinned to core 0, the load generator (autocannon) in a child
// pinned to core 1. Prints tables and writes bench/results/<timestamp>.json. See bench/README.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchOptions, parseOptions, USAGE } from './lib/cli-options.js';
import { pinningAvailable } from './lib/core-pinning.js';
import { summariseProfile } from './lib/cpu-profile-summary.js';
import type { LoadRequest } from './lib/load-spec.js';
import { openLegacySession } from './lib/mcp-probe.js';
import type { TargetProcess } from './lib/target-process.js';
import { fmtFactor, fmtInt, fmtMs, fmtShare, renderTable } from './lib/text-table.js';
import { errorText, Harness, log } from './harness.js';
import type { CallRecord, GoalRecord, HeapRecord, InitRecord, LatencyRecord, StartRecord } from './records.js';
import { toolCallFigures } from './figures/tool-calls.js';
import { heapFigures, HEAP_LIVE_SERVER_IDLE_MS } from './figures/session-heap.js';
import { initFigures } from './figures/session-inits.js';
import { startFigures } from './figures/start-time.js';
import {
  CALL_SCENARIOS,
  CEILING,
  type CallScenario,
  INITIALIZE_FLOOD_GATEWAY,
  INITIALIZE_ONLY,
  selectedTargets,
  type TargetName,
  timedLoad,
} from './scenarios.js';

// ---------------------------------------------------------------------------------------------
// Report

function findCall(records: CallRecord[], target: TargetName, mode?: string): CallRecord | undefined {
  return records.find((record) => record.target === target && (mode === undefined || record.mode === mode));
}

/** One line per distinct failure reason, listing the rows it hit (keeps the tables narrow). */
function naNotes(rows: Array<{ label: string; error?: string | undefined }>): string[] {
  const byReason = new Map<string, string[]>();
  for (const row of rows) {
    if (row.error === undefined) continue;
    byReason.set(row.error, [...(byReason.get(row.error) ?? []), row.label]);
  }
  return [...byReason.entries()].map(([reason, labels]) => `  n/a ${labels.join(', ')}: ${reason}`);
}

function printReport(
  options: BenchOptions,
  throughput: CallRecord[],
  latency: LatencyRecord[],
  heap: HeapRecord[],
  inits: InitRecord[],
  starts: StartRecord[],
  warnings: string[],
): GoalRecord[] {
  const out: string[] = [];
  const ceiling = findCall(throughput, CEILING)?.result;

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
          const reference = record.pairedCeiling ?? ceiling;
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

  // Goals (the gateway's figures against the targets in bench/README.md).
  const goals: GoalRecord[] = [];
  const judge = (goal: string, value: number | undefined, text: string, ok: (value: number) => boolean): void => {
    goals.push(
      value === undefined || !Number.isFinite(value) ? { goal, measured: 'n/a', status: 'n/a' } : { goal, measured: text, status: ok(value) ? 'pass' : 'FAIL' },
    );
  };
  for (const mode of ['legacy-session', 'modern']) {
    const row = findCall(throughput, 'gateway', mode);
    const r = row?.result;
    const reference = row?.pairedCeiling ?? ceiling;
    const share = r === undefined || reference === undefined ? undefined : r.okPerSec / reference.okPerSec;
    judge(`gateway ${mode} tools/call >= 50% of plain-echo`, share, fmtShare(share), (v) => v >= 0.5);
  }
  for (const mode of ['legacy-session', 'modern']) {
    const added = latency.find((record) => record.target === 'gateway' && record.mode === mode)?.addedP50;
    judge(`gateway ${mode} added p50 @1 <= 0.2 ms`, added, `${fmtMs(added)} ms`, (v) => v <= 0.2);
  }
  const gatewayHeap = heap.find((record) => record.target === 'gateway')?.heapPerSession;
  judge('gateway heap per idle session <= 2 KB', gatewayHeap, `${fmtInt(gatewayHeap)} B`, (v) => v <= 2048);
  const gatewayInits = inits.find((record) => record.target === 'gateway')?.initsPerSec;
  const initFactor = gatewayInits === undefined || v1Inits === undefined ? undefined : gatewayInits / v1Inits;
  judge('gateway inits/s >= 10x sdk-v1-express', initFactor, fmtFactor(initFactor), (v) => v >= 10);
  const gatewayStart = starts.find((record) => record.process.startsWith('gateway'))?.medianMs;
  judge('gateway start to /healthz 200 <= 300 ms', gatewayStart, `${fmtMs(gatewayStart, 1)} ms`, (v) => v <= 300);
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
  return goals;
}

// ---------------------------------------------------------------------------------------------
// Profiling mode

/** Scenarios --cpu-prof accepts: every tools/call scenario, plus initialize floods on the session servers. */
function profileScenarios(): CallScenario[] {
  const initialize = async (target: TargetProcess): Promise<LoadRequest[]> => {
    await openLegacySession(target.mcpUrl);
    return INITIALIZE_ONLY;
  };
  return [
    ...CALL_SCENARIOS,
    { target: 'gateway', mode: 'initialize', prepare: initialize, uniqueIds: false },
    { target: 'sdk-v1-express', mode: 'initialize', prepare: initialize, uniqueIds: false },
  ];
}

async function profile(harness: Harness, spec: string, resultsDir: string, stamp: string): Promise<void> {
  const { options } = harness;
  const [name, mode] = spec.split(':');
  const candidates = profileScenarios();
  const scenario = candidates.find((candidate) => candidate.target === name && (mode === undefined || candidate.mode === mode));
  if (scenario === undefined) {
    throw new Error(`--cpu-prof wants target:mode, one of ${candidates.map((s) => `${s.target}:${s.mode}`).join(', ')}`);
  }
  const dir = join(resultsDir, `prof-${stamp}-${scenario.target}-${scenario.mode}`);
  mkdirSync(dir, { recursive: true });
  // Writing the .cpuprofile on exit takes longer than a plain stop allows.
  const setup = {
    gatewayDefaults: scenario.mode === 'initialize' ? INITIALIZE_FLOOD_GATEWAY : {},
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir],
    stopGraceMs: 20_000,
  };
  const result = await harness.withTarget(scenario.target, setup, async (target) => {
    const requests = await scenario.prepare(target);
    log(`profiling ${scenario.target} ${scenario.mode} @${options.connections}: ${options.warmupSec + options.durationSec} s`);
    const { result } = await harness.measure(target, timedLoad({ target, requests, uniqueIds: scenario.uniqueIds }, options), 'profile');
    return result;
  });
  const file = readdirSync(dir).find((entry) => entry.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile written to ${dir}`);
  const summary = summariseProfile(join(dir, file), 15);
  const lines = [
    `\nCPU profile of ${scenario.target} ${scenario.mode} under ${options.connections} connections: ${fmtInt(result.okPerSec)} req/s while profiled, ${(summary.idleShare * 100).toFixed(1)}% of samples idle`,
    `profile: ${join(dir, file)}`,
    '\ntop self time by function',
    renderTable(
      ['function', 'self ms', 'share'],
      summary.functions.map((entry) => [entry.name, fmtMs(entry.ms, 0), fmtShare(entry.share)]),
    ),
    '\ntop self time by package',
    renderTable(
      ['package', 'self ms', 'share'],
      summary.packages.map((entry) => [entry.name, fmtMs(entry.ms, 0), fmtShare(entry.share)]),
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'summary.json'), JSON.stringify({ scenario: spec, result, summary }, null, 2));
}

// ---------------------------------------------------------------------------------------------
// Main

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${errorText(error)}\n\n${USAGE}`);
    process.exit(2);
  }
  const resultsDir = options.outDir ?? fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(resultsDir, { recursive: true });
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const harness = new Harness(options);
  if (!pinningAvailable()) harness.warnings.push('taskset or a second core is missing: servers and load generator are NOT pinned');

  if (options.cpuProf !== undefined) {
    await profile(harness, options.cpuProf, resultsDir, stamp);
    return;
  }

  const targets = selectedTargets(options);
  const figures = new Set(options.figures);
  log(`node ${process.version}, ${availableParallelism()} cores, pinning ${pinningAvailable() ? 'on (servers core 0, load core 1)' : 'OFF'}`);

  const { throughput, latency } =
    figures.has('throughput') || figures.has('latency') ? await toolCallFigures(harness, targets, figures) : { throughput: [], latency: [] };
  const heap = figures.has('heap') ? await heapFigures(harness, targets) : [];
  const inits = figures.has('inits') ? await initFigures(harness, targets) : [];
  const starts = figures.has('start') ? await startFigures(harness, targets) : [];

  const goals = printReport(options, throughput, latency, heap, inits, starts, harness.warnings);
  const file = join(resultsDir, `${stamp}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        version: 1,
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        commit: gitCommit(),
        machine: {
          node: process.version,
          cpu: cpus()[0]?.model,
          cores: availableParallelism(),
          memoryMB: Math.round(totalmem() / 1048576),
          pinned: pinningAvailable(),
        },
        options,
        throughput,
        latency,
        heap,
        inits,
        starts,
        goals,
        warnings: harness.warnings,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`\nresults: ${file}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});

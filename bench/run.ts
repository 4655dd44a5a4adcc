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
import { fmtInt, fmtMs, fmtShare, renderTable } from './lib/text-table.js';
import { errorText, Harness, log } from './harness.js';
import { judgeGoals } from './goals.js';
import type { FigureRecords } from './records.js';
import { printReport } from './report.js';
import { toolCallFigures } from './figures/tool-calls.js';
import { heapFigures } from './figures/session-heap.js';
import { initFigures } from './figures/session-inits.js';
import { startFigures } from './figures/start-time.js';
import { CALL_SCENARIOS, type CallScenario, INITIALIZE_FLOOD_GATEWAY, INITIALIZE_ONLY, selectedTargets, timedLoad } from './scenarios.js';

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

  const records: FigureRecords = { throughput, latency, heap, inits, starts };
  const goals = judgeGoals(records);
  printReport(options, records, goals, harness.warnings);
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

// mcp-fargate benchmark: every figure in one process tree on this machine.
// Servers run in child processes pinned to core 0, the load generator (autocannon) in a child
// pinned to core 1. Prints tables and writes bench/results/<timestamp>.json. See bench/README.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { heapFigures } from './figures/session-heap.js';
import { memoryFigures } from './figures/session-memory.js';
import { initFigures } from './figures/session-inits.js';
import { storeFigures } from './figures/session-store.js';
import { startFigures } from './figures/start-time.js';
import { stdioFigures } from './figures/stdio-bridge.js';
import { stdioMemoryFigures } from './figures/stdio-memory.js';
import { toolCallFigures } from './figures/tool-calls.js';
import { upstreamFigures } from './figures/upstream-proxy.js';
import { authFigures } from './figures/auth-cost.js';
import { renderChart } from './chart.js';
import { compareWithCommitted } from './compare.js';
import { judgeGoals } from './goals.js';
import { errorText, Harness, log } from './harness.js';
import { type BenchOptions, FIGURES, parseOptions, USAGE } from './lib/cli-options.js';
import { pinningAvailable } from './lib/core-pinning.js';
import { profile } from './profile.js';
import type { FigureRecords, Results } from './records.js';
import { printReport } from './report.js';
import { selectedTargets } from './scenarios.js';

/** The committed results every run is compared with, and which a full run replaces (with its chart). */
const LATEST = 'bench/results/latest.json';
const LATEST_CHART = 'bench/results/latest.svg';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The results as last committed (not as a run since may have left them in the working tree). */
function committedResults(): Results | undefined {
  try {
    return JSON.parse(
      execFileSync('git', ['show', `HEAD:${LATEST}`], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 }),
    ) as Results;
  } catch {
    return undefined;
  }
}

/** Only a full run with the default figures and targets may stand for the project's numbers. */
function isFullRun(options: BenchOptions): boolean {
  return !options.quick && options.targets === undefined && options.figures.length === FIGURES.length && options.outDir === undefined;
}

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
  const memory = figures.has('memory') && targets.has('gateway') ? await memoryFigures(harness) : [];
  const inits = figures.has('inits') ? await initFigures(harness, targets) : [];
  const starts = figures.has('start') ? await startFigures(harness, targets) : [];
  const stdio = figures.has('stdio') ? await stdioFigures(harness, targets) : [];
  const { upstream, upstreamLatency } =
    figures.has('upstream') && targets.has('gateway') ? await upstreamFigures(harness) : { upstream: [], upstreamLatency: [] };
  const stdioMemory = figures.has('stdio-memory') && targets.has('gateway') ? await stdioMemoryFigures(harness) : [];
  const auth = figures.has('auth') && targets.has('gateway') ? await authFigures(harness) : [];
  const store = figures.has('store') && targets.has('gateway') ? await storeFigures(harness) : { storeCalls: [], storeTrips: [], storeRebuild: [] };

  const records: FigureRecords = { throughput, latency, heap, memory, inits, starts, stdio, upstream, upstreamLatency, stdioMemory, auth, ...store };
  const goals = judgeGoals(records);
  printReport(options, records, goals, harness.warnings);
  const results: Results = {
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
    memory,
    inits,
    starts,
    stdio,
    upstream,
    upstreamLatency,
    stdioMemory,
    auth,
    ...store,
    goals,
    warnings: harness.warnings,
  };
  process.stdout.write(`\n${compareWithCommitted(committedResults(), records)}`);
  const file = join(resultsDir, `${stamp}.json`);
  const json = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(file, json);
  process.stdout.write(`\nresults: ${file}\n`);
  const chart = renderChart(
    records,
    `${results.startedAt.slice(0, 10)}, ${results.commit ?? 'uncommitted'}, node ${process.version}, ${results.machine.cores} cores`,
  );
  if (isFullRun(options)) {
    writeFileSync(join(ROOT, LATEST), json);
    if (chart !== undefined) writeFileSync(join(ROOT, LATEST_CHART), chart);
    process.stdout.write(`a full run: ${LATEST} and ${LATEST_CHART} replaced; commit them so the next run compares with this one\n`);
  } else if (chart !== undefined) {
    writeFileSync(join(resultsDir, `${stamp}.svg`), chart);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});

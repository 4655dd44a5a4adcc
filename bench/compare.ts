// "Nothing gets slower": a run against the last committed results (bench/results/latest.json). Every figure is
// compared as the ratio or difference the goals use (shares of the plain node:http run beside it, added
// milliseconds), never as raw req/s, which drift with the VM from one run to the next.
import { renderTable } from './lib/text-table.js';
import { ceilingOf, type FigureRecords, type Results } from './records.js';

interface Figure {
  value: number;
  /** Which way is better. */
  better: 'higher' | 'lower';
  /** How the value prints. */
  unit: '%' | 'ms' | 'B' | 'x';
}

/** Moves smaller than this (relative) are noise on this machine: runs of the same commit differ by about as much. */
const RELATIVE_NOISE = 0.1;
/** Below this, a move in milliseconds is timer and wake-up jitter. */
const ABSOLUTE_NOISE_MS = 0.05;

/** The figures of a run by a stable name, as the goals read them. */
export function keyFigures(records: FigureRecords): Map<string, Figure> {
  const figures = new Map<string, Figure>();
  const set = (name: string, value: number | undefined, better: Figure['better'], unit: Figure['unit']): void => {
    if (value !== undefined && Number.isFinite(value)) figures.set(name, { value, better, unit });
  };
  for (const row of records.throughput) {
    const ceiling = ceilingOf(row, records.throughput);
    if (row.result === undefined || ceiling === undefined || row.target === 'plain-echo') continue;
    set(`${row.target} ${row.mode} req/s share of plain`, row.result.okPerSec / ceiling.okPerSec, 'higher', '%');
    // A row with no answered request has no p99 (NaN in the run, null once written as JSON).
    if (row.result.okPerSec > 0) set(`${row.target} ${row.mode} p99 over plain's`, row.result.latencyMs.p99 / ceiling.latencyMs.p99, 'lower', 'x');
  }
  for (const row of records.latency) set(`${row.target} ${row.mode} added p50 @1`, row.addedP50, 'lower', 'ms');
  for (const row of records.heap) set(`${row.target} heap per idle session`, row.heapPerSession, 'lower', 'B');
  for (const row of records.memory) set(`gateway heap per session: ${row.kind}`, row.heapPerSession, 'lower', 'B');
  const v1 = records.inits.find((row) => row.target === 'sdk-v1-express')?.initsPerSec;
  const gatewayInits = records.inits.find((row) => row.target === 'gateway')?.initsPerSec;
  if (v1 !== undefined && gatewayInits !== undefined && v1 > 0) set('gateway inits/s over sdk-v1-express', gatewayInits / v1, 'higher', 'x');
  const plainStart = records.starts.find((row) => row.process.startsWith('plain'))?.medianMs;
  const gatewayStart = records.starts.find((row) => row.process.startsWith('gateway'))?.medianMs;
  if (plainStart !== undefined && gatewayStart !== undefined) set('gateway start added over plain node:http', gatewayStart - plainStart, 'lower', 'ms');
  for (const row of records.stdio) {
    if (row.result !== undefined && row.pairedCeiling !== undefined) {
      set(`stdio ${row.bridge} ${row.mode} req/s share of plain`, row.result.okPerSec / row.pairedCeiling.okPerSec, 'higher', '%');
    }
  }
  const upstreamShare = (route: string): number | undefined => {
    const row = records.upstream.find((candidate) => candidate.route === route);
    return row?.result === undefined || row.pairedCeiling === undefined ? undefined : row.result.okPerSec / row.pairedCeiling.okPerSec;
  };
  const through = upstreamShare('gateway');
  const direct = upstreamShare('direct');
  if (through !== undefined && direct !== undefined && direct > 0) set('upstream through the gateway over direct', through / direct, 'higher', '%');
  set('upstream added p50 @1', records.upstreamLatency[0]?.addedP50, 'lower', 'ms');
  for (const row of records.stdioMemory) set(`stdio ${row.kind} session PSS`, row.treePssPerSession, 'lower', 'B');
  return figures;
}

function shown(value: number, unit: Figure['unit']): string {
  switch (unit) {
    case '%':
      return `${(value * 100).toFixed(1)}%`;
    case 'ms':
      return `${value.toFixed(3)} ms`;
    case 'B':
      return `${Math.round(value).toLocaleString('en-US')} B`;
    case 'x':
      return `${value.toFixed(2)}x`;
  }
}

function moved(before: Figure, after: Figure): 'better' | 'worse' | undefined {
  const delta = after.value - before.value;
  const noise = after.unit === 'ms' ? Math.max(ABSOLUTE_NOISE_MS, Math.abs(before.value) * RELATIVE_NOISE) : Math.abs(before.value) * RELATIVE_NOISE;
  if (Math.abs(delta) <= noise) return undefined;
  return delta > 0 === (after.better === 'higher') ? 'better' : 'worse';
}

/** The report's last section: what moved since the committed results, beyond the noise of this machine. */
export function compareWithCommitted(committed: Results | undefined, current: FigureRecords): string {
  if (committed === undefined) return 'compared with the last committed results: none committed yet (bench/results/latest.json)\n';
  const before = keyFigures(committed);
  const after = keyFigures(current);
  const rows: string[][] = [];
  let unchanged = 0;
  for (const [name, figure] of after) {
    const old = before.get(name);
    if (old === undefined) continue;
    const direction = moved(old, figure);
    if (direction === undefined) unchanged += 1;
    else rows.push([name, shown(old.value, old.unit), shown(figure.value, figure.unit), direction === 'worse' ? 'WORSE' : 'better']);
  }
  const head = `compared with the last committed results (${committed.commit ?? 'unknown commit'}, ${committed.startedAt}): ${rows.length} moved by more than ${RELATIVE_NOISE * 100}%, ${unchanged} within it\n`;
  return rows.length === 0 ? head : `${head}${renderTable(['figure', 'committed', 'now', 'moved'], rows)}\n`;
}

// The run as a picture (bench/results/latest.svg, shown in the root README): per row, throughput as a share of
// the plain node:http ceiling measured beside it, and p99 at 32 connections. Plain SVG written here: a chart
// library would be a dependency for two bar panels.
import type { LoadResult } from './lib/load-spec.js';
import { ceilingOf, type FigureRecords } from './records.js';

interface Bar {
  group: string;
  label: string;
  /** req/s over the row's own plain-echo run. */
  share: number;
  okPerSec: number;
  /** Undefined when no request succeeded (no latency to show). */
  p99Ms: number | undefined;
  /** The gateway's rows stand out; peers and baselines are grey. */
  kind: 'ceiling' | 'gateway' | 'other';
}

const ROW_HEIGHT = 22;
const LABEL_WIDTH = 250;
const PANEL_WIDTH = 330;
const GAP = 40;
const TOP = 64;
const COLOURS = { ceiling: '#6b7280', gateway: '#2563eb', other: '#9ca3af' } as const;

/** The rows the chart shows, in the order a reader compares them: ceiling, gateway, SDK hosting, bridges, upstream. */
export function chartBars(records: FigureRecords): Bar[] {
  const bars: Bar[] = [];
  const add = (group: string, label: string, kind: Bar['kind'], result: LoadResult | undefined, ceiling: LoadResult | undefined): void => {
    if (result === undefined || ceiling === undefined || ceiling.okPerSec <= 0) return;
    const p99 = result.latencyMs?.p99;
    bars.push({ group, label, kind, share: result.okPerSec / ceiling.okPerSec, okPerSec: result.okPerSec, p99Ms: Number.isFinite(p99) ? p99 : undefined });
  };
  for (const row of records.throughput) {
    const kind = row.target === 'plain-echo' ? 'ceiling' : row.target === 'gateway' ? 'gateway' : 'other';
    const label = row.target === 'plain-echo' ? 'plain node:http (ceiling)' : `${row.target} ${row.mode}`;
    add('in-process echo', label, kind, row.result, ceilingOf(row, records.throughput));
  }
  for (const row of records.stdio) {
    add('stdio: server-everything', `${row.bridge} ${row.mode}`, row.bridge === 'gateway' ? 'gateway' : 'other', row.result, row.pairedCeiling);
  }
  for (const row of records.upstream) {
    add(
      'upstream: server-everything HTTP',
      row.route === 'gateway' ? `through the gateway ${row.mode}` : `direct ${row.mode}`,
      row.route === 'gateway' ? 'gateway' : 'other',
      row.result,
      row.pairedCeiling,
    );
  }
  return bars;
}

function xmlText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** p99 on a log scale: the rows span 1 ms to seconds, and a linear axis would flatten all but the slowest. */
function p99Width(ms: number, maxMs: number): number {
  const low = 0.1;
  const span = Math.log10(maxMs / low);
  return span <= 0 ? 0 : Math.max(2, (Math.log10(Math.max(ms, low) / low) / span) * PANEL_WIDTH);
}

export function renderChart(records: FigureRecords, caption: string): string | undefined {
  const bars = chartBars(records);
  if (bars.length === 0) return undefined;
  const groups = [...new Set(bars.map((bar) => bar.group))];
  const height = TOP + (bars.length + groups.length) * ROW_HEIGHT + 30;
  const width = LABEL_WIDTH + 2 * PANEL_WIDTH + GAP + 110;
  const maxShare = Math.max(1, ...bars.map((bar) => bar.share));
  const maxP99 = Math.max(1, ...bars.map((bar) => bar.p99Ms ?? 0));
  const shareX = LABEL_WIDTH;
  const p99X = LABEL_WIDTH + PANEL_WIDTH + GAP + 50;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">tools/call at 32 connections</text>`,
    `<text x="10" y="38" fill="#4b5563">${xmlText(caption)}</text>`,
    `<text x="${shareX}" y="${TOP - 8}" font-weight="bold">req/s as a share of plain node:http (same run)</text>`,
    `<text x="${p99X}" y="${TOP - 8}" font-weight="bold">p99 latency (ms, log scale)</text>`,
  ];
  const halfX = shareX + (0.5 / maxShare) * PANEL_WIDTH;
  out.push(`<line x1="${halfX}" y1="${TOP}" x2="${halfX}" y2="${height - 24}" stroke="#dc2626" stroke-dasharray="4 3"/>`);
  out.push(`<text x="${halfX + 3}" y="${height - 12}" fill="#dc2626">50% goal</text>`);
  let y = TOP;
  for (const group of groups) {
    out.push(`<text x="10" y="${y + 15}" font-weight="bold" fill="#111827">${xmlText(group)}</text>`);
    y += ROW_HEIGHT;
    for (const bar of bars.filter((candidate) => candidate.group === group)) {
      const colour = COLOURS[bar.kind];
      const shareWidth = Math.max(2, (bar.share / maxShare) * PANEL_WIDTH);
      out.push(`<text x="20" y="${y + 15}">${xmlText(bar.label)}</text>`);
      out.push(`<rect x="${shareX}" y="${y + 4}" width="${shareWidth.toFixed(1)}" height="${ROW_HEIGHT - 8}" fill="${colour}"/>`);
      out.push(
        `<text x="${(shareX + shareWidth + 4).toFixed(1)}" y="${y + 15}">${(bar.share * 100).toFixed(1)}% (${Math.round(bar.okPerSec).toLocaleString('en-US')}/s)</text>`,
      );
      if (bar.p99Ms === undefined) {
        out.push(`<text x="${p99X}" y="${y + 15}">n/a (no request answered)</text>`);
      } else {
        const width99 = p99Width(bar.p99Ms, maxP99);
        out.push(`<rect x="${p99X}" y="${y + 4}" width="${width99.toFixed(1)}" height="${ROW_HEIGHT - 8}" fill="${colour}"/>`);
        out.push(`<text x="${(p99X + width99 + 4).toFixed(1)}" y="${y + 15}">${bar.p99Ms.toFixed(bar.p99Ms < 10 ? 2 : 0)}</text>`);
      }
      y += ROW_HEIGHT;
    }
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

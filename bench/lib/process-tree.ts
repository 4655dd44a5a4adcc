// A process and its descendants, read from /proc: the CPU and memory of a server together with the children it
// spawned (stdio servers, a CLI under its target wrapper), which process.cpuUsage() and memoryUsage() do not see.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export interface TreeUsage {
  /** Processes in the tree, the root included. */
  processes: number;
  /**
   * User + system CPU time of the tree's processes and of the descendants they have reaped, in milliseconds: a child
   * that exits moves its time into its parent's cutime/cstime, so the sum stays whole while children come and go.
   */
  cpuMs: number;
  /** Sum of the processes' resident sets: pages shared between them (the node binary, libraries) count once per process. */
  rssBytes: number;
  /** Sum of proportional set sizes (shared pages split between their users): the tree's real share of memory. NaN where unreadable. */
  pssBytes: number;
}

function sysconf(name: string, fallback: number): number {
  try {
    const value = Number(execFileSync('getconf', [name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return Number.isFinite(value) && value > 0 ? value : fallback;
  } catch {
    return fallback;
  }
}

let units: { tickMs: number; pageBytes: number } | undefined;

function procUnits(): { tickMs: number; pageBytes: number } {
  units ??= { tickMs: 1000 / sysconf('CLK_TCK', 100), pageBytes: sysconf('PAGESIZE', 4096) };
  return units;
}

export function procAvailable(): boolean {
  return existsSync('/proc/self/stat');
}

interface Stat {
  pid: number;
  ppid: number;
  /** utime + stime, clock ticks. */
  ticks: number;
  /** cutime + cstime: the reaped children's, clock ticks. */
  childTicks: number;
  rssPages: number;
}

/** /proc/<pid>/stat, or undefined when the process is gone. The command name may hold spaces and parentheses: fields start after the last ')'. */
function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // proc(5): field 4 is ppid, 14 utime, 15 stime, 16 cutime, 17 cstime, 24 rss; `fields` starts at field 3 (state).
  const field = (n: number): number => Number(fields[n - 3]);
  return { pid, ppid: field(4), ticks: field(14) + field(15), childTicks: field(16) + field(17), rssPages: field(24) };
}

function readPssBytes(pid: number): number {
  try {
    const match = /^Pss:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return match === null ? Number.NaN : Number(match[1]) * 1024;
  } catch {
    return Number.NaN;
  }
}

/** `root` and every live descendant (one scan of /proc: children are found by their parent pid). */
function treeStats(root: number): Stat[] {
  const byParent = new Map<number, Stat[]>();
  let rootStat: Stat | undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat === undefined) continue;
    if (stat.pid === root) rootStat = stat;
    const siblings = byParent.get(stat.ppid);
    if (siblings === undefined) byParent.set(stat.ppid, [stat]);
    else siblings.push(stat);
  }
  if (rootStat === undefined) return [];
  const tree: Stat[] = [rootStat];
  for (let index = 0; index < tree.length; index++) {
    tree.push(...(byParent.get((tree[index] as Stat).pid) ?? []));
  }
  return tree;
}

/** The pids of `root`'s live descendants (not `root` itself). */
export function descendants(root: number): number[] {
  return treeStats(root)
    .slice(1)
    .map((stat) => stat.pid);
}

/**
 * CPU and memory of `root` and its live descendants. A child between its exit and its parent's wait is missing from
 * the CPU sum for that moment; an orphan re-parented away from the tree is missing for good. `withPss` reads
 * smaps_rollup of each process (slower: for memory figures, not per load run).
 */
export function treeUsage(root: number, withPss = false): TreeUsage {
  const { tickMs, pageBytes } = procUnits();
  const tree = treeStats(root);
  let ticks = 0;
  let rssPages = 0;
  let pssBytes = withPss ? 0 : Number.NaN;
  for (const stat of tree) {
    ticks += stat.ticks + stat.childTicks;
    rssPages += stat.rssPages;
    if (withPss) pssBytes += readPssBytes(stat.pid);
  }
  return { processes: tree.length, cpuMs: ticks * tickMs, rssBytes: rssPages * pageBytes, pssBytes };
}

/** CPU time of one process alone (not its children), in milliseconds; NaN when it is gone. */
export function processCpuMs(pid: number): number {
  const stat = readStat(pid);
  return stat === undefined ? Number.NaN : stat.ticks * procUnits().tickMs;
}

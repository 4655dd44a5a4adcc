// Machine-wide CPU use from os.cpus() tick counters: used to show how much CPU processes other than
// the benchmark's own took during a measured run (other people's builds and tests skew the figures).
import { cpus } from 'node:os';

export interface CpuTicks {
  busyMs: number;
  at: number;
}

export function machineTicks(): CpuTicks {
  let busy = 0;
  for (const cpu of cpus()) {
    const { user, nice, sys, irq } = cpu.times;
    busy += user + nice + sys + irq;
  }
  return { busyMs: busy, at: performance.now() };
}

/** Cores' worth of CPU in use across the machine between two snapshots (2 = both cores saturated). */
export function coresBusy(start: CpuTicks, end: CpuTicks): number {
  const wall = end.at - start.at;
  return wall <= 0 ? Number.NaN : (end.busyMs - start.busyMs) / wall;
}

/**
 * Wait (bounded) until the machine is quiet: less than `thresholdCores` of CPU in use over a 500 ms
 * sample. Called between runs, when the benchmark's own processes are idle, so what it sees is other
 * people's work. Returns how long it waited and the last sample.
 */
export async function waitForQuiet(maxWaitMs: number, thresholdCores = 0.15): Promise<{ waitedMs: number; busy: number }> {
  const started = performance.now();
  let busy = Number.NaN;
  do {
    const before = machineTicks();
    await new Promise((resolve) => setTimeout(resolve, 500));
    busy = coresBusy(before, machineTicks());
    if (busy < thresholdCores) break;
  } while (performance.now() - started < maxWaitMs);
  return { waitedMs: performance.now() - started, busy };
}

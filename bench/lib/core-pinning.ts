// CPU pinning: servers on core 0, load generator on core 1 (taskset), when the machine allows it.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export const SERVER_CORE = 0;
export const LOAD_CORE = 1;

let cached: boolean | undefined;

/** Whether `taskset` exists and there are at least two cores to pin to. */
export function pinningAvailable(): boolean {
  if (cached === undefined) {
    const probe = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    cached = probe.status === 0 && availableParallelism() >= 2;
  }
  return cached;
}

/** The command and arguments that run `node <nodeArgs...>` pinned to `core` (unpinned as a fallback). */
export function pinnedNode(core: number, nodeArgs: string[]): { command: string; args: string[] } {
  if (pinningAvailable()) {
    return { command: 'taskset', args: ['-c', String(core), process.execPath, ...nodeArgs] };
  }
  return { command: process.execPath, args: nodeArgs };
}

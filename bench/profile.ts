// Profiling mode (--cpu-prof): where a target spends its CPU under load. Profiling slows the target, so
// nothing here is comparable with the figures.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { summariseProfile } from './lib/cpu-profile-summary.js';
import { fmtInt, fmtMs, fmtShare, renderTable } from './lib/text-table.js';
import { type Harness, log } from './harness.js';
import { CALL_SCENARIOS, type CallScenario, INITIALIZE_FLOOD_GATEWAY, initializeFlood, timedLoad } from './scenarios.js';

/** Scenarios --cpu-prof accepts: every tools/call scenario, plus initialize floods on the session servers. */
const PROFILE_SCENARIOS: CallScenario[] = [
  ...CALL_SCENARIOS,
  { target: 'gateway', mode: 'initialize', prepare: initializeFlood, uniqueIds: false },
  { target: 'sdk-v1-express', mode: 'initialize', prepare: initializeFlood, uniqueIds: false },
];

/** Instead of the figures: one scenario under load in a target run with --cpu-prof, and its top self time. */
export async function profile(harness: Harness, spec: string, resultsDir: string, stamp: string): Promise<void> {
  const { options } = harness;
  const [name, mode] = spec.split(':');
  const scenario = PROFILE_SCENARIOS.find((candidate) => candidate.target === name && (mode === undefined || candidate.mode === mode));
  if (scenario === undefined) {
    throw new Error(`--cpu-prof wants target:mode, one of ${PROFILE_SCENARIOS.map((s) => `${s.target}:${s.mode}`).join(', ')}`);
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

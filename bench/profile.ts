// Profiling mode (--cpu-prof): where a target spends its CPU under load. Profiling slows the target, so
// nothing here is comparable with the figures.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withUpstream } from './figures/upstream-proxy.js';
import { summariseProfile } from './lib/cpu-profile-summary.js';
import type { LoadResult } from './lib/load-spec.js';
import type { TargetProcess } from './lib/target-process.js';
import { fmtInt, fmtMs, fmtShare, renderTable } from './lib/text-table.js';
import { type Harness, log } from './harness.js';
import {
  CALL_SCENARIOS,
  type CallScenario,
  INITIALIZE_FLOOD_GATEWAY,
  initializeFlood,
  type Prepared,
  prepareLegacySessions,
  prepareModern,
  stdioGatewaySetup,
  timedLoad,
} from './scenarios.js';

/** Node flags of the profiled process, and the time it gets to write its profile on stop. */
interface Profiled {
  nodeArgs: string[];
  stopGraceMs: number;
}

/** Load `prepared`; `alongside` are processes the profiled one works with (their CPU is not interference). */
type Work = (prepared: Prepared, alongside?: TargetProcess[]) => Promise<LoadResult>;

interface ProfileScenario {
  /** `target:mode`, as --cpu-prof names it. */
  name: string;
  /** Starts the profiled process (and what it needs), prepares the load and hands it to `work`. */
  run(harness: Harness, profiled: Profiled, work: Work): Promise<LoadResult>;
}

function ofCallScenario(scenario: CallScenario): ProfileScenario {
  return {
    name: `${scenario.target}:${scenario.mode}`,
    run: (harness, profiled, work) =>
      harness.withTarget(scenario.target, { gatewayDefaults: scenario.mode === 'initialize' ? INITIALIZE_FLOOD_GATEWAY : {}, ...profiled }, async (target) =>
        work({ target, requests: await scenario.prepare(target), uniqueIds: scenario.uniqueIds }),
      ),
  };
}

/**
 * Scenarios --cpu-prof accepts: every tools/call scenario, initialize floods on the session servers, and the gateway
 * hosting server-everything over stdio (both eras) and as an upstream (legacy sessions), as the stdio and upstream
 * figures run them. Only the gateway process is profiled, not its children or the upstream.
 */
function profileScenarios(harness: Harness): ProfileScenario[] {
  const sessions = harness.options.bridgeSessions;
  return [
    ...[
      ...CALL_SCENARIOS,
      { target: 'gateway', mode: 'initialize', prepare: initializeFlood, uniqueIds: false } satisfies CallScenario,
      { target: 'sdk-v1-express', mode: 'initialize', prepare: initializeFlood, uniqueIds: false } satisfies CallScenario,
    ].map(ofCallScenario),
    ...(['legacy-session', 'modern'] as const).map(
      (mode): ProfileScenario => ({
        name: `gateway-stdio:${mode}`,
        run: (h, profiled, work) =>
          h.withTarget('gateway', { ...stdioGatewaySetup(sessions), ...profiled }, async (target) =>
            work(mode === 'modern' ? await prepareModern(target) : await prepareLegacySessions(target, sessions)),
          ),
      }),
    ),
    {
      name: 'gateway-upstream:legacy-session',
      run: (h, profiled, work) =>
        withUpstream(h, 'gateway', async (gateway, upstream) => work(await prepareLegacySessions(gateway, sessions), [upstream]), profiled),
    },
  ];
}

/** Instead of the figures: one scenario under load in a target run with --cpu-prof, and its top self time. */
export async function profile(harness: Harness, spec: string, resultsDir: string, stamp: string): Promise<void> {
  const { options } = harness;
  const scenarios = profileScenarios(harness);
  const scenario = scenarios.find((candidate) => candidate.name === spec) ?? scenarios.find((candidate) => candidate.name.startsWith(`${spec}:`));
  if (scenario === undefined) throw new Error(`--cpu-prof wants target:mode, one of ${scenarios.map((s) => s.name).join(', ')}`);
  const dir = join(resultsDir, `prof-${stamp}-${scenario.name.replace(':', '-')}`);
  mkdirSync(dir, { recursive: true });
  // Writing the .cpuprofile on exit takes longer than a plain stop allows.
  const profiled: Profiled = { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir], stopGraceMs: 20_000 };
  const result = await scenario.run(harness, profiled, async (prepared, alongside = []) => {
    log(`profiling ${scenario.name} @${options.connections}: ${options.warmupSec + options.durationSec} s`);
    const { result } = await harness.measure(prepared.target, timedLoad(prepared, options), 'profile', alongside);
    return result;
  });
  const file = readdirSync(dir).find((entry) => entry.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile written to ${dir}`);
  const summary = summariseProfile(join(dir, file), 15);
  const lines = [
    `\nCPU profile of ${scenario.name} under ${options.connections} connections: ${fmtInt(result.okPerSec)} req/s while profiled, ${(summary.idleShare * 100).toFixed(1)}% of samples idle`,
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

// tools/call throughput at --connections and added latency at 1 connection: one process per target
// serves both, and plain-echo stays up beside it as the paired ceiling.
import type { Figure } from '../lib/cli-options.js';
import { median } from '../lib/latency-samples.js';
import type { TargetProcess } from '../lib/target-process.js';
import { fmtInt, fmtMs } from '../lib/text-table.js';
import { errorText, type Harness, log } from '../harness.js';
import type { CallRecord, LatencyRecord } from '../records.js';
import { CALL_SCENARIOS, CEILING, type CallScenario, type Prepared, TARGETS, type TargetName, timedLoad } from '../scenarios.js';

/** 1-connection latency of one scenario, each round paired with plain-echo (Harness.pairedLatency). */
async function latencyRounds(harness: Harness, subject: Prepared, plain: Prepared, scenario: CallScenario): Promise<LatencyRecord> {
  const label = `${scenario.target} ${scenario.mode} @1`;
  const paired = await harness.pairedLatency(subject, subject.target === plain.target ? subject : plain, label);
  const rounds = paired.map(({ baselineP50, baselineP99, ...round }) => ({ ...round, plainP50: baselineP50, plainP99: baselineP99 }));
  const record: LatencyRecord = {
    target: scenario.target,
    mode: scenario.mode,
    rounds,
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    plainP50: median(rounds.map((r) => r.plainP50)),
    addedP50: median(rounds.map((r) => r.p50 - r.plainP50)),
    non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
  };
  log(`${label}: p50 ${fmtMs(record.p50)} ms, added ${fmtMs(record.addedP50)} ms`);
  return record;
}

export async function toolCallFigures(
  harness: Harness,
  targets: Set<TargetName>,
  figures: Set<Figure>,
): Promise<{ throughput: CallRecord[]; latency: LatencyRecord[] }> {
  const { options } = harness;
  const throughput: CallRecord[] = [];
  const latency: LatencyRecord[] = [];
  // plain-echo stays up for the whole figure: it is the partner of every paired latency round.
  let plain: Prepared | undefined;
  let plainError = '';
  try {
    plain = await harness.startCeiling();
  } catch (error) {
    plainError = `plain-echo: ${errorText(error)}`;
    log(plainError);
  }
  const fail = (scenario: CallScenario, error: string): void => {
    if (figures.has('throughput')) throughput.push({ target: scenario.target, mode: scenario.mode, connections: options.connections, error });
    if (figures.has('latency')) latency.push({ target: scenario.target, mode: scenario.mode, rounds: [], error });
  };
  const runScenarios = async (target: TargetProcess, scenarios: CallScenario[]): Promise<void> => {
    for (const scenario of scenarios) {
      const name = scenario.target;
      let subject: Prepared;
      try {
        subject = { target, requests: await scenario.prepare(target), uniqueIds: scenario.uniqueIds };
      } catch (error) {
        log(`${name} ${scenario.mode}: ${errorText(error)}`);
        fail(scenario, errorText(error));
        continue;
      }
      if (figures.has('throughput')) {
        const label = `${name} ${scenario.mode} @${options.connections}`;
        log(`${label}: ${options.warmupSec} s warm-up + ${options.durationSec} s`);
        try {
          const { result, serverCpuShare, otherCpu } = await harness.measure(target, timedLoad(subject, options), label);
          harness.flagBadResponses(label, result);
          const record: CallRecord = { target: name, mode: scenario.mode, connections: options.connections, result, serverCpuShare, otherCpu };
          throughput.push(record);
          log(`${label}: ${fmtInt(result.okPerSec)} req/s, p50 ${fmtMs(result.latencyMs.p50)} ms, non-2xx ${result.non2xx}`);
          if (plain !== undefined && target !== plain.target) record.pairedCeiling = await harness.ceilingAfter(plain, `${name} ${scenario.mode}`);
        } catch (error) {
          throughput.push({ target: name, mode: scenario.mode, connections: options.connections, error: errorText(error) });
        }
      }
      if (figures.has('latency')) {
        if (plain === undefined) {
          latency.push({ target: name, mode: scenario.mode, rounds: [], error: plainError });
          continue;
        }
        try {
          latency.push(await latencyRounds(harness, subject, plain, scenario));
        } catch (error) {
          latency.push({ target: name, mode: scenario.mode, rounds: [], error: errorText(error) });
        }
      }
    }
  };
  try {
    for (const name of TARGETS) {
      if (!targets.has(name)) continue;
      const scenarios = CALL_SCENARIOS.filter((scenario) => scenario.target === name);
      if (scenarios.length === 0) continue;
      if (name === CEILING) {
        if (plain === undefined) for (const scenario of scenarios) fail(scenario, plainError);
        else await runScenarios(plain.target, scenarios);
        continue;
      }
      try {
        await harness.withTarget(name, {}, (target) => runScenarios(target, scenarios));
      } catch (error) {
        log(`${name}: ${errorText(error)}`);
        for (const scenario of scenarios) fail(scenario, errorText(error));
      }
    }
  } finally {
    await plain?.target.stop();
  }
  return { throughput, latency };
}

// What every figure runs on: the run's options and warnings, the quiet-machine gate, load runs that
// also account for CPU, and target start-up.
import type { BenchOptions } from './lib/cli-options.js';
import { runLoad } from './lib/load-generator.js';
import type { LoadResult, LoadSpec } from './lib/load-spec.js';
import { coresBusy, type CpuTicks, machineTicks, waitForQuiet } from './lib/machine-cpu.js';
import { TargetProcess } from './lib/target-process.js';
import { CALL_SCENARIOS, CEILING, type Prepared, type TargetName, timedLoad } from './scenarios.js';

/** Progress goes to stderr so stdout holds only the report. */
export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface Measured {
  result: LoadResult;
  /** Share of one core the server process used during the measured window (for a wrapped CLI: the CLI's process). */
  serverCpuShare: number;
  /** The same for the target with all its descendants (stdio children), from /proc; NaN without /proc. */
  treeCpuShare: number;
  /** The same for each process passed as `alongside` (with its descendants), e.g. the upstream a gateway calls. */
  alongsideCpuShares: number[];
  /** Cores' worth of CPU used by everything else on the machine (not the processes above, not the load generator). */
  otherCpu: number;
}

/** One paired round at 1 connection: the subject, then the baseline right after it. */
export interface PairedRound {
  p50: number;
  p99: number;
  okPerSec: number;
  non2xx: number;
  baselineP50: number;
  baselineP99: number;
}

export interface TargetSetup {
  /**
   * Gateway configuration this figure needs; the run's --gateway-env overrides it. Other targets take no configuration.
   * @default {}
   */
  gatewayDefaults?: Record<string, string>;
  /**
   * Environment of the target process itself, e.g. BENCH_STDIO_ARGV for a bridge wrapper.
   * @default {}
   */
  env?: Record<string, string>;
  /**
   * Extra node flags, e.g. --cpu-prof.
   * @default - none
   */
  nodeArgs?: string[];
}

export class Harness {
  /** Whatever makes a figure suspect: printed under the report and kept in the results JSON. */
  readonly warnings: string[] = [];
  private readonly quietWaitMs: number;

  constructor(readonly options: BenchOptions) {
    this.quietWaitMs = options.quietWaitSec * 1000;
  }

  flagBadResponses(label: string, result: LoadResult): void {
    if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
      const codes = Object.entries(result.statusCodes)
        .filter(([code]) => !code.startsWith('2'))
        .map(([code, count]) => `${code}x${count}`)
        .join(' ');
      this.warnings.push(`${label}: ${result.non2xx} non-2xx (${codes || 'none'}), ${result.errors} errors, ${result.timeouts} timeouts`);
    }
    if (result.loadCpuShare > 0.9) {
      this.warnings.push(`${label}: load generator used ${(result.loadCpuShare * 100).toFixed(0)}% of its core: the figure may be capped by the client`);
    }
  }

  /** Before a run: wait (bounded by --quiet-wait) for other processes to leave the CPUs alone. */
  async quietGate(label: string): Promise<void> {
    if (this.quietWaitMs <= 0) return;
    const { waitedMs, busy } = await waitForQuiet(this.quietWaitMs);
    if (busy >= 0.15) {
      log(`${label}: machine still busy after ${(waitedMs / 1000).toFixed(0)} s (${(busy * 100).toFixed(0)}% of a core in use by others); running anyway`);
    } else if (waitedMs > 1000) {
      log(`${label}: waited ${(waitedMs / 1000).toFixed(1)} s for a quiet machine`);
    }
  }

  /**
   * Run a load spec against a target, also measuring the target's CPU share during the measured window (its own
   * process, and with its descendants), the CPU of processes it works with (`alongside`), and how much CPU the rest of
   * the machine took meanwhile (interference).
   */
  async measure(target: TargetProcess, spec: LoadSpec, label: string, alongside: Array<Pick<TargetProcess, 'tree'>> = []): Promise<Measured> {
    await this.quietGate(label);
    const treeCpu = (process: Pick<TargetProcess, 'tree'>): number => process.tree()?.cpuMs ?? Number.NaN;
    let cpuStart: Promise<{ cpu: number; at: number }> | undefined;
    let ticksStart: CpuTicks | undefined;
    let treesStart: number[] = [];
    const result = await runLoad(spec, () => {
      ticksStart = machineTicks();
      treesStart = [target, ...alongside].map(treeCpu);
      cpuStart = target.cpuMs().then((cpu) => ({ cpu, at: performance.now() }));
    });
    const ticksEnd = machineTicks();
    const treesEnd = [target, ...alongside].map(treeCpu);
    const cpuEnd = await target.cpuMs();
    const endAt = performance.now();
    let serverCpuShare = Number.NaN;
    let treeCpuShare = Number.NaN;
    let alongsideCpuShares = alongside.map(() => Number.NaN);
    let otherCpu = Number.NaN;
    if (cpuStart !== undefined && ticksStart !== undefined) {
      const start = await cpuStart;
      const window = endAt - start.at;
      serverCpuShare = (cpuEnd - start.cpu) / window;
      const trees = treesEnd.map((end, index) => (end - (treesStart[index] ?? Number.NaN)) / window);
      // Less than the server process alone: descendants died unreaped by the tree (orphans re-parented away, as when a
      // process group is killed at once) and took their time with them. Unknown, then.
      treeCpuShare = (trees[0] ?? Number.NaN) < serverCpuShare - 0.02 ? Number.NaN : (trees[0] ?? Number.NaN);
      alongsideCpuShares = trees.slice(1);
      // Without /proc (or with a tree that lost time) count the server process alone.
      const underTest = [treeCpuShare, ...alongsideCpuShares].every(Number.isFinite)
        ? [treeCpuShare, ...alongsideCpuShares].reduce((sum, share) => sum + share, 0)
        : serverCpuShare;
      otherCpu = Math.max(0, coresBusy(ticksStart, ticksEnd) - underTest - result.loadCpuShare);
    }
    if (otherCpu > 0.15) {
      this.warnings.push(`${label}: other processes used ${(otherCpu * 100).toFixed(0)}% of a core during the run: figures are skewed`);
    }
    return { result, serverCpuShare, treeCpuShare, alongsideCpuShares, otherCpu };
  }

  /** plain-echo started and its request verified: the ceiling a figure pairs its rows with. The caller stops it. */
  async startCeiling(): Promise<Prepared> {
    const target = await this.startTarget(CEILING);
    try {
      const scenario = CALL_SCENARIOS.find((candidate) => candidate.target === CEILING);
      if (scenario === undefined) throw new Error('no plain-echo scenario');
      return { target, requests: await scenario.prepare(target), uniqueIds: scenario.uniqueIds };
    } catch (error) {
      await target.stop();
      throw error;
    }
  }

  /**
   * plain-echo right after a row, same connections and duration: the row's ceiling. The VM's speed drifts by tens of
   * percent over minutes with nothing visible on this machine, so each row gets its own. plain-echo stays up between
   * rows, so it needs little warm-up.
   */
  async ceilingAfter(plain: Prepared, rowLabel: string): Promise<LoadResult> {
    const { options } = this;
    const label = `plain-echo @${options.connections} paired with ${rowLabel}`;
    const timing = { connections: options.connections, warmupSec: Math.min(options.warmupSec, 1), durationSec: options.durationSec };
    const { result } = await this.measure(plain.target, timedLoad(plain, timing), label);
    this.flagBadResponses(label, result);
    log(`${label}: ${Math.round(result.okPerSec)} req/s`);
    return result;
  }

  /**
   * 1-connection latency in paired rounds. Round-trip latency at one connection on a VM is dominated by how fast idle
   * vCPUs wake up, which drifts by tens of microseconds from minute to minute; running the baseline right after each
   * subject round and taking the median of the differences keeps that drift out of the "added p50". A subject that is
   * its own baseline (plain-echo) runs once per round.
   */
  async pairedLatency(subject: Prepared, baseline: Prepared, label: string): Promise<PairedRound[]> {
    const { options } = this;
    const same = subject === baseline;
    const warmupSec = Math.min(options.warmupSec, 2);
    const round = (prepared: Prepared, index: number): LoadSpec =>
      timedLoad(prepared, { connections: 1, warmupSec: index === 0 ? warmupSec : 0, durationSec: options.latencyRoundSec });
    log(`${label}: ${options.latencyRounds} rounds of ${options.latencyRoundSec} s${same ? '' : ` + the same on ${baseline.target.name}`}`);
    const rounds: PairedRound[] = [];
    for (let index = 0; index < options.latencyRounds; index++) {
      await this.quietGate(`${label} round ${index + 1}`);
      const result = await runLoad(round(subject, index));
      this.flagBadResponses(`${label} round ${index + 1}`, result);
      const paired = same ? result : await runLoad(round(baseline, index));
      if (!same) this.flagBadResponses(`${label} round ${index + 1} (${baseline.target.name})`, paired);
      rounds.push({
        p50: result.latencyMs.p50,
        p99: result.latencyMs.p99,
        okPerSec: result.okPerSec,
        non2xx: result.non2xx,
        baselineP50: paired.latencyMs.p50,
        baselineP99: paired.latencyMs.p99,
      });
    }
    return rounds;
  }

  startTarget(name: TargetName, setup: TargetSetup = {}): Promise<TargetProcess> {
    const env: Record<string, string> = { ...setup.env };
    if (name === 'gateway') env['BENCH_GATEWAY_ENV'] = JSON.stringify({ ...setup.gatewayDefaults, ...this.options.gatewayEnv });
    return TargetProcess.start(name, { env, nodeArgs: setup.nodeArgs });
  }

  /**
   * A fresh target for one piece of work, stopped afterwards (`stopGraceMs` lets a --cpu-prof target write its
   * profile). A start failure is thrown as "did not start: <reason>" so the figure's n/a note tells it from a
   * failed measurement.
   */
  async withTarget<T>(name: TargetName, setup: TargetSetup & { stopGraceMs?: number }, work: (target: TargetProcess) => Promise<T>): Promise<T> {
    let target: TargetProcess;
    try {
      target = await this.startTarget(name, setup);
    } catch (error) {
      throw new Error(`did not start: ${errorText(error)}`, { cause: error });
    }
    try {
      return await work(target);
    } finally {
      await target.stop(setup.stopGraceMs);
    }
  }
}

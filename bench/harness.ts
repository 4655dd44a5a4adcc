// What every figure runs on: the run's options and warnings, the quiet-machine gate, load runs that
// also account for CPU, and target start-up.
import type { BenchOptions } from './lib/cli-options.js';
import { runLoad } from './lib/load-generator.js';
import type { LoadResult, LoadSpec } from './lib/load-spec.js';
import { coresBusy, type CpuTicks, machineTicks, waitForQuiet } from './lib/machine-cpu.js';
import { TargetProcess } from './lib/target-process.js';
import type { TargetName } from './scenarios.js';

/** Progress goes to stderr so stdout holds only the report. */
export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface Measured {
  result: LoadResult;
  /** Share of one core the server used during the measured window. */
  serverCpuShare: number;
  /** Cores' worth of CPU used by everything else on the machine (not server, not load generator). */
  otherCpu: number;
}

export interface TargetSetup {
  /**
   * Gateway configuration this figure needs; the run's --gateway-env overrides it. Other targets take no configuration.
   * @default {}
   */
  gatewayDefaults?: Record<string, string>;
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
   * Run a load spec against a target, also measuring the target's CPU share during the measured
   * window and how much CPU the rest of the machine took meanwhile (interference).
   */
  async measure(target: TargetProcess, spec: LoadSpec, label: string): Promise<Measured> {
    await this.quietGate(label);
    let cpuStart: Promise<{ cpu: number; at: number }> | undefined;
    let ticksStart: CpuTicks | undefined;
    const result = await runLoad(spec, () => {
      ticksStart = machineTicks();
      cpuStart = target.cpuMs().then((cpu) => ({ cpu, at: performance.now() }));
    });
    const ticksEnd = machineTicks();
    const cpuEnd = await target.cpuMs();
    const endAt = performance.now();
    let serverCpuShare = Number.NaN;
    let otherCpu = Number.NaN;
    if (cpuStart !== undefined && ticksStart !== undefined) {
      const start = await cpuStart;
      serverCpuShare = (cpuEnd - start.cpu) / (endAt - start.at);
      otherCpu = Math.max(0, coresBusy(ticksStart, ticksEnd) - serverCpuShare - result.loadCpuShare);
    }
    if (otherCpu > 0.15) {
      this.warnings.push(`${label}: other processes used ${(otherCpu * 100).toFixed(0)}% of a core during the run: figures are skewed`);
    }
    return { result, serverCpuShare, otherCpu };
  }

  startTarget(name: TargetName, setup: TargetSetup = {}): Promise<TargetProcess> {
    const env: Record<string, string> =
      name === 'gateway' ? { BENCH_GATEWAY_ENV: JSON.stringify({ ...setup.gatewayDefaults, ...this.options.gatewayEnv }) } : {};
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

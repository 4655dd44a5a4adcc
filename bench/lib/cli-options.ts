// Command-line options of bench/run.ts.
import { parseArgs } from 'node:util';

export const FIGURES = ['throughput', 'latency', 'heap', 'memory', 'inits', 'start', 'stdio', 'upstream', 'stdio-memory', 'auth', 'store'] as const;
export type Figure = (typeof FIGURES)[number];

export interface BenchOptions {
  /** Measured seconds per throughput / inits run. */
  durationSec: number;
  /** Warm-up seconds before each throughput / inits run (excluded from the figures). */
  warmupSec: number;
  connections: number;
  /** Seconds of each 1-connection latency round (the first round of each side gets min(warmup, 2) s of warm-up). */
  latencyRoundSec: number;
  /** Paired rounds (target, then plain-echo) per 1-connection figure. */
  latencyRounds: number;
  /** Idle sessions created for the gateway heap figure. */
  sessions: number;
  /** Idle sessions created for the sdk-v1-express heap figure (it is ~40x slower to initialize). */
  v1Sessions: number;
  /** Legacy sessions the stdio and upstream figures spread their connections over, the same for every target. */
  bridgeSessions: number;
  /** Live stdio sessions (each with its child) for the stdio memory figure. */
  stdioLive: number;
  /** Idle (record-only) stdio sessions for the stdio memory figure. */
  stdioIdle: number;
  /** Sessions the store figure creates on one gateway and times the first call of on another. */
  rebuildSessions: number;
  /** Process starts per start-time figure (median reported). */
  starts: number;
  targets: string[] | undefined;
  figures: Figure[];
  /** Extra environment for the gateway (repeatable KEY=VALUE). */
  gatewayEnv: Record<string, string>;
  /** Before each run, wait up to this long for other processes to go quiet (0: do not wait). */
  quietWaitSec: number;
  /** `target:mode` to profile instead of the normal run. */
  cpuProf: string | undefined;
  outDir: string | undefined;
  quick: boolean;
}

export const USAGE = `usage: node bench/dist/run.js [options]

  --quick                  smoke run: ~1 s per load run, few sessions and starts
  --duration <s>           measured seconds per throughput/inits run (default 10)
  --warmup <s>             warm-up seconds before each run, excluded (default 5)
  --connections <n>        connections for throughput/inits runs (default 32)
  --latency-round <s>      seconds of each 1-connection round (default 1)
  --latency-rounds <n>     paired rounds (target, then plain-echo) per 1-connection figure (default 5)
  --sessions <n>           idle sessions for the gateway heap figure (default 100000)
  --v1-sessions <n>        idle sessions for the sdk-v1-express heap figure (default 5000)
  --bridge-sessions <n>    legacy sessions the stdio and upstream figures spread the connections
                           over, the same for every target (default 4)
  --stdio-live <n>         live stdio sessions (a child each) for stdio-memory (default 32)
  --stdio-idle <n>         idle record-only stdio sessions for stdio-memory (default 10000)
  --rebuild-sessions <n>   sessions the store figure rebuilds on a second gateway (default 200)
  --starts <n>             process starts per start-time figure (default 5)
  --targets <a,b>          only these targets (plain-echo is always kept: it is the ceiling)
  --figures <a,b>          only these figures: ${FIGURES.join(',')}
  --gateway-env KEY=VALUE  extra gateway configuration (repeatable)
  --cpu-prof <target:mode> instead of the figures: profile one scenario under load and print
                           its top self-time functions (e.g. sdk-v2-handler:modern,
                           gateway-stdio:legacy-session, gateway-upstream:legacy-session)
  --quiet-wait <s>         before each run wait up to this long for other processes to leave
                           the CPUs alone (default 30; 0 disables)
  --out <dir>              where to write the JSON (default bench/results)
`;

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} wants a positive number, got ${raw}`);
  return value;
}

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      'latency-round': { type: 'string' },
      'latency-rounds': { type: 'string' },
      sessions: { type: 'string' },
      'v1-sessions': { type: 'string' },
      'bridge-sessions': { type: 'string' },
      'stdio-live': { type: 'string' },
      'stdio-idle': { type: 'string' },
      'rebuild-sessions': { type: 'string' },
      starts: { type: 'string' },
      targets: { type: 'string' },
      figures: { type: 'string' },
      'gateway-env': { type: 'string', multiple: true },
      'cpu-prof': { type: 'string' },
      out: { type: 'string' },
      'quiet-wait': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help === true) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const quick = values.quick === true;
  const figures = values.figures?.split(',').map((figure) => figure.trim()) ?? [...FIGURES];
  for (const figure of figures) {
    if (!(FIGURES as readonly string[]).includes(figure)) throw new Error(`unknown figure ${figure}; known: ${FIGURES.join(', ')}`);
  }
  const gatewayEnv: Record<string, string> = {};
  for (const pair of values['gateway-env'] ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--gateway-env wants KEY=VALUE, got ${pair}`);
    gatewayEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return {
    durationSec: positive('duration', values.duration, quick ? 1 : 10),
    warmupSec: values.warmup === undefined ? (quick ? 1 : 5) : Number(values.warmup),
    connections: Math.round(positive('connections', values.connections, 32)),
    latencyRoundSec: positive('latency-round', values['latency-round'], 1),
    latencyRounds: Math.round(positive('latency-rounds', values['latency-rounds'], quick ? 2 : 5)),
    sessions: Math.round(positive('sessions', values.sessions, quick ? 5000 : 100_000)),
    v1Sessions: Math.round(positive('v1-sessions', values['v1-sessions'], quick ? 500 : 5000)),
    bridgeSessions: Math.round(positive('bridge-sessions', values['bridge-sessions'], 4)),
    stdioLive: Math.round(positive('stdio-live', values['stdio-live'], quick ? 4 : 32)),
    stdioIdle: Math.round(positive('stdio-idle', values['stdio-idle'], quick ? 1000 : 10_000)),
    rebuildSessions: Math.round(positive('rebuild-sessions', values['rebuild-sessions'], quick ? 50 : 200)),
    starts: Math.round(positive('starts', values.starts, quick ? 3 : 5)),
    targets: values.targets?.split(',').map((target) => target.trim()),
    figures: figures as Figure[],
    gatewayEnv,
    quietWaitSec: values['quiet-wait'] === undefined ? (quick ? 0 : 30) : Number(values['quiet-wait']),
    cpuProf: values['cpu-prof'],
    outDir: values.out,
    quick,
  };
}

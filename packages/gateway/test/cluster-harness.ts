import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, MAIN } from './harness.js';
import { startRedis, type TestRedis } from './redis-server.js';

/** One gateway process behind the proxy, stopped and started on its own port. */
export interface ClusterGateway {
  readonly name: string;
  readonly port: number;
  readonly base: string;
  readonly url: string;
  readonly output: () => string;
  readonly running: boolean;
  /**
   * Stops it as ECS stops a task behind an ALB: out of the proxy's rotation
   * first (deregistration), then SIGTERM once the proxy sends it nothing new;
   * it drains and exits. Resolves with its exit code.
   */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port; resolves once its /healthz answers 200. */
  start(): Promise<void>;
}

export interface TestCluster {
  /** The MCP URL through the proxy (the stand-in for the ALB). */
  readonly url: string;
  readonly gateways: readonly ClusterGateway[];
  readonly redis: TestRedis | undefined;
  /** Waits until the proxy sees every running gateway up (its health checks on /healthz). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  readonly gateways: number;
  readonly store: 'memory' | 'redis';
  /** Cookie stickiness at the proxy, as the hosting guide sets it on the ALB target group. */
  readonly sticky: boolean;
  readonly redisCluster?: boolean;
  readonly env?: Record<string, string>;
}

/** The proxy's health-check interval: a stopped gateway is out of rotation within two of them. */
const CHECK_MS = 300;

/**
 * Several gateway processes on free loopback ports, a real HAProxy in front
 * as the stand-in for the ALB (round robin, health checks on `/healthz`,
 * optional cookie stickiness, the ALB's 120 s idle timeout, retries on
 * another server when a connection is refused), and a real redis-server for
 * the shared store. Everything stops by itself with `close`.
 */
export async function startCluster(options: ClusterOptions): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'cluster-'));
  const redis = options.store === 'redis' ? await startRedis({ cluster: options.redisCluster === true }) : undefined;
  const proxyPort = await freePort();
  const statsPort = await freePort();
  const ports = await Promise.all(Array.from({ length: options.gateways }, () => freePort()));
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    // The proxy's Host is the gateway's own address: the loopback defaults allow it.
    SESSION_STORE: options.store,
    ...(redis === undefined ? {} : { REDIS_URL: redis.url, REDIS_CLUSTER: redis.cluster ? 'on' : 'off' }),
    ...options.env,
  };
  const adminSocket = join(dir, 'haproxy.sock');
  const admin = (command: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const socket = connect(adminSocket);
      let answer = '';
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString('utf8');
      });
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
      socket.end(`${command}\n`);
    });
  const gateways = ports.map((port, index) => gatewayProcess(`g${index + 1}`, port, env, admin));
  await Promise.all(gateways.map((gateway) => gateway.start()));

  const config = [
    'global',
    '  maxconn 2000',
    `  stats socket ${adminSocket} level admin`,
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 120s',
    '  timeout server 120s',
    '  timeout http-keep-alive 120s',
    '  option http-keep-alive',
    '  retries 3',
    '  option redispatch 1',
    'frontend mcp',
    `  bind 127.0.0.1:${proxyPort}`,
    '  default_backend gateways',
    'backend gateways',
    '  balance roundrobin',
    '  option httpchk GET /healthz',
    '  http-check expect status 200',
    ...(options.sticky ? ['  cookie MCPSTICKY insert indirect nocache'] : []),
    ...gateways.map(
      (gateway) => `  server ${gateway.name} 127.0.0.1:${gateway.port} check inter ${CHECK_MS} fall 2 rise 1${options.sticky ? ` cookie ${gateway.name}` : ''}`,
    ),
    'listen stats',
    `  bind 127.0.0.1:${statsPort}`,
    '  stats enable',
    '  stats uri /stats',
  ].join('\n');
  const configFile = join(dir, 'haproxy.cfg');
  await writeFile(configFile, `${config}\n`);
  const proxy = spawn('haproxy', ['-f', configFile, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let proxyLog = '';
  proxy.stderr?.on('data', (chunk: Buffer) => {
    proxyLog += chunk.toString('utf8');
  });

  const settled = async (): Promise<void> => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const csv = await (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`)).text();
        const up = gateways.filter((gateway) => gateway.running).every((gateway) => new RegExp(`^gateways,${gateway.name},.*,UP,`, 'm').test(csv));
        const down = gateways.filter((gateway) => !gateway.running).every((gateway) => !new RegExp(`^gateways,${gateway.name},.*,UP,`, 'm').test(csv));
        if (up && down) return;
      } catch {
        // the proxy is still starting
      }
      if (proxy.exitCode !== null) throw new Error(`haproxy exited: ${proxyLog}`);
      if (Date.now() > deadline) throw new Error(`the proxy did not settle: ${proxyLog}`);
      await sleep(50);
    }
  };
  await settled();

  return {
    url: `http://127.0.0.1:${proxyPort}/mcp`,
    gateways,
    redis,
    settled,
    async close() {
      proxy.kill('SIGKILL');
      await Promise.all(gateways.map((gateway) => gateway.kill()));
      await redis?.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function gatewayProcess(name: string, port: number, env: Record<string, string>, admin: (command: string) => Promise<string>): ClusterGateway {
  let child: ChildProcess | undefined;
  let output = '';
  const base = `http://127.0.0.1:${port}`;
  const gateway: ClusterGateway = {
    name,
    port,
    base,
    url: `${base}/mcp`,
    output: () => output,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    async stop() {
      if (!gateway.running) return null;
      const running = child as ChildProcess;
      await admin(`set server gateways/${name} state maint`);
      // What the proxy already sent it finishes under the drain; nothing new arrives once it is in maintenance.
      await sleep(CHECK_MS);
      running.kill('SIGTERM');
      const [code] = (await once(running, 'exit')) as [number | null];
      return code;
    },
    async kill() {
      if (!gateway.running) return;
      const running = child as ChildProcess;
      running.kill('SIGKILL');
      await once(running, 'exit');
    },
    async start() {
      const started = spawn(process.execPath, [MAIN], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
      await admin(`set server gateways/${name} state ready`).catch(() => undefined);
      child = started;
      started.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
      });
      started.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
      });
      const deadline = Date.now() + 15_000;
      for (;;) {
        if (started.exitCode !== null) throw new Error(`${name} exited with ${started.exitCode}: ${output}`);
        try {
          if ((await fetch(`${base}/healthz`)).status === 200) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`${name} did not become healthy: ${output}`);
        await sleep(25);
      }
    },
  };
  return gateway;
}

// Several gateway processes behind a real HAProxy: the stand-in for the ALB (round robin, health checks on /healthz,
// an idle timeout, cookie stickiness or none). `gatewayEnv` selects the gateways' session store, so the shared-store
// variants run through the same harness.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort, type GatewayProcess, startGateway, tempDir, waitFor200 } from './helpers.js';

const run = promisify(execFile);

export const HAPROXY = '/usr/sbin/haproxy';

/** A real redis-server on loopback, nothing kept on disk: the shared session store the gateways of a cluster use. */
export async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pong = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping']).then(
      ({ stdout }) => stdout.trim() === 'PONG',
      () => false,
    );
    if (pong) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on ${port} did not answer (apt-get install redis-server; .ci/run installs it)`);
    }
    await sleep(50);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

export interface ClusterOptions {
  readonly gateways: number;
  /** `cookie` inserts an HAProxy cookie naming the server (what ALB lb-cookie stickiness does); `off` is plain round robin. */
  readonly stickiness: 'cookie' | 'off';
  /** The proxy's idle timeout for clients and servers, like the ALB's idle timeout. */
  readonly idleTimeoutMs: number;
  readonly gatewayEnv?: Record<string, string>;
}

export interface Cluster {
  readonly url: string;
  readonly gateways: readonly GatewayProcess[];
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  if (!existsSync(HAPROXY)) throw new Error(`${HAPROXY} is missing: apt-get install haproxy (.ci/run installs it)`);
  const gateways: GatewayProcess[] = [];
  let proxy: ChildProcess | undefined;
  const stop = async () => {
    if (proxy !== undefined && proxy.exitCode === null && proxy.signalCode === null) {
      proxy.kill('SIGKILL');
      await once(proxy, 'exit');
    }
    await Promise.all(gateways.map((g) => g.stop()));
  };
  try {
    for (let i = 0; i < options.gateways; i++) gateways.push(await startGateway(options.gatewayEnv));
    const port = await freePort();
    const sticky = options.stickiness === 'cookie';
    const config = [
      'global',
      '  maxconn 256',
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      `  timeout client ${options.idleTimeoutMs}ms`,
      `  timeout server ${options.idleTimeoutMs}ms`,
      `  timeout http-keep-alive ${options.idleTimeoutMs}ms`,
      'frontend mcp',
      `  bind 127.0.0.1:${port}`,
      '  default_backend gateways',
      'backend gateways',
      '  balance roundrobin',
      '  option httpchk GET /healthz',
      '  http-check expect status 200',
      ...(sticky ? ['  cookie MCPSRV insert indirect nocache'] : []),
      ...gateways.map((g, i) => `  server g${i} 127.0.0.1:${g.port} check inter 1s${sticky ? ` cookie g${i}` : ''}`),
      '',
    ].join('\n');
    const file = join(tempDir('haproxy'), 'haproxy.cfg');
    writeFileSync(file, config);
    const started = spawn(HAPROXY, ['-f', file, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
    proxy = started;
    let output = '';
    for (const stream of [started.stdout, started.stderr]) stream?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    await waitFor200(
      `http://127.0.0.1:${port}/healthz`,
      () => started.exitCode === null,
      () => output,
    );
    return { url: `http://127.0.0.1:${port}/mcp`, gateways, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

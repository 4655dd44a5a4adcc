import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './harness.js';

const run = promisify(execFile);

/** A real redis-server (Debian's package; `.ci/run` installs it), single node or a local 3-node cluster, on loopback. */
export interface TestRedis {
  /** What REDIS_URL is set to. */
  readonly url: string;
  readonly cluster: boolean;
  readonly ports: readonly number[];
  /** Stops every node (the data is kept on disk only for a restart of this same set). */
  stop(): Promise<void>;
  /** Starts the stopped nodes again on the same ports. */
  start(): Promise<void>;
  /** With `tls`: the certificate (self-signed, for localhost) a client must trust. */
  readonly caFile?: string;
  /** Runs redis-cli against the first node. */
  cli(...args: string[]): Promise<string>;
  close(): Promise<void>;
}

async function waitForPort(port: number, cliTls: readonly string[] = []): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...cliTls, 'ping']);
      if (stdout.trim() === 'PONG') return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * `tls`: a single node that speaks only TLS (as ElastiCache Serverless does), with a self-signed certificate for
 * localhost made by openssl.
 */
export async function startRedis(options: { cluster?: boolean; tls?: boolean } = {}): Promise<TestRedis> {
  const cluster = options.cluster === true;
  const dir = await mkdtemp(join(tmpdir(), 'redis-'));
  const ports = await Promise.all((cluster ? [1, 2, 3] : [1]).map(() => freePort()));
  const caFile = join(dir, 'cert.pem');
  if (options.tls === true) {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      caFile,
    ]);
  }
  const serverTls = (port: number): string[] =>
    options.tls === true
      ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', caFile, '--tls-key-file', join(dir, 'key.pem'), '--tls-auth-clients', 'no']
      : ['--port', String(port)];
  const cliTls = options.tls === true ? ['--tls', '--cacert', caFile, '--sni', 'localhost'] : [];
  let children: ChildProcess[] = [];
  const launch = async (): Promise<void> => {
    children = ports.map((port) =>
      spawn(
        'redis-server',
        [
          ...serverTls(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
          '--dbfilename',
          `dump-${port}.rdb`,
          ...(cluster ? ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000'] : []),
        ],
        { stdio: 'ignore' },
      ),
    );
    await Promise.all(ports.map((port) => waitForPort(port, cliTls)));
  };
  await launch();
  if (cluster) {
    await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes']);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { stdout } = await run('redis-cli', ['-p', String(ports[0]), 'cluster', 'info']);
      if (stdout.includes('cluster_state:ok')) break;
      if (Date.now() > deadline) throw new Error(`the cluster did not form: ${stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGKILL');
        await once(child, 'exit');
      }),
    );
  };
  return {
    url: options.tls === true ? `rediss://localhost:${ports[0]}` : `redis://127.0.0.1:${ports[0]}`,
    cluster,
    ...(options.tls === true ? { caFile } : {}),
    ports,
    stop,
    start: launch,
    async cli(...args) {
      const { stdout } = await run('redis-cli', ['-p', String(ports[0]), ...cliTls, ...(cluster ? ['-c'] : []), ...args]);
      return stdout;
    },
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Watches what clients send to the first node (MONITOR), until `stop()`: each command a client sent, by name. A Lua
 * script counts once, as the EVALSHA its client sent: the commands it runs inside (MONITOR's `[0 lua]` lines) are not
 * round trips.
 */
export async function monitorCommands(redis: TestRedis): Promise<{ stop(): Promise<string[]> }> {
  const monitor = spawn('redis-cli', ['-p', String(redis.ports[0]), 'monitor'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  monitor.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const deadline = Date.now() + 5000;
  while (!output.startsWith('OK') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return {
    async stop() {
      // MONITOR prints a command as it runs: a ping of our own marks the end of what came before it.
      const marker = `end-of-watch-${Date.now()}`;
      await redis.cli('echo', marker);
      while (!output.includes(marker) && Date.now() < deadline + 10_000) await new Promise((resolve) => setTimeout(resolve, 10));
      monitor.kill();
      return [...output.matchAll(/^[\d.]+ \[\d+ ([^\]]+)\] "([^"]+)"/gm)]
        .filter(([, source, command]) => source !== 'lua' && !(command === 'echo' || command === 'ECHO'))
        .map(([, , command]) => (command as string).toLowerCase());
    },
  };
}

// Shared by the CLI's tests: an output collector, a context whose cloud boundary tests replace, a gateway process,
// and the recording docker that stands in for the real one on PATH.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createAwsClients } from '../src/aws/clients.js';
import type { CliContext, Output } from '../src/cli-context.js';
import { commandRunner } from '../src/deploy/docker.js';
import type { StackDeployer } from '../src/deploy/stack-deployer.js';
import { GATEWAY_MAIN, REPO_ROOT } from '../src/paths.js';
import { runCli } from '../src/program.js';

export { GATEWAY_MAIN, REPO_ROOT };
export const CLI_MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
export const EXAMPLE_CONFIG = join(REPO_ROOT, 'examples', 'mcp-fargate.config.json');

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `mcp-fargate-cli-${prefix}-`));
}

export interface Collected extends Output {
  readonly text: () => string;
}

export function collector(): Collected {
  let text = '';
  return {
    write: (chunk: string) => {
      text += chunk;
      return true;
    },
    text: () => text,
  };
}

/** No AWS call may leave this machine: an unmocked client would fail against a dead loopback endpoint. */
const NO_AWS_ENV = {
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_PROFILE: undefined,
  AWS_CONFIG_FILE: '/nonexistent/aws-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
};

export interface TestRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs the CLI in this process with the given stand-ins; everything else is the real thing. */
export async function cli(argv: readonly string[], overrides: Partial<CliContext> = {}): Promise<TestRun> {
  const out = collector();
  const err = collector();
  const env = { ...process.env, ...NO_AWS_ENV, ...overrides.env };
  const context: CliContext = {
    out,
    err,
    env,
    cwd: REPO_ROOT,
    aws: createAwsClients,
    deployer: async () => {
      throw new Error('this test has no deployer');
    },
    run: commandRunner(env),
    now: () => new Date(),
    ask: undefined,
    onInterrupt: () => () => undefined,
    ...overrides,
  };
  const code = await runCli(argv, context);
  return { code, out: out.text(), err: err.text() };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, 'close');
  return port;
}

export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

/** The gateway as ECS runs it (its own process, on loopback); resolves once /healthz answers 200. */
export async function startGateway(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [GATEWAY_MAIN], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  await waitFor200(
    `http://127.0.0.1:${port}/healthz`,
    () => child.exitCode === null,
    () => stderr,
  );
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}/mcp`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

export async function waitFor200(url: string, alive: () => boolean, why: () => string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`exited before ${url} answered: ${why()}`);
    const status = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await sleep(50);
  }
  throw new Error(`${url} never answered 200: ${why()}`);
}

/**
 * A recording docker first on PATH: every call is appended to `log` as a JSON line, `push` prints the digest the
 * way docker does, and `FAKE_DOCKER_FAIL=<subcommand>` (or `version`: no daemon) makes that call fail.
 */
export function recordingDocker(digest: string): { bin: string; log: string; calls: () => string[][] } {
  const dir = tempDir('docker');
  const log = join(dir, 'calls.jsonl');
  writeFileSync(log, '');
  const script = `#!/usr/bin/env node
const { appendFileSync, readFileSync } = require('node:fs');
const args = process.argv.slice(2);
const input = args.includes('--password-stdin') ? readFileSync(0, 'utf8') : undefined;
appendFileSync(${JSON.stringify(log)}, JSON.stringify(input === undefined ? args : [...args, '<stdin:' + input.length + ' chars>']) + '\\n');
const fail = process.env.FAKE_DOCKER_FAIL;
if (fail !== undefined && args[0] === fail) {
  console.error(fail === 'version' ? 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' : 'denied: requested access to the resource is denied');
  process.exit(1);
}
if (args[0] === 'version') console.log('28.2.2');
else if (args[0] === 'buildx' && args[1] === 'version') console.log('github.com/docker/buildx v0.24.0');
else if (args[0] === 'buildx' && args[1] === 'inspect') console.log('Name: default\\nPlatforms: linux/amd64, linux/arm64, linux/386');
else if (args[0] === 'push') console.log(args[1].split(':').pop() + ': digest: ${digest} size: 1789');
else if (args[0] === 'login') console.log('Login Succeeded');
`;
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'docker'), script);
  chmodSync(join(bin, 'docker'), 0o755);
  return {
    bin,
    log,
    calls: () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as string[]),
  };
}

/**
 * A deployer that synthesizes what toolkit-lib would deploy and keeps each stack's template; `outputs` answers as the
 * deployed stack would (the McpUrl of a local gateway, so `deploy` can verify it).
 */
export function recordingDeployer(outputs: Record<string, string>, events: string[]): StackDeployer & { templates: Map<string, any> } {
  const templates = new Map<string, any>();
  return {
    templates,
    async deploy(stackName, source) {
      events.push(`deploy ${stackName}`);
      const assembly = source({ outdir: tempDir('cdk'), context: {}, account: '123456789012' });
      templates.set(stackName, assembly.getStackByName(stackName).template);
      return stackName.endsWith('-repository') ? {} : outputs;
    },
    async destroy(stackName) {
      events.push(`destroy ${stackName}`);
    },
  };
}

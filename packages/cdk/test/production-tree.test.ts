// The image's contents without Docker: the gateway packed as npm would publish it, installed with production
// dependencies only (the runtime stage's own npm command), started with the image's CMD, WORKDIR and ENV, then
// checked the way ECS and the ALB check it and asked for tools/list the way an agent would.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { DockerfileParser } from 'dockerfile-ast';
import type { Instruction, JSONInstruction } from 'dockerfile-ast';
import { REPO_ROOT, tempDir } from './fixtures.js';
import { listTools, waitFor200 } from './mcp-http.js';

const run = promisify(execFile);
const GATEWAY_MAIN = join(REPO_ROOT, 'packages/gateway/dist/src/main.js');

/** What the runtime stage of the Dockerfile says: its ENV, its CMD, its npm install flags. */
function runtimeStage() {
  const dockerfile = DockerfileParser.parse(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
  const instructions = dockerfile.getInstructions();
  const lastFrom = instructions.map((i) => i.getKeyword()).lastIndexOf('FROM');
  const stage = instructions.slice(lastFrom);
  const of = (keyword: string): Instruction[] => stage.filter((i) => i.getKeyword() === keyword);
  const env: Record<string, string> = {};
  for (const instruction of of('ENV')) {
    for (const property of (instruction as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }).getProperties()) {
      env[property.getName()] = property.getValue() ?? '';
    }
  }
  const cmd = (of('CMD')[0] as JSONInstruction).getJSONStrings().map((s) => s.getJSONValue());
  const install = of('RUN')
    .map((r) => r.getArgumentsContent() ?? '')
    .flatMap((r) => r.split('&&'))
    .map((part) => part.replace(/\\\s*$/, '').trim())
    .find((part) => part.startsWith('npm install'));
  assert.ok(install !== undefined, 'the runtime stage runs npm install');
  const installArgs = install.split(/\s+/).slice(1, -1); // drop "npm" and the tarball path
  const workdir = of('WORKDIR')[0]?.getArgumentsContent() ?? '/';
  return { env, cmd, installArgs, workdir };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

describe('production tree', () => {
  // npm test builds every package first; a missing build is a failure here, never a skip.
  assert.ok(existsSync(GATEWAY_MAIN), `the gateway is not built: ${GATEWAY_MAIN} is missing (run tsc -b)`);
  const stage = runtimeStage();
  const root = tempDir('image');
  const children: ReturnType<typeof spawn>[] = [];
  after(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  test('GIVEN the gateway packed and installed with production dependencies only, WHEN started with the image CMD, THEN /healthz is 200 and tools/list answers, and SIGTERM stops it', {
    timeout: 240_000,
  }, async () => {
    // npm pack needs the gateway's dist, which `tsc -b` built.
    const packDir = join(root, 'pack');
    mkdirSync(packDir);
    await run('npm', ['pack', '--workspace', '@mcp-fargate/gateway', '--pack-destination', packDir], { cwd: REPO_ROOT });
    const [tarball] = readdirSync(packDir).filter((f) => f.endsWith('.tgz'));
    assert.ok(tarball !== undefined, 'npm pack wrote a tarball');

    const app = join(root, stage.workdir.replace(/^\//, ''));
    mkdirSync(app, { recursive: true });
    await run('npm', ['install', ...stage.installArgs, '--prefer-offline', join(packDir, tarball)], { cwd: app, timeout: 180_000 });
    const installed = join(app, 'node_modules');
    assert.ok(existsSync(join(installed, '@mcp-fargate/gateway/dist/src/main.js')));
    assert.ok(!existsSync(join(installed, 'typescript')), 'no dev dependencies');
    assert.ok(!existsSync(join(installed, 'aws-cdk-lib')), 'the gateway does not pull in aws-cdk-lib');

    const port = await freePort();
    const [command, ...args] = stage.cmd;
    assert.equal(command, 'node');
    const env = { PATH: process.env.PATH ?? '', ...stage.env, PORT: String(port), HOST: '127.0.0.1', NPM_CONFIG_CACHE: join(root, '.npm') };
    const child = spawn(process.execPath, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    const base = `http://127.0.0.1:${port}`;
    const health = await waitFor200(`${base}/healthz`, 30_000, () => child.exitCode === null).catch((error: Error) => {
      throw new Error(`${error.message}; output:\n${output}`);
    });
    assert.match(health.headers.get('content-type') ?? '', /json/);

    // The image's HEALTHCHECK (and the task definition's) exits 0 against it.
    const healthcheck = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8').match(/"-e", "(.*)"\]/)?.[1];
    assert.ok(healthcheck !== undefined);
    await run(process.execPath, ['-e', healthcheck], { env: { ...env } });

    const tools = await listTools(`${base}/mcp`);
    assert.ok(tools.length > 0, 'the demo server lists its tools');

    // ECS stops a task with SIGTERM and kills it 30 s later: the gateway must be gone well before that.
    const stopped = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    assert.equal(code, 0, `exit code after SIGTERM; output:\n${output}`);
    assert.ok(Date.now() - stopped < 25_000, 'drained within 25 s');
  });
});

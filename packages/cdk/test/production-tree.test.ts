// The image's contents without Docker: the runtime stage of the Dockerfile replayed step by step in a temporary
// directory (its COPYs from the build context, its own `npm ci` command against the lockfile, the packed gateway
// where the build stage's COPY puts it), the installed tree proved to be the lockfile's, then the gateway started with
// the image's CMD, WORKDIR and ENV, checked the way ECS and the ALB check it and asked for tools/list the way an agent
// would.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { DockerfileParser } from 'dockerfile-ast';
import type { Instruction, JSONInstruction, ModifiableInstruction } from 'dockerfile-ast';
import { REPO_ROOT, tempDir } from './fixtures.js';
import { listTools, waitFor200 } from './mcp-http.js';

const run = promisify(execFile);
const GATEWAY_MAIN = join(REPO_ROOT, 'packages/gateway/dist/src/main.js');

const dockerfile = DockerfileParser.parse(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));

/** The runtime stage (the last), instruction by instruction. */
function runtimeStage(): Instruction[] {
  const instructions = dockerfile.getInstructions();
  return instructions.slice(instructions.map((i) => i.getKeyword()).lastIndexOf('FROM'));
}

function envOf(stage: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of stage.filter((i) => i.getKeyword() === 'ENV')) {
    for (const property of (instruction as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }).getProperties()) {
      env[property.getName()] = property.getValue() ?? '';
    }
  }
  return env;
}

/** The version in the tag of the pinned base image (`node:24.21.0-bookworm-slim@sha256:...` -> `24.21.0`). */
function baseImageNodeVersion(): string | undefined {
  const arg = dockerfile.getInitialARGs().find((a) => a.getProperty()?.getName() === 'NODE_IMAGE');
  return /^node:(\d+\.\d+\.\d+)-/.exec(arg?.getProperty()?.getValue() ?? '')?.[1];
}

interface LockEntry {
  readonly version?: string;
  readonly dev?: boolean;
  readonly link?: boolean;
  readonly resolved?: string;
}

/** Every package installed under `root`: its lockfile key (`node_modules/a/node_modules/b`), version or link target. */
function installedPackages(root: string): { key: string; version?: string; linkTo?: string }[] {
  const found: { key: string; version?: string; linkTo?: string }[] = [];
  const visit = (modules: string) => {
    if (!existsSync(modules)) return;
    for (const name of readdirSync(modules)) {
      if (name.startsWith('.')) continue; // .bin, .package-lock.json
      const dirs = name.startsWith('@') ? readdirSync(join(modules, name)).map((scoped) => join(modules, name, scoped)) : [join(modules, name)];
      for (const dir of dirs) {
        const key = relative(root, dir);
        if (lstatSync(dir).isSymbolicLink()) {
          found.push({ key, linkTo: relative(root, resolve(dirname(dir), readlinkSync(dir))) });
          continue;
        }
        found.push({ key, version: (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version });
        visit(join(dir, 'node_modules'));
      }
    }
  };
  visit(join(root, 'node_modules'));
  for (const workspace of ['packages/gateway', 'packages/cdk']) visit(join(root, workspace, 'node_modules'));
  return found;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

describe('production tree', () => {
  // npm test builds every package first; a missing build is a failure here, never a skip.
  assert.ok(existsSync(GATEWAY_MAIN), `the gateway is not built: ${GATEWAY_MAIN} is missing (run tsc -b)`);
  const stage = runtimeStage();
  const workdir = stage.find((i) => i.getKeyword() === 'WORKDIR')?.getArgumentsContent() ?? '/';
  const root = tempDir('image');
  const app = join(root, workdir.replace(/^\//, ''));
  const children: ReturnType<typeof spawn>[] = [];
  after(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  test('GIVEN the pinned base image THEN it is the Node these tests run on', () => {
    assert.equal(`v${baseImageNodeVersion()}`, process.version, 'bump the Dockerfile base image and the node devDependency together');
  });

  test('GIVEN the runtime stage replayed (COPY, npm ci, the packed gateway) THEN the installed tree is exactly the lockfile versions, production only', {
    timeout: 240_000,
  }, async () => {
    mkdirSync(app, { recursive: true });
    let installs = 0;
    for (const instruction of stage) {
      const keyword = instruction.getKeyword();
      if (keyword === 'COPY') {
        const args = instruction.getArguments().map((a) => a.getValue());
        const destination = join(app, args.at(-1) ?? '');
        const from = (instruction as ModifiableInstruction)
          .getFlags()
          .find((f) => f.getName() === 'from')
          ?.getValue();
        if (from === 'build') {
          // What the build stage leaves in /pack/package: the gateway as `npm pack` publishes it, unpacked.
          assert.deepEqual(args, ['/pack/package/', 'packages/gateway/']);
          const packDir = join(root, 'pack');
          mkdirSync(packDir);
          await run('npm', ['pack', '--workspace', '@mcp-fargate/gateway', '--pack-destination', packDir], { cwd: REPO_ROOT });
          const [tarball] = readdirSync(packDir).filter((f) => f.endsWith('.tgz'));
          assert.ok(tarball !== undefined, 'npm pack wrote a tarball');
          await run('tar', ['-xzf', join(packDir, tarball), '-C', packDir]);
          cpSync(join(packDir, 'package'), destination, { recursive: true });
        } else {
          assert.equal(from, undefined, `a COPY from ${from} this test does not know how to replay`);
          // Docker's rule: a destination ending in / is a directory the sources go into.
          const intoDirectory = (args.at(-1) ?? '').endsWith('/');
          for (const source of args.slice(0, -1)) {
            cpSync(join(REPO_ROOT, source), intoDirectory ? join(destination, basename(source)) : destination, { recursive: true });
          }
        }
      } else if (keyword === 'RUN') {
        // Only npm touches the app directory; the rest (chmod /tmp, removing root's npm cache) is about the image.
        for (const part of (instruction.getArgumentsContent() ?? '').split('&&').map((p) => p.replace(/\\\s*$/gm, '').trim())) {
          if (!part.startsWith('npm ')) continue;
          installs++;
          await run('npm', [...part.split(/\s+/).slice(1), '--prefer-offline'], { cwd: app, timeout: 180_000 });
        }
      }
    }
    assert.equal(installs, 1, 'the runtime stage runs one npm command');

    const lock = (JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }).packages;
    const installed = installedPackages(app);
    for (const pkg of installed) {
      const entry = lock[pkg.key];
      assert.ok(entry !== undefined, `${pkg.key} is installed but not in package-lock.json`);
      if (pkg.linkTo !== undefined) {
        assert.ok(entry.link === true && entry.resolved === pkg.linkTo, `${pkg.key} links to ${pkg.linkTo}, the lockfile says ${entry.resolved}`);
      } else {
        assert.equal(pkg.version, entry.version, `${pkg.key}: installed ${pkg.version}, the lockfile pins ${entry.version}`);
        assert.notEqual(entry.dev, true, `${pkg.key} is a dev dependency`);
      }
    }
    const keys = new Set(installed.map((p) => p.key));
    assert.deepEqual(
      installed.filter((p) => p.linkTo !== undefined).map((p) => `${p.key} -> ${p.linkTo}`),
      ['node_modules/@mcp-fargate/gateway -> packages/gateway'],
      'only the gateway workspace is linked',
    );
    const gateway = JSON.parse(readFileSync(join(app, 'packages/gateway/package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const dependency of Object.keys(gateway.dependencies)) {
      assert.ok(keys.has(`node_modules/${dependency}`) || keys.has(`packages/gateway/node_modules/${dependency}`), `${dependency} is installed`);
    }
    for (const absent of ['typescript', 'aws-cdk-lib', 'node', '@biomejs/biome'])
      assert.ok(!keys.has(`node_modules/${absent}`), `${absent} is not in the image`);
    assert.ok(existsSync(join(app, 'node_modules/@mcp-fargate/gateway/dist/src/main.js')));
    assert.ok(!existsSync(join(app, 'packages/gateway/dist/src/main.test.js')) && !existsSync(join(app, 'packages/gateway/src')), 'only published files');
  });

  test('WHEN started with the image CMD THEN /healthz is 200, the HEALTHCHECK passes, tools/list answers, and SIGTERM stops it', {
    timeout: 60_000,
  }, async () => {
    assert.ok(existsSync(join(app, 'node_modules')), 'the tree was installed by the test before');
    const cmd = (stage.find((i) => i.getKeyword() === 'CMD') as JSONInstruction).getJSONStrings().map((s) => s.getJSONValue());
    const port = await freePort();
    const [command, ...args] = cmd;
    assert.equal(command, 'node');
    const env = { PATH: process.env.PATH ?? '', ...envOf(stage), PORT: String(port), HOST: '127.0.0.1', NPM_CONFIG_CACHE: join(root, '.npm') };
    const child = spawn(process.execPath, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));

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

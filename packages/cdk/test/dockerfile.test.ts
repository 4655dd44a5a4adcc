// No Docker engine runs here, so the Dockerfile is proved by parsing it: each rule of issue 3 is one assertion.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DockerfileParser } from 'dockerfile-ast';
import type { Instruction, JSONInstruction, ModifiableInstruction } from 'dockerfile-ast';
import { REPO_ROOT, readExampleConfig } from './fixtures.js';

const dockerfile = DockerfileParser.parse(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const dockerignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

/** The instructions of each stage, in order (dockerfile-ast lists instructions flat). */
const stages: Instruction[][] = [];
for (const instruction of dockerfile.getInstructions()) {
  if (instruction.getKeyword() === 'FROM') stages.push([]);
  stages.at(-1)?.push(instruction);
}
const runtime = stages.at(-1) ?? [];
const inRuntime = (keyword: string) => runtime.filter((i) => i.getKeyword() === keyword);
const argsOf = (instruction: Instruction) => instruction.getArguments().map((a) => a.getValue());
const flagsOf = (instruction: Instruction) => Object.fromEntries((instruction as ModifiableInstruction).getFlags().map((f) => [f.getName(), f.getValue()]));
/** The JSON array of an exec-form instruction, or undefined for shell form. */
const execForm = (instruction: Instruction | undefined): string[] | undefined => {
  const json = instruction as JSONInstruction | undefined;
  return json?.getOpeningBracket?.() ? json.getJSONStrings().map((s) => s.getJSONValue()) : undefined;
};

/** What an ARG default resolves to, for FROM ${NODE_IMAGE}. */
function resolve(text: string): string {
  return text.replace(/\$\{?(\w+)\}?/g, (_, name: string) => {
    const arg = dockerfile.getInitialARGs().find((a) => a.getProperty()?.getName() === name);
    return arg?.getProperty()?.getValue() ?? '';
  });
}

describe('Dockerfile', () => {
  test('THEN it is multi-stage, every stage on the Node 24 slim image', () => {
    assert.ok(stages.length >= 2, 'a build stage and a runtime stage');
    for (const from of dockerfile.getFROMs()) {
      assert.equal(resolve(from.getImage() ?? ''), 'node:24-slim');
    }
    assert.equal(dockerfile.getFROMs().at(-1)?.getBuildStage(), 'runtime');
  });

  test('THEN the runtime stage installs production dependencies only, from the packed gateway', () => {
    const runs = inRuntime('RUN').map((r) => r.getArgumentsContent() ?? '');
    assert.ok(
      runs.some((r) => /npm (install|ci)\b.*--omit=dev/.test(r)),
      runs.join('\n'),
    );
    assert.ok(
      runs.every((r) => !/npm (install|ci)\b/.test(r) || r.includes('--omit=dev')),
      'every install omits dev dependencies',
    );
    const copies = inRuntime('COPY').map((c) => ({ flags: flagsOf(c), args: argsOf(c) }));
    assert.deepEqual(copies, [{ flags: { from: 'build' }, args: ['/pack/gateway.tgz', '/tmp/gateway.tgz'] }], 'nothing but the packed gateway comes in');
    assert.ok(inRuntime('ENV').some((e) => /NODE_ENV=production/.test(e.getArgumentsContent() ?? '')));
  });

  test('THEN the container runs as a non-root user', () => {
    const users = inRuntime('USER').map((u) => u.getArgumentsContent());
    assert.equal(users.length, 1);
    assert.ok(users[0] !== 'root' && users[0] !== '0' && !String(users[0]).startsWith('0:'), `USER ${users[0]}`);
    const userLine = inRuntime('USER')[0]?.getRange().start.line ?? Infinity;
    const cmdLine = inRuntime('CMD')[0]?.getRange().start.line ?? -1;
    assert.ok(userLine < cmdLine, 'USER comes before CMD');
  });

  test('THEN CMD is exec form, so node itself receives SIGTERM', () => {
    const cmd = execForm(inRuntime('CMD')[0]);
    assert.deepEqual(cmd, ['node', 'node_modules/@mcp-fargate/gateway/dist/src/main.js']);
    assert.equal(inRuntime('ENTRYPOINT').length, 0, 'no ENTRYPOINT wraps node in a shell');
    assert.equal(inRuntime('STOPSIGNAL').length, 0, 'the default SIGTERM');
  });

  test('THEN HEALTHCHECK uses node fetch on /healthz, not curl', () => {
    const [healthcheck] = inRuntime('HEALTHCHECK');
    assert.ok(healthcheck !== undefined);
    const text = healthcheck.getArgumentsContent() ?? '';
    assert.deepEqual(flagsOf(healthcheck), { interval: '10s', timeout: '5s', 'start-period': '30s', retries: '3' });
    assert.match(text, /^CMD \[/, 'exec form');
    assert.doesNotMatch(text, /curl|wget/);
    const command = JSON.parse(text.slice(text.indexOf('['))) as string[];
    assert.deepEqual(command.slice(0, 3), ['node', '-e', command[2]]);
    assert.match(command[2] ?? '', /fetch\('http:\/\/127\.0\.0\.1:'\+\(process\.env\.PORT\|\|8080\)\+'\/healthz'/);
  });

  test('THEN it listens on 8080', () => {
    assert.deepEqual(inRuntime('EXPOSE').map(argsOf), [['8080']]);
    assert.ok(inRuntime('ENV').some((e) => /\bPORT=8080\b/.test(e.getArgumentsContent() ?? '')));
    assert.ok(inRuntime('ENV').some((e) => /\bHOST=0\.0\.0\.0\b/.test(e.getArgumentsContent() ?? '')));
  });

  test('THEN the hosted MCP is configuration, not baked into the image', () => {
    const all = dockerfile
      .getInstructions()
      .map((i) => i.toString())
      .join('\n');
    assert.doesNotMatch(all, /MCP_SERVER|SESSION_STORE/);
    assert.equal(dockerfile.getInstructions().filter((i) => i.getKeyword() === 'ARG').length, 1, 'only the base image is a build argument');
  });

  test('GIVEN the example config THEN its environment names no path the image does not provide (no MCP_SERVER: the built-in demo)', () => {
    // The image holds the gateway only (installed under /app/node_modules); a module path that is not in it stops
    // every task at start. Your own server ships in an image built FROM this one (packages/cdk/README.md).
    const environment = (readExampleConfig().environment ?? {}) as Record<string, string>;
    assert.equal(environment.MCP_SERVER, undefined, 'the example hosts the built-in demo');
    const provided = ['/app/node_modules/', '/tmp/'];
    for (const [name, value] of Object.entries(environment)) {
      if (value.startsWith('/') || value.startsWith('./')) {
        assert.ok(
          provided.some((dir) => value.startsWith(dir)),
          `environment.${name}=${value} is not in the image`,
        );
      }
    }
    // What the image provides: the runtime stage installs only the gateway tarball into /app.
    const runtimeText = runtime.map((i) => i.toString()).join('\n');
    assert.match(runtimeText, /WORKDIR \/app/);
    assert.match(runtimeText, /npm install [^\n]*\/tmp\/gateway\.tgz/);
    assert.doesNotMatch(runtimeText, /\/app\/server/);
  });

  test('THEN .dockerignore keeps local state and secrets out of the build context', () => {
    assert.equal(dockerignore[0], '*', 'everything is excluded first');
    for (const needed of ['!package.json', '!package-lock.json', '!packages/gateway/']) assert.ok(dockerignore.includes(needed), needed);
    for (const excluded of ['packages/gateway/node_modules', 'packages/gateway/dist', '**/.env']) assert.ok(dockerignore.includes(excluded), excluded);
    // Every file the build stage COPYs from the context is let back in.
    const fromContext = (stages[0] ?? []).filter((i) => i.getKeyword() === 'COPY').flatMap((c) => argsOf(c).slice(0, -1));
    for (const source of fromContext) {
      assert.ok(
        dockerignore.some((line) => line === `!${source}` || (line.startsWith('!') && source.startsWith(line.slice(1)))),
        source,
      );
    }
  });
});

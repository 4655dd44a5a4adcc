// No Docker engine runs here, so the Dockerfile is proved by parsing it: each rule of issue 3 is one assertion.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DockerfileParser } from 'dockerfile-ast';
import type { Instruction, JSONInstruction, ModifiableInstruction } from 'dockerfile-ast';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { McpFargateService } from '../src/mcp-fargate-service.js';
import { DIGEST, ENV, NO_AUTH, REPO_ROOT, readExampleConfig, testApp } from './fixtures.js';

const text = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(text);
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
  test('THEN it is multi-stage, every stage on one Node 24 slim image pinned by the digest of its multi-arch index', () => {
    assert.ok(stages.length >= 2, 'a build stage and a runtime stage');
    const images = new Set(dockerfile.getFROMs().map((from) => resolve(from.getImage() ?? '')));
    assert.equal(images.size, 1, [...images].join(', '));
    assert.match([...images][0] ?? '', /^node:24\.\d+\.\d+-bookworm-slim@sha256:[0-9a-f]{64}$/);
    assert.equal(dockerfile.getFROMs().at(-1)?.getBuildStage(), 'runtime');
    assert.match(text, /docker buildx imagetools inspect node:24-bookworm-slim/, 'the comment says how to update the digest');
  });

  test('THEN the runtime stage installs the production dependencies with npm ci from the lockfile, and the packed gateway', () => {
    const installs = inRuntime('RUN')
      .flatMap((r) => (r.getArgumentsContent() ?? '').split('&&'))
      .map((part) => part.replace(/\\\s*$/gm, '').trim())
      .filter((part) => /^npm\b/.test(part));
    assert.deepEqual(installs, ['npm ci --omit=dev --workspace @mcp-fargate/gateway --ignore-scripts --no-audit --no-fund']);
    const copies = inRuntime('COPY').map((c) => ({ flags: flagsOf(c), args: argsOf(c) }));
    assert.deepEqual(
      copies,
      [
        { flags: {}, args: ['package.json', 'package-lock.json', './'] },
        { flags: {}, args: ['packages/gateway/package.json', 'packages/gateway/'] },
        { flags: {}, args: ['packages/cdk/package.json', 'packages/cdk/'] },
        { flags: { from: 'build' }, args: ['/pack/package/', 'packages/gateway/'] },
      ],
      'the lockfile and the workspace manifests npm ci needs, then the gateway as npm pack publishes it; nothing else',
    );
    assert.ok(inRuntime('ENV').some((e) => /NODE_ENV=production/.test(e.getArgumentsContent() ?? '')));
  });

  test('GIVEN the task definition the construct makes THEN its one writable mount is the VOLUME the image declares, on a read-only root', () => {
    const stack = new Stack(testApp(), 'Image', { env: ENV });
    const repository = ecr.Repository.fromRepositoryName(stack, 'Repo', 'mcp');
    new McpFargateService(stack, 'Mcp', { imageDigest: DIGEST, repository, insecureHttpForTesting: true, allowedCidrs: ['10.0.0.0/8'], auth: NO_AUTH });
    const [task] = Object.values(Template.fromStack(stack).findResources('AWS::ECS::TaskDefinition')).map((r) => r.Properties);
    const container = task.ContainerDefinitions[0];
    assert.equal(container.ReadonlyRootFilesystem, true);
    const volumes = runtime.filter((i) => i.getKeyword() === 'VOLUME').flatMap((i) => execForm(i) ?? []);
    assert.deepEqual(
      container.MountPoints.map((m: { ContainerPath: string }) => m.ContainerPath),
      volumes,
    );
    assert.deepEqual(
      task.Volumes.map((v: { Name: string }) => v.Name),
      container.MountPoints.map((m: { SourceVolume: string }) => m.SourceVolume),
    );
  });

  test('THEN /tmp is a VOLUME with mode 1777, declared after every RUN, with npm cache pointed there only after the install', () => {
    const keywords = runtime.map((i) => i.getKeyword());
    const volume = keywords.indexOf('VOLUME');
    assert.deepEqual(execForm(runtime[volume]), ['/tmp']);
    assert.equal(runtime[volume - 1]?.getArgumentsContent(), 'chmod 1777 /tmp', 'the image /tmp is world-writable and sticky');
    assert.equal(keywords.lastIndexOf('RUN'), volume - 1, 'no build step writes into the volume after it is declared');
    const cacheEnv = runtime.findIndex((i) => i.getKeyword() === 'ENV' && /NPM_CONFIG_CACHE=\/tmp\/\.npm/.test(i.getArgumentsContent() ?? ''));
    assert.ok(cacheEnv > volume, 'the install does not fill /tmp/.npm as root');
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
    // What the image provides: the runtime stage installs only the gateway and its dependencies into /app.
    const runtimeText = runtime.map((i) => i.toString()).join('\n');
    assert.match(runtimeText, /WORKDIR \/app/);
    assert.doesNotMatch(runtimeText, /\/app\/server/);
  });

  test('THEN .dockerignore keeps local state and secrets out of the build context', () => {
    assert.equal(dockerignore[0], '*', 'everything is excluded first');
    for (const needed of ['!package.json', '!package-lock.json', '!packages/gateway/']) assert.ok(dockerignore.includes(needed), needed);
    for (const excluded of ['packages/gateway/node_modules', 'packages/gateway/dist', '**/.env']) assert.ok(dockerignore.includes(excluded), excluded);
    // Every file a stage COPYs from the context is let back in.
    const fromContext = stages
      .flat()
      .filter((i) => i.getKeyword() === 'COPY' && flagsOf(i).from === undefined)
      .flatMap((c) => argsOf(c).slice(0, -1));
    for (const source of fromContext) {
      assert.ok(
        dockerignore.some((line) => line === `!${source}` || (line.startsWith('!') && source.startsWith(line.slice(1)))),
        source,
      );
    }
  });
});

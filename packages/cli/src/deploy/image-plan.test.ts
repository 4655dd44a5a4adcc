import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseDeploymentConfig } from '@mcp-fargate/cdk';
import { REPO_ROOT } from '../paths.js';
import type { ProjectConfig, RawConfig } from '../project-config.js';
import { commandRunner } from './docker.js';
import { imageTag, planImages } from './image-plan.js';

const URI = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/svc';
const config = parseDeploymentConfig({
  serviceName: 'svc',
  region: 'eu-west-1',
  image: { repositoryName: 'svc', digest: `sha256:${'a'.repeat(64)}` },
  loadBalancer: { scheme: 'internal', insecureHttpForTesting: true },
  auth: { mode: 'none' },
});

/** A project directory with these files, and a raw config (the server section is read raw, as the CLI does). */
function projectWith(files: Record<string, string>, raw: RawConfig = {}): ProjectConfig {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fargate-plan-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { path: join(dir, 'mcp-fargate.config.json'), dir, raw, config, digestIsPlaceholder: false };
}

const built = (plan: ReturnType<typeof planImages>) =>
  plan.builds.map((b) => ({ tag: b.args[b.args.indexOf('--tag') + 1], context: b.args.at(-1), push: b.push }));

describe('planImages', () => {
  test('GIVEN no Dockerfile THEN the gateway image itself, from this repository', () => {
    assert.deepEqual(built(planImages(projectWith({}), URI, 't1')), [{ tag: `${URI}:t1`, context: REPO_ROOT, push: `${URI}:t1` }]);
  });

  test('GIVEN a Dockerfile with ARG GATEWAY_IMAGE THEN the gateway base first (not pushed), then the project FROM it', () => {
    const project = projectWith({ Dockerfile: 'ARG GATEWAY_IMAGE=x\nFROM $GATEWAY_IMAGE\n' });
    const plan = planImages(project, URI, 't2');
    assert.deepEqual(built(plan), [
      { tag: 'mcp-fargate-gateway:t2', context: REPO_ROOT, push: undefined },
      { tag: `${URI}:t2`, context: project.dir, push: `${URI}:t2` },
    ]);
    assert.ok(plan.builds[1]?.args.includes('GATEWAY_IMAGE=mcp-fargate-gateway:t2'));
  });

  test('GIVEN a Dockerfile of its own THEN it is built as it is', () => {
    const project = projectWith({ Dockerfile: 'FROM scratch\n' });
    assert.deepEqual(built(planImages(project, URI, 't3')), [{ tag: `${URI}:t3`, context: project.dir, push: `${URI}:t3` }]);
  });

  test('GIVEN a sidecar built from the project THEN the gateway image and the server image, both pushed, the server under <tag>-server', () => {
    const project = projectWith(
      { Dockerfile: 'FROM python:3.12-slim\n' },
      { server: { image: 'build:.', port: 8001, healthCheck: { command: ['CMD-SHELL', 'true'] } } },
    );
    const plan = planImages(project, URI, 't4');
    assert.deepEqual(built(plan), [
      { tag: `${URI}:t4`, context: REPO_ROOT, push: `${URI}:t4` },
      { tag: `${URI}:t4-server`, context: project.dir, push: `${URI}:t4-server` },
    ]);
    assert.equal(plan.serverRef, `${URI}:t4-server`);
  });

  test('GIVEN any plan THEN builds are for the task architecture, one manifest (no provenance), loaded for the push', () => {
    const args = planImages(projectWith({}), URI, 't5').builds[0]?.args ?? [];
    assert.deepEqual(args.slice(0, 6), ['buildx', 'build', '--platform', 'linux/arm64', '--provenance=false', '--load']);
  });
});

describe('imageTag', () => {
  const now = new Date('2026-12-01T10:20:30.456Z');
  const run = commandRunner();

  test('GIVEN no git THEN a UTC timestamp', async () => {
    assert.deepEqual(await imageTag(run, mkdtempSync(join(tmpdir(), 'mcp-fargate-tag-')), now), { tag: '20261201T102030Z', clean: false });
  });

  test('GIVEN a clean git work tree THEN the commit; with changes THEN the commit and the timestamp', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-fargate-tag-'));
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir, encoding: 'utf8' }).trim();
    git('init', '-q');
    git('commit', '-q', '--allow-empty', '-m', 'x');
    const sha = git('rev-parse', '--short=12', 'HEAD');
    assert.deepEqual(await imageTag(run, dir, now), { tag: sha, clean: true });
    writeFileSync(join(dir, 'new.txt'), 'change');
    assert.deepEqual(await imageTag(run, dir, now), { tag: `${sha}-dirty-20261201T102030Z`, clean: false });
  });
});

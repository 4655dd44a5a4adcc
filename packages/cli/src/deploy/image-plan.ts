import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../paths.js';
import { type ProjectConfig, sidecarBuildDir } from '../project-config.js';
import type { CommandRunner } from './docker.js';

/** One `docker buildx build`, and the reference it pushes (none for a base image only loaded locally). */
export interface ImageBuild {
  readonly title: string;
  readonly args: readonly string[];
  readonly push: string | undefined;
}

export interface ImagePlan {
  readonly platform: 'linux/arm64' | 'linux/amd64';
  readonly tag: string;
  /** Builds in order (a base before what is built FROM it). */
  readonly builds: readonly ImageBuild[];
  /** The gateway container's image, `<repository uri>:<tag>`. */
  readonly gatewayRef: string;
  /** The sidecar's image when the config builds one (`server.image: "build:<dir>"`). */
  readonly serverRef: string | undefined;
}

/** The local name of the gateway image a project's Dockerfile is built FROM (init writes `ARG GATEWAY_IMAGE`). */
export const GATEWAY_BASE_NAME = 'mcp-fargate-gateway';

/**
 * What `deploy` builds: the project's own Dockerfile when it has one (FROM the gateway image, built first, when it
 * declares `ARG GATEWAY_IMAGE`), else the gateway image itself (the repository's Dockerfile); a sidecar directory's
 * Dockerfile as a second image. `--provenance=false` keeps each push one image manifest, so the digest ECR reports is
 * the image's own and no untagged attestation manifests pile up in an immutable repository.
 */
export function planImages(project: ProjectConfig, repositoryUri: string, tag: string): ImagePlan {
  const platform = project.config.task.architecture === 'arm64' ? 'linux/arm64' : 'linux/amd64';
  const build = (ref: string, dockerfile: string, context: string, buildArgs: readonly string[] = []) => [
    'buildx',
    'build',
    '--platform',
    platform,
    '--provenance=false',
    '--load',
    '--tag',
    ref,
    ...buildArgs.flatMap((arg) => ['--build-arg', arg]),
    '--file',
    dockerfile,
    context,
  ];
  const gatewayRef = `${repositoryUri}:${tag}`;
  const stock = (ref: string, title: string): ImageBuild => ({ title, args: build(ref, join(REPO_ROOT, 'Dockerfile'), REPO_ROOT), push: ref });
  const sidecar = sidecarBuildDir(project.raw);
  if (sidecar !== undefined) {
    const dir = resolve(project.dir, sidecar);
    const serverRef = `${repositoryUri}:${tag}-server`;
    return {
      platform,
      tag,
      gatewayRef,
      serverRef,
      builds: [
        stock(gatewayRef, 'Build the gateway image'),
        { title: `Build the server image from ${dir}`, args: build(serverRef, join(dir, 'Dockerfile'), dir), push: serverRef },
      ],
    };
  }
  const dockerfile = join(project.dir, 'Dockerfile');
  if (!existsSync(dockerfile) || resolve(project.dir) === resolve(REPO_ROOT)) {
    return { platform, tag, gatewayRef, serverRef: undefined, builds: [stock(gatewayRef, 'Build the gateway image')] };
  }
  if (!/^\s*ARG\s+GATEWAY_IMAGE\b/m.test(readFileSync(dockerfile, 'utf8'))) {
    return {
      platform,
      tag,
      gatewayRef,
      serverRef: undefined,
      builds: [{ title: `Build ${dockerfile}`, args: build(gatewayRef, dockerfile, project.dir), push: gatewayRef }],
    };
  }
  const base = `${GATEWAY_BASE_NAME}:${tag}`;
  return {
    platform,
    tag,
    gatewayRef,
    serverRef: undefined,
    builds: [
      { title: 'Build the gateway base image', args: build(base, join(REPO_ROOT, 'Dockerfile'), REPO_ROOT), push: undefined },
      { title: `Build ${dockerfile} FROM it`, args: build(gatewayRef, dockerfile, project.dir, [`GATEWAY_IMAGE=${base}`]), push: gatewayRef },
    ],
  };
}

/**
 * An immutable tag for this build: the commit (12 hex digits) in a clean git work tree; the commit and a UTC timestamp
 * when it has changes (the same commit built twice from different files must not claim the same tag); a timestamp
 * outside git.
 */
export async function imageTag(run: CommandRunner, dir: string, now: Date): Promise<{ tag: string; clean: boolean }> {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const head = await run('git', ['-C', dir, 'rev-parse', '--short=12', 'HEAD']);
  if (head.code !== 0) return { tag: stamp, clean: false };
  const sha = head.stdout.trim();
  const status = await run('git', ['-C', dir, 'status', '--porcelain']);
  return status.code === 0 && status.stdout.trim() === '' ? { tag: sha, clean: true } : { tag: `${sha}-dirty-${stamp}`, clean: false };
}

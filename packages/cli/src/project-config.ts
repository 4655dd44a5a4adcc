import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type DeploymentConfig, McpFargateError, parseDeploymentConfig } from '@mcp-fargate/cdk';
import { CliError } from './errors.js';

/** The file every command reads unless `--config` names another. */
export const DEFAULT_CONFIG_FILE = 'mcp-fargate.config.json';

/**
 * What `synth` pins when the config names no digest yet: `deploy` always replaces it with the digest of the image it
 * pushed, so the config written by `init` needs none. A template holding it is for reading, never for deploying.
 */
export const PLACEHOLDER_DIGEST = `sha256:${'0'.repeat(64)}`;

/**
 * A sidecar `server.image` of the form `build:<dir>` names a directory whose Dockerfile `deploy` builds and pushes
 * (beside the gateway image), then pins by digest; `synth` pins a placeholder reference instead.
 */
export const SIDECAR_BUILD_PREFIX = 'build:';

/** The parts of the config file the CLI reads itself (the CDK package validates the whole file). */
export interface RawConfig {
  readonly serviceName?: string;
  readonly account?: string;
  readonly region?: string;
  readonly image?: { readonly repositoryName?: string; readonly digest?: string; readonly createRepository?: boolean };
  readonly task?: { readonly architecture?: 'arm64' | 'x86_64' };
  readonly environment?: Readonly<Record<string, string>>;
  readonly server?: ServerSection;
  readonly servers?: Readonly<Record<string, ServerSection>>;
  readonly sessionStore?: 'memory' | 'valkey' | { readonly url?: string; readonly urlSecret?: string };
  readonly auth?: AuthSection;
  readonly [key: string]: unknown;
}

/** The hosted server, as the config's `server` section names it (one kind per object). */
export type ServerSection =
  | { readonly module: string }
  | { readonly command: string; readonly cwd?: string; readonly passEnv?: readonly string[]; readonly env?: Readonly<Record<string, string>> }
  | { readonly url: string; readonly headers?: Readonly<Record<string, string>> }
  | { readonly image: string; readonly port: number; readonly path?: string; readonly healthCheck: { readonly command: readonly string[] } };

export type AuthSection =
  | { readonly mode: 'keys'; readonly keysSecret: string; readonly header?: string }
  | { readonly mode: 'oauth'; readonly issuer?: string; readonly cognito?: unknown; readonly scopes?: readonly string[] }
  | { readonly mode: 'none'; readonly acknowledgeNoAuth?: string };

export interface ProjectConfig {
  /** Absolute path of the config file. */
  readonly path: string;
  /** The directory holding it: the project, and the docker build context. */
  readonly dir: string;
  readonly raw: RawConfig;
  /** Validated by @mcp-fargate/cdk, defaults filled in, with the digest this command pins. */
  readonly config: DeploymentConfig;
  /** True when neither the file nor the command named a digest, so PLACEHOLDER_DIGEST stands in. */
  readonly digestIsPlaceholder: boolean;
}

/** Reads the raw JSON of a config file, with errors that say which file and how to get one. */
export function readRawConfig(path: string): RawConfig {
  const absolute = resolve(path);
  if (!existsSync(absolute)) {
    throw new CliError('MCPF_CLI_CONFIG_NOT_FOUND', `${path} does not exist. Run \`mcp-fargate init\` in your project to write one, or pass --config <file>.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(absolute, 'utf8'));
  } catch (error) {
    throw new CliError('MCPF_CLI_CONFIG_INVALID', `${path} is not valid JSON (${(error as Error).message}); fix the file and run again.`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CliError('MCPF_CLI_CONFIG_INVALID', `${path} must hold a JSON object (see examples/mcp-fargate.config.json).`);
  }
  return json as RawConfig;
}

/**
 * Loads and validates a config file through @mcp-fargate/cdk (every problem at once, with "did you mean"), pinning
 * `digest` when given. The region falls back to AWS_REGION / AWS_DEFAULT_REGION as the CDK app's does, and a missing
 * one is reported against this file.
 */
export function loadProjectConfig(path: string, options: ConfigOptions = {}): ProjectConfig {
  return validateProjectConfig(readRawConfig(path), path, options);
}

interface ConfigOptions {
  readonly digest?: string;
  readonly serverImage?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Validates a raw config as `loadProjectConfig` does; `init` checks what it is about to write with it. */
export function validateProjectConfig(raw: RawConfig, path: string, options: ConfigOptions = {}): ProjectConfig {
  const env = options.env ?? process.env;
  const fileDigest = raw.image?.digest;
  const digest = options.digest ?? fileDigest ?? PLACEHOLDER_DIGEST;
  const region = raw.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (region === undefined) {
    throw new CliError('MCPF_CLI_CONFIG_INVALID', `${path}: region is required: add "region": "eu-west-1" (your region) to the file, or set AWS_REGION.`);
  }
  const buildDir = sidecarBuildDir(raw);
  const server =
    buildDir === undefined
      ? raw.server
      : {
          ...raw.server,
          image: options.serverImage ?? `${raw.account ?? '000000000000'}.dkr.ecr.${region}.amazonaws.com/${raw.image?.repositoryName}@${PLACEHOLDER_DIGEST}`,
        };
  const input = { ...raw, region, image: { ...raw.image, digest }, ...(server === undefined ? {} : { server }) };
  let config: DeploymentConfig;
  try {
    config = parseDeploymentConfig(input, path);
  } catch (error) {
    if (error instanceof McpFargateError) throw new CliError('MCPF_CLI_CONFIG_INVALID', error.message);
    throw error;
  }
  const absolute = resolve(path);
  return { path: absolute, dir: dirname(absolute), raw, config, digestIsPlaceholder: options.digest === undefined && fileDigest === undefined };
}

/** The directory of a sidecar `server.image` that `deploy` builds (`build:<dir>`), if the config has one. */
export function sidecarBuildDir(raw: RawConfig): string | undefined {
  const server = raw.server;
  return server !== undefined && 'image' in server && server.image.startsWith(SIDECAR_BUILD_PREFIX)
    ? server.image.slice(SIDECAR_BUILD_PREFIX.length)
    : undefined;
}

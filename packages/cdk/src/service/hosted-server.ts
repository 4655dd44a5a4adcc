import { Annotations, Fn, Token } from 'aws-cdk-lib';
import type { Duration } from 'aws-cdk-lib';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import type { Construct } from 'constructs';
import { splitCommandLine } from '../command-line.js';
import { DEFAULTS, LIMITS } from '../defaults.js';
import { McpFargateError, show } from '../errors.js';
import { GATEWAY_ENV, GATEWAY_SETTINGS, RESERVED_ENVIRONMENT } from '../gateway-env.js';
import { looksLikeCredential, validateEnvironmentName, validateImageDigest, validateInteger, validatePlainEnvironment } from '../validation.js';
import type { McpSecret } from './props.js';

/** A module in the image whose default export returns an `McpServer` of SDK v2 or v1 (`MCP_SERVER`). */
export interface McpModuleServer {
  /** Absolute path of the module in the image, such as `/app/server/index.js`. */
  readonly module: string;
}

/** A stdio MCP server the gateway starts as a child process, one per legacy session (`MCP_SERVER_COMMAND`). */
export interface McpCommandServer {
  /**
   * The command line, split by the gateway without a shell: words on whitespace, `'...'` literal, `"..."` with `\"`
   * and `\\`, a backslash escaping the next character outside quotes; no variables, globs or pipes.
   */
  readonly command: string;

  /**
   * Absolute working directory of the child (`MCP_SERVER_CWD`).
   * @default - the gateway's working directory (`/app` in the image)
   */
  readonly cwd?: string;

  /**
   * Names of the gateway's variables the child may see besides its allowlist (PATH, HOME, LANG, TZ, TMPDIR,
   * NPM_CONFIG_CACHE, ...): typically the `secrets` it needs, so credentials reach a child only when named.
   * @default - none: the child sees only the allowlist (and `env`)
   */
  readonly passEnv?: string[];

  /**
   * Plain values for the child. For `server` they become variables of the gateway's environment too (named in
   * `MCP_SERVER_ENV`), so names the gateway reads are refused; within `servers` they travel in `MCP_SERVERS`.
   * Never credentials (use `secrets` and `passEnv`).
   * @default - none
   */
  readonly env?: Record<string, string>;
}

/** An existing streamable-HTTP MCP server the gateway fronts (`MCP_SERVER_URL`): in the image, or elsewhere. */
export interface McpUrlServer {
  /** `http://` or `https://` URL of its MCP endpoint, such as `http://127.0.0.1:8000/mcp`. */
  readonly url: string;

  /**
   * Headers added to every upstream request. `${NAME}` in a value is the gateway's variable NAME, so a credential
   * comes from `secrets` (`{ Authorization: 'Bearer ${UPSTREAM_TOKEN}' }`); a literal credential is refused.
   * @default - none
   */
  readonly headers?: Record<string, string>;
}

/** The container health check of a sidecar; the gateway starts only once it passes. */
export interface McpSidecarHealthCheck {
  /**
   * ECS form: `['CMD', 'executable', ...args]` or `['CMD-SHELL', 'a shell line']`, with what the image has (a Python
   * image: `python -c "import socket; socket.create_connection(('127.0.0.1', 8000), 3)"`; slim images lack curl).
   */
  readonly command: string[];

  /** @default Duration.seconds(10) */
  readonly interval?: Duration;

  /** @default Duration.seconds(5) */
  readonly timeout?: Duration;

  /** @default 3 */
  readonly retries?: number;

  /**
   * Failures in this time after the container starts do not count.
   * @default Duration.seconds(30)
   */
  readonly startPeriod?: Duration;
}

/** The image of a sidecar, pinned by digest. */
export interface McpSidecarImage {
  /** The ECR repository holding it; the execution role may pull from it. */
  readonly repository: ecr.IRepository;
  /** `sha256:<64 hex>`; tags are refused. */
  readonly digest: string;
}

/**
 * An existing streamable-HTTP MCP server in its own image (a Python FastMCP app, say), run as a second container of
 * the task: the gateway stays in front on the container port, the only one the load balancer reaches, and reaches
 * the server on 127.0.0.1 (containers of a Fargate task share localhost). The gateway starts once the sidecar is
 * healthy and stops first.
 */
export interface McpSidecarServer {
  readonly image: McpSidecarImage;

  /** The port it listens on (bind 127.0.0.1: only the gateway needs it); not the gateway's. */
  readonly port: number;

  /**
   * Path of its MCP endpoint.
   * @default '/mcp'
   */
  readonly path?: string;

  /** Required: ECS needs it for the gateway to wait for a healthy sidecar, and no one command fits every image. */
  readonly healthCheck: McpSidecarHealthCheck;

  /**
   * Its plain environment; never credentials.
   * @default - none
   */
  readonly environment?: Record<string, string>;

  /**
   * Its variables from Secrets Manager; the execution role may read exactly these (with the gateway's).
   * @default - none
   */
  readonly secrets?: Record<string, McpSecret>;

  /**
   * User (and group) it runs as.
   * @default '1000:1000' - not root; use the image's own non-root user if it needs its home directory
   */
  readonly user?: string;

  /**
   * Its root filesystem is read-only; `/tmp` is a writable volume (writable by a non-root user only if the image
   * declares `VOLUME /tmp` with mode 1777, as the gateway image does: Fargate otherwise creates it root-owned 0755).
   * @default true
   */
  readonly readonlyRootFilesystem?: boolean;
}

/** What the gateway hosts: exactly one kind. */
export type McpHostedServer = McpModuleServer | McpCommandServer | McpUrlServer | McpSidecarServer;

/** One of several servers, served at `/<name>/mcp`; the default one also at `/mcp`. */
export type McpNamedServer = McpHostedServer & {
  /**
   * Also serve it at `/mcp`; at most one server is the default.
   * @default false
   */
  readonly default?: boolean;
};

/** The kinds, by the field that names each. */
const KIND_FIELDS = {
  module: ['module'],
  command: ['command', 'cwd', 'passEnv', 'env'],
  url: ['url', 'headers'],
  image: ['image', 'port', 'path', 'healthCheck', 'environment', 'secrets', 'user', 'readonlyRootFilesystem'],
} as const;

export type ServerKind = keyof typeof KIND_FIELDS;

const SERVER_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** What the rules need to know besides the entry: the gateway's port, and the variables its environment defines. */
export interface ServerRuleContext {
  readonly containerPort: number;
  /** Names `environment` and `secrets` define, which `${NAME}` in a header may reference. */
  readonly defined: ReadonlySet<string>;
}

/**
 * The rules of one hosted server entry, shared by the construct and the deployment config: exactly one kind, only
 * that kind's fields, and each field well formed. Loosely typed, since JavaScript and JSON reach it too. Returns the
 * kind. The sidecar image, health check times and secrets are checked by the caller, which knows their shapes.
 */
export function validateServerEntry(field: string, entry: Readonly<Record<string, unknown>>, ctx: ServerRuleContext, named: boolean): ServerKind {
  const kinds = (Object.keys(KIND_FIELDS) as ServerKind[]).filter((kind) => entry[kind] !== undefined);
  if (kinds.length !== 1) {
    throw new McpFargateError(
      kinds.length === 0 ? 'MCPF_CDK_SERVER_INVALID' : 'MCPF_CDK_SERVER_CONFLICT',
      `${field} must have exactly one of module, command, url and image (a sidecar), got ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`,
    );
  }
  const kind = kinds[0] as ServerKind;
  // `default` picks the one of several servers also served at /mcp; a single server is served there anyway.
  const allowed: readonly string[] = named ? [...KIND_FIELDS[kind], 'default'] : KIND_FIELDS[kind];
  for (const key of Object.keys(entry)) {
    if (entry[key] !== undefined && !allowed.includes(key)) {
      const owner = (Object.keys(KIND_FIELDS) as ServerKind[]).find((k) => (KIND_FIELDS[k] as readonly string[]).includes(key));
      throw new McpFargateError(
        'MCPF_CDK_SERVER_CONFLICT',
        key === 'default'
          ? `${field}.default applies only to one of several servers (servers); a single server is served at /mcp anyway`
          : `${field}.${key} ${owner === undefined ? 'is not a field of a server' : `applies to a ${owner === 'image' ? 'sidecar (image)' : owner} server`}, but this one is a ${kind === 'image' ? 'sidecar' : kind} server`,
      );
    }
  }
  if (kind === 'module') validateAbsolutePath(`${field}.module`, entry.module);
  if (kind === 'command') {
    validateCommand(`${field}.command`, entry.command);
    if (entry.cwd !== undefined) validateAbsolutePath(`${field}.cwd`, entry.cwd);
    for (const [i, name] of stringList(`${field}.passEnv`, entry.passEnv).entries()) {
      validateEnvironmentName(`${field}.passEnv[${i}]`, name);
      if (RESERVED_ENVIRONMENT.includes(name)) {
        throw new McpFargateError(
          'MCPF_CDK_ENV_RESERVED',
          `${field}.passEnv[${i}] is ${name}, which the construct sets for the gateway itself; a hosted server never needs the gateway's own settings or credentials`,
        );
      }
    }
    for (const [name, value] of Object.entries(stringMap(`${field}.env`, entry.env))) validatePlainEnvironment(`${field}.env`, name, value);
  }
  if (kind === 'url') {
    validateServerUrl(`${field}.url`, entry.url, ctx.containerPort);
    validateHeaders(`${field}.headers`, stringMap(`${field}.headers`, entry.headers), ctx.defined);
  }
  if (kind === 'image') {
    const port = entry.port;
    if (typeof port !== 'number') throw new McpFargateError('MCPF_CDK_SERVER_INVALID', `${field}.port is required for a sidecar, got ${show(port)}`);
    validateInteger(`${field}.port`, port, LIMITS.containerPort);
    if (port === ctx.containerPort) {
      throw new McpFargateError(
        'MCPF_CDK_SERVER_CONFLICT',
        `${field}.port is ${port}, the gateway's own port (containerPort); give the sidecar another one (containers of a task share localhost)`,
      );
    }
    if (entry.path !== undefined) validateUrlPath(`${field}.path`, entry.path);
    const healthCheck = entry.healthCheck as { command?: unknown } | undefined;
    validateHealthCheckCommand(`${field}.healthCheck.command`, healthCheck?.command);
    for (const [name, value] of Object.entries(stringMap(`${field}.environment`, entry.environment))) {
      validatePlainEnvironment(`${field}.environment`, name, value);
    }
    if (entry.user !== undefined && (typeof entry.user !== 'string' || !/^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$/.test(entry.user))) {
      throw new McpFargateError('MCPF_CDK_SERVER_INVALID', `${field}.user must be a user, uid, user:group or uid:gid, got ${show(entry.user)}`);
    }
  }
  if (entry.default !== undefined && typeof entry.default !== 'boolean') {
    throw new McpFargateError('MCPF_CDK_SERVER_INVALID', `${field}.default must be true or false, got ${show(entry.default)}`);
  }
  return kind;
}

/** A server name: the first segment of its path, `/<name>/mcp`. */
export function validateServerName(field: string, name: string): void {
  if (!SERVER_NAME.test(name)) {
    throw new McpFargateError(
      'MCPF_CDK_SERVER_INVALID',
      `${field}: ${show(name)} is not a server name (a lowercase letter, then up to 62 lowercase letters, digits or hyphens; it is the path /<name>/mcp)`,
    );
  }
}

/** Several servers: at least one, at most one default, no two sidecars on one port. */
export function validateServerSet(field: string, entries: readonly (readonly [string, Readonly<Record<string, unknown>>])[]): void {
  if (entries.length === 0) throw new McpFargateError('MCPF_CDK_SERVER_INVALID', `${field} names no server; give at least one, or use server`);
  const defaults = entries.filter(([, entry]) => entry.default === true).map(([name]) => name);
  if (defaults.length > 1) {
    throw new McpFargateError('MCPF_CDK_SERVER_CONFLICT', `${field}: ${defaults.join(' and ')} are both the default; at most one is served at /mcp`);
  }
  const ports = new Map<unknown, string>();
  for (const [name, entry] of entries) {
    if (entry.image === undefined) continue;
    const taken = ports.get(entry.port);
    if (taken !== undefined) {
      throw new McpFargateError('MCPF_CDK_SERVER_CONFLICT', `${field}.${name}.port is ${show(entry.port)}, which the sidecar ${taken} listens on already`);
    }
    ports.set(entry.port, name);
  }
}

/**
 * The `env` of a stdio server given as `server`: its values become variables of the gateway's environment, so a name
 * the gateway reads, the construct sets, or `environment` or `secrets` defines would change the gateway too.
 */
export function validateChildEnvironmentNames(field: string, env: Readonly<Record<string, string>>, defined: ReadonlySet<string>): void {
  for (const name of Object.keys(env)) {
    if (RESERVED_ENVIRONMENT.includes(name) || GATEWAY_SETTINGS.includes(name) || defined.has(name)) {
      throw new McpFargateError(
        'MCPF_CDK_ENV_RESERVED',
        `${field}.${name} would also set the gateway's own ${name}${defined.has(name) ? ' (defined in environment or secrets already)' : ''}: ` +
          `the values of a single stdio server travel as gateway variables; rename it, or host the server under servers, whose env stays the child's`,
      );
    }
  }
}

/** ECS health check commands start with CMD (exec form) or CMD-SHELL (a line for /bin/sh). */
export function validateHealthCheckCommand(field: string, command: unknown): void {
  const ok =
    Array.isArray(command) &&
    command.length >= 2 &&
    command.every((word) => typeof word === 'string' && word !== '') &&
    (command[0] === 'CMD' || (command[0] === 'CMD-SHELL' && command.length === 2));
  if (!ok) {
    throw new McpFargateError(
      'MCPF_CDK_SERVER_INVALID',
      `${field} is required for a sidecar (the gateway waits for it to be healthy): ['CMD', 'executable', ...args] or ['CMD-SHELL', 'a shell line'], ` +
        `with what the image has (slim images have no curl), got ${show(command)}`,
    );
  }
}

/** The ECS ranges of a health check's times. */
export function validateHealthCheckTimes(
  field: string,
  times: { intervalSeconds?: number; timeoutSeconds?: number; retries?: number; startPeriodSeconds?: number },
): void {
  if (times.intervalSeconds !== undefined) validateInteger(`${field}.interval`, times.intervalSeconds, LIMITS.healthCheckIntervalSeconds);
  if (times.timeoutSeconds !== undefined) validateInteger(`${field}.timeout`, times.timeoutSeconds, LIMITS.healthCheckTimeoutSeconds);
  if (times.retries !== undefined) validateInteger(`${field}.retries`, times.retries, LIMITS.healthCheckRetries);
  if (times.startPeriodSeconds !== undefined) validateInteger(`${field}.startPeriod`, times.startPeriodSeconds, LIMITS.healthCheckStartPeriodSeconds);
}

function validateAbsolutePath(field: string, value: unknown): void {
  if (typeof value === 'string' && Token.isUnresolved(value)) return;
  if (typeof value !== 'string' || !value.startsWith('/') || /[\0\n]/.test(value)) {
    throw new McpFargateError('MCPF_CDK_SERVER_INVALID', `${field} must be an absolute path in the image, such as /app/server/index.js, got ${show(value)}`);
  }
}

function validateCommand(field: string, value: unknown): void {
  if (typeof value === 'string' && Token.isUnresolved(value)) return;
  if (typeof value !== 'string') throw new McpFargateError('MCPF_CDK_SERVER_INVALID', `${field} must be a command line, got ${show(value)}`);
  const split = splitCommandLine(value);
  if ('error' in split) {
    throw new McpFargateError(
      'MCPF_CDK_SERVER_INVALID',
      `${field} cannot be split (${split.error}), got ${show(value)}; the gateway splits it without a shell: words on whitespace, ` +
        `'...' literal, "..." with \\" and \\\\, a backslash escaping the next character`,
    );
  }
  if (split.words.some(looksLikeCredential)) {
    throw new McpFargateError(
      'MCPF_CDK_ENV_CARRIES_SECRET',
      `${field} holds what looks like a credential; the command line is plain configuration anyone who can describe the task definition reads. ` +
        'Put the credential in secrets and name it in passEnv',
    );
  }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '0.0.0.0']);

/** An upstream MCP endpoint: http(s), no credentials in it, and not the gateway itself. */
export function validateServerUrl(field: string, value: unknown, containerPort: number): void {
  if (typeof value === 'string' && Token.isUnresolved(value)) return;
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new McpFargateError('MCPF_CDK_SERVER_INVALID', `${field} must be an http:// or https:// URL, got ${show(value)}`);
  }
  if (typeof value !== 'string' || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new McpFargateError('MCPF_CDK_SERVER_INVALID', `${field} must be an http:// or https:// URL, got ${show(value)}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new McpFargateError(
      'MCPF_CDK_ENV_CARRIES_SECRET',
      `${field} carries credentials, which would be plain configuration; put them in secrets and send them in headers as \${NAME}`,
    );
  }
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  if (LOOPBACK.has(url.hostname) && port === containerPort) {
    throw new McpFargateError(
      'MCPF_CDK_SERVER_INVALID',
      `${field} is ${show(value)}, the gateway itself (port ${containerPort}); give the upstream server's own port`,
    );
  }
}

/** A path on an HTTP server. */
function validateUrlPath(field: string, value: unknown): void {
  if (typeof value !== 'string' || !/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/.test(value)) {
    throw new McpFargateError('MCPF_CDK_SERVER_INVALID', `${field} must be a URL path starting with /, such as /mcp, got ${show(value)}`);
  }
}

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/** Header names that say they carry a credential. */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie)$|key|token|secret|auth|session|password/i;
const REFERENCE = /\$\{([^}]*)\}/g;

/**
 * Upstream headers travel as plain configuration (`MCP_SERVER_HEADERS`, `MCP_SERVERS`), so a credential in one must
 * be a `${NAME}` reference to a variable the gateway has (a secret), and every reference must name one it has.
 */
export function validateHeaders(field: string, headers: Readonly<Record<string, string>>, defined: ReadonlySet<string>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) throw new McpFargateError('MCPF_CDK_SERVER_INVALID', `${field}: ${show(name)} is not an HTTP header name`);
    if (Token.isUnresolved(value)) continue;
    const references = [...value.matchAll(REFERENCE)].map((m) => m[1] ?? '');
    for (const reference of references) {
      validateEnvironmentName(`${field}.${name}`, reference);
      if (!defined.has(reference)) {
        throw new McpFargateError(
          'MCPF_CDK_SERVER_INVALID',
          `${field}.${name} references \${${reference}}, which neither secrets nor environment defines; the gateway would have nothing to send`,
        );
      }
    }
    const literal = value.replace(REFERENCE, '');
    if (looksLikeCredential(literal.trim()) || (CREDENTIAL_HEADER.test(name) && references.length === 0)) {
      throw new McpFargateError(
        'MCPF_CDK_ENV_CARRIES_SECRET',
        `${field}.${name} is a literal credential in plain configuration; put it in secrets and write the header as \${NAME} (e.g. "Bearer \${UPSTREAM_TOKEN}")`,
      );
    }
  }
}

function stringList(field: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new McpFargateError('MCPF_CDK_SERVER_INVALID', `${field} must be a list of names, got ${show(value)}`);
  }
  return value;
}

function stringMap(field: string, value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw new McpFargateError('MCPF_CDK_SERVER_INVALID', `${field} must map names to strings, got ${show(value)}`);
  }
  return value as Record<string, string>;
}

/** A sidecar to run beside the gateway, as resolved from `server` or `servers`. */
export interface ResolvedSidecar {
  /** The container's name: `server`, or `server-<name>` for one of `servers`. */
  readonly containerName: string;
  /** The prop it came from, for messages. */
  readonly field: string;
  readonly server: McpSidecarServer;
}

/** The gateway's variables that select what it hosts, and the sidecars the task runs. */
export interface ResolvedServers {
  readonly environment: Readonly<Record<string, string>>;
  readonly sidecars: readonly ResolvedSidecar[];
}

/**
 * Validates `server` / `servers` and maps them to the gateway's variables (exactly one of `MCP_SERVER`,
 * `MCP_SERVER_COMMAND`, `MCP_SERVER_URL`, `MCP_SERVERS`; none hosts the built-in demo). A sidecar becomes
 * `MCP_SERVER_URL=http://127.0.0.1:<port><path>`.
 */
export function resolveHostedServers(
  scope: Construct,
  at: (prop: string) => string,
  server: McpHostedServer | undefined,
  servers: Readonly<Record<string, McpNamedServer>> | undefined,
  ctx: ServerRuleContext,
): ResolvedServers {
  if (server !== undefined && servers !== undefined) {
    throw new McpFargateError('MCPF_CDK_SERVER_CONFLICT', `${at('server')} and ${at('servers')} are both given; host one server, or several under servers`);
  }
  if (server !== undefined) {
    const field = at('server');
    const kind = validateServerEntry(field, server as unknown as Record<string, unknown>, ctx, false);
    const sidecars = kind === 'image' ? [sidecarOf(field, 'server', server as McpSidecarServer)] : [];
    if (kind === 'command') validateChildEnvironmentNames(`${field}.env`, (server as McpCommandServer).env ?? {}, ctx.defined);
    warnPassEnv(scope, field, server, ctx.defined);
    return { environment: singleServerEnvironment(server), sidecars };
  }
  if (servers !== undefined) {
    const field = at('servers');
    const entries = Object.entries(servers);
    for (const [name, entry] of entries) {
      validateServerName(field, name);
      validateServerEntry(`${field}.${name}`, entry as unknown as Record<string, unknown>, ctx, true);
      warnPassEnv(scope, `${field}.${name}`, entry, ctx.defined);
    }
    validateServerSet(field, entries as unknown as [string, Record<string, unknown>][]);
    const sidecars = entries
      .filter((entry): entry is [string, McpSidecarServer & { default?: boolean }] => 'image' in entry[1])
      .map(([name, entry]) => sidecarOf(`${field}.${name}`, `server-${name}`, entry));
    return {
      environment: { [GATEWAY_ENV.servers]: literally(JSON.stringify(Object.fromEntries(entries.map(([name, entry]) => [name, serversEntry(entry)])))) },
      sidecars,
    };
  }
  return { environment: {}, sidecars: [] };
}

function sidecarOf(field: string, containerName: string, server: McpSidecarServer): ResolvedSidecar {
  if (server.image?.repository === undefined) {
    throw new McpFargateError('MCPF_CDK_SERVER_INVALID', `${field}.image.repository is required: the ECR repository holding the sidecar's image`);
  }
  validateImageDigest(`${field}.image.digest`, server.image.digest);
  for (const name of Object.keys(server.secrets ?? {})) {
    validateEnvironmentName(`${field}.secrets`, name);
    if (server.environment?.[name] !== undefined) {
      throw new McpFargateError('MCPF_CDK_ENV_RESERVED', `${field}.secrets.${name} is also in its environment; a name can only be one or the other`);
    }
  }
  const h = server.healthCheck;
  validateHealthCheckTimes(`${field}.healthCheck`, {
    intervalSeconds: h.interval?.toSeconds(),
    timeoutSeconds: h.timeout?.toSeconds(),
    retries: h.retries,
    startPeriodSeconds: h.startPeriod?.toSeconds(),
  });
  return { containerName, field, server };
}

/** The URL the gateway reaches a sidecar at: containers of a Fargate task share localhost. */
export function sidecarUrl(server: McpSidecarServer): string {
  return `http://127.0.0.1:${server.port}${server.path ?? DEFAULTS.sidecarPath}`;
}

function singleServerEnvironment(server: McpHostedServer): Record<string, string> {
  if ('module' in server) return { [GATEWAY_ENV.server]: server.module };
  if ('command' in server) {
    const env = server.env ?? {};
    const visible = [...(server.passEnv ?? []), ...Object.keys(env)];
    return {
      ...env,
      [GATEWAY_ENV.serverCommand]: server.command,
      ...(server.cwd === undefined ? {} : { [GATEWAY_ENV.serverCwd]: server.cwd }),
      ...(visible.length === 0 ? {} : { [GATEWAY_ENV.serverEnv]: [...new Set(visible)].join(',') }),
    };
  }
  if ('url' in server) {
    return {
      [GATEWAY_ENV.serverUrl]: server.url,
      ...(server.headers === undefined || Object.keys(server.headers).length === 0
        ? {}
        : { [GATEWAY_ENV.serverHeaders]: literally(JSON.stringify(server.headers)) }),
    };
  }
  return { [GATEWAY_ENV.serverUrl]: sidecarUrl(server) };
}

/**
 * A value holding the gateway's `${NAME}` references, as CloudFormation passes it on: in `Fn::Sub` with each `${`
 * written `${!`, which CloudFormation renders as a literal `${`. (A bare `${...}` outside `Fn::Sub` reaches the
 * container unchanged too, but reads as a mistake to the template validator.)
 */
function literally(value: string): string {
  return value.includes('${') ? Fn.sub(value.replaceAll('${', '${!')) : value;
}

/** One entry of `MCP_SERVERS`, in the gateway's shape. */
function serversEntry(entry: McpNamedServer): Record<string, unknown> {
  const base = entry.default === true ? { default: true } : {};
  if ('module' in entry) return { module: entry.module, ...base };
  if ('command' in entry) {
    return {
      command: entry.command,
      ...(entry.cwd === undefined ? {} : { cwd: entry.cwd }),
      ...(entry.env === undefined ? {} : { env: entry.env }),
      ...(entry.passEnv === undefined ? {} : { passEnv: entry.passEnv }),
      ...base,
    };
  }
  if ('url' in entry) return { url: entry.url, ...(entry.headers === undefined ? {} : { headers: entry.headers }), ...base };
  return { url: sidecarUrl(entry), ...base };
}

/**
 * A `passEnv` name that neither `environment` nor `secrets` defines reaches the child only if the image sets it (an
 * `ENV` line): worth a warning, not an error.
 */
function warnPassEnv(scope: Construct, field: string, server: McpHostedServer, defined: ReadonlySet<string>): void {
  if (!('command' in server)) return;
  const own = new Set(Object.keys(server.env ?? {}));
  const missing = (server.passEnv ?? []).filter((name) => !defined.has(name) && !own.has(name));
  if (missing.length === 0) return;
  Annotations.of(scope).addWarningV2(
    '@mcp-fargate/cdk:passEnvUndefined',
    `${field}.passEnv names ${missing.join(', ')}, which neither environment nor secrets defines: the child sees ${missing.length === 1 ? 'it' : 'them'} ` +
      'only if the image sets them. A credential belongs in secrets.',
  );
}

import { hostname } from 'node:os';
import { ConfigError } from './config-error.js';
import { type ServerSpec, serverSpecsOf } from './server-specs.js';
import { createHash } from 'node:crypto';
import { type AuthConfig, authConfigOf } from './auth-config.js';

/**
 * The gateway's one configuration object. It is built once at start from
 * environment variables (ECS injects env), validated, and frozen; nothing else
 * reads `process.env`.
 */
export interface GatewayConfig {
  /** @default 8080 */
  readonly port: number;
  /** @default '0.0.0.0' */
  readonly host: string;
  /** The hosted servers (MCP_SERVER, MCP_SERVER_COMMAND, MCP_SERVER_URL or MCP_SERVERS; the built-in demo when none). */
  readonly servers: readonly ServerSpec[];
  /** @default 8 (stdio children at once per hosted server: one per live legacy session, plus the 2026-07-28 pool) */
  readonly maxChildren: number;
  /** @default 60000 (60 s for a stdio child to start and answer initialize; npx may download it first) */
  readonly childStartTimeoutMs: number;
  /** @default 3000 (3 s from closing a child's stdin to SIGKILL, SIGTERM in between: a drain ends within ECS's 30 s stopTimeout) */
  readonly childStopGraceMs: number;
  /** @default 2 (connections that serve 2026-07-28 requests for a server that speaks only the 2025 era) */
  readonly modernPoolSize: number;
  /**
   * `meta`: every request to a stdio or upstream server carries the caller (`sub`, `clientId`, `scopes`; never the
   * token) in `params._meta["mcp-fargate/principal"]`, replacing any the client sent. @default 'none'
   */
  readonly principalForward: 'none' | 'meta';
  /** `redis`: records, events and routing in a shared Redis/Valkey, so any task serves any session. @default 'memory' */
  readonly sessionStore: 'memory' | 'redis';
  /** `redis://` or `rediss://` URL of the shared store (SESSION_STORE=redis). */
  readonly redisUrl: string | undefined;
  /** The shared store is a cluster (ElastiCache Serverless for Valkey is). @default false */
  readonly redisCluster: boolean;
  /** @default 1000 (1 s for a store call before the request that needed it gets 503) */
  readonly storeTimeoutMs: number;
  /** `on`: `/healthz` answers 503 while the shared store is unreachable (off: it reports it and stays 200). @default false */
  readonly healthRequiresStore: boolean;
  /** @default 'info' */
  readonly logLevel: LogLevel;
  /** @default 125000 (125 s: the ALB idle timeout of 120 s plus 5 s, so the ALB always closes first) */
  readonly keepAliveTimeoutMs: number;
  /** @default 120000 (the idle timeout of the load balancer in front, which the keep-alive must outlast; the stack sets it) */
  readonly lbIdleTimeoutMs: number;
  /** @default 20000 (20 s for a request's headers; a slow-header client is cut within a second of it) */
  readonly headersTimeoutMs: number;
  /** @default 60000 (60 s to receive a whole request, body included; must be >= headersTimeoutMs) */
  readonly requestTimeoutMs: number;
  /** @default 4096 (open TCP connections; past it Node refuses new ones) */
  readonly maxConnections: number;
  /** @default 20000 (20 s, below the ALB idle timeout) */
  readonly sseHeartbeatMs: number;
  /** @default 4194304 (4 MiB) */
  readonly maxBodyBytes: number;
  /** @default 64 (nesting of a JSON body; deeper is refused before anything walks it) */
  readonly maxJsonDepth: number;
  /** @default 8192 (characters of a session record: the client's initialize capabilities and info, level, subscriptions) */
  readonly maxRecordBytes: number;
  /** @default 64 (resource subscriptions per legacy session) */
  readonly maxSubscriptions: number;
  /** @default 2048 (characters of a subscribed or listened-for resource URI) */
  readonly maxUriBytes: number;
  /** @default 64 (requests in progress per legacy session; past it 429 + Retry-After) */
  readonly maxRequestsPerSession: number;
  /** @default 1024 (requests in progress at the hosted server, all sessions and eras; past it 503 + Retry-After) */
  readonly maxConcurrentRequests: number;
  /** @default 1000 (standalone GET and subscriptions/listen streams open at once; past it 503 + Retry-After) */
  readonly maxStreams: number;
  /** @default 1048576 (1 MiB a client may leave unread on a stream before the stream is cut; it can resume) */
  readonly streamBufferBytes: number;
  /** @default 1800000 (30 min without a request ends a legacy session) */
  readonly sessionIdleTtlMs: number;
  /** @default 10000 */
  readonly maxSessions: number;
  /** @default 1000 (live McpServer instances kept for legacy sessions; the rest are rebuilt by replay) */
  readonly maxLiveServers: number;
  /** `lazy`: a session's server is built when a request first needs it, not at `initialize`. @default 'lazy' */
  readonly sessionInit: 'lazy' | 'eager';
  /** @default 60000 (a live server unused this long is evicted; its session stays) */
  readonly liveServerIdleMs: number;
  /** @default 1000 (SSE events kept per stream, for the 32 newest streams of a session, for Last-Event-ID resumption; 0 turns resumption off) */
  readonly eventStoreSize: number;
  /** @default 1048576 (1 MiB of SSE event data kept per session) */
  readonly sessionEventsBytes: number;
  /** @default 67108864 (64 MiB of SSE event data kept in all) */
  readonly eventStoreBytes: number;
  /** @default 300000 (5 min for a hosted handler to answer before the gateway answers for it) */
  readonly handlerTimeoutMs: number;
  /** @default 25000 (25 s: below ECS's 30 s stopTimeout) */
  readonly drainTimeoutMs: number;
  /** @default 'shared' */
  readonly modernInstances: 'shared' | 'per-request';
  /** Hostnames accepted in `Host`; empty means any. @default loopback names when bound to loopback, else any */
  readonly allowedHosts: readonly string[];
  /** Origins accepted in `Origin`; requests without `Origin` always pass. @default loopback origins when bound to loopback, else none */
  readonly allowedOrigins: readonly string[];
  /** Value of the `mcp-fargate-task` response header, or `undefined` when the header is off. */
  readonly taskId: string | undefined;
  /** `emf`: CloudWatch Embedded Metric Format lines on stdout. @default 'off' */
  readonly metrics: 'off' | 'emf';
  /** The `Service` dimension of the metrics. @default 'mcp-fargate' */
  readonly metricsService: string;
  /** @default 60000 (one EMF document per MCP method per minute) */
  readonly metricsIntervalMs: number;
  /** Extra header names whose values never reach the log (static API keys); the key headers of `auth` and of every server are among them. */
  readonly secretHeaders: readonly string[];
  /** Who may call the hosted servers (AUTH_MODE and the AUTH_* and OAUTH_* variables); a server in MCP_SERVERS may have its own. @default { mode: 'none' } */
  readonly auth: AuthConfig;
  readonly version: string;
  /** What looked wrong but did not stop the start (a misspelled variable), logged once the logger exists. */
  readonly warnings: readonly string[];
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

type Env = Readonly<Record<string, string | undefined>>;

export { ConfigError };

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/** The variables `loadConfig` reads, with their defaults; the README table is generated from the same facts. */
export const CONFIG_VARIABLES = {
  PORT: '8080',
  HOST: '0.0.0.0',
  MCP_SERVER: '',
  MCP_SERVER_COMMAND: '',
  MCP_SERVER_CWD: '',
  MCP_SERVER_ENV: '',
  MCP_SERVER_URL: '',
  MCP_SERVER_HEADERS: '',
  MCP_SERVERS: '',
  MAX_CHILDREN: '8',
  CHILD_START_TIMEOUT_MS: '60000',
  CHILD_STOP_GRACE_MS: '3000',
  MODERN_POOL_SIZE: '2',
  SESSION_STORE: 'memory',
  PRINCIPAL_FORWARD: 'none',
  REDIS_URL: '',
  REDIS_CLUSTER: 'off',
  STORE_TIMEOUT_MS: '1000',
  HEALTH_REQUIRES_STORE: 'off',
  LOG_LEVEL: 'info',
  KEEP_ALIVE_TIMEOUT_MS: '125000',
  LB_IDLE_TIMEOUT_MS: '120000',
  HEADERS_TIMEOUT_MS: '20000',
  REQUEST_TIMEOUT_MS: '60000',
  MAX_CONNECTIONS: '4096',
  SSE_HEARTBEAT_MS: '20000',
  MAX_BODY_BYTES: '4194304',
  MAX_JSON_DEPTH: '64',
  MAX_RECORD_BYTES: '8192',
  MAX_SUBSCRIPTIONS: '64',
  MAX_URI_BYTES: '2048',
  MAX_REQUESTS_PER_SESSION: '64',
  MAX_CONCURRENT_REQUESTS: '1024',
  MAX_STREAMS: '1000',
  STREAM_BUFFER_BYTES: '1048576',
  SESSION_IDLE_TTL_MS: '1800000',
  MAX_SESSIONS: '10000',
  MAX_LIVE_SERVERS: '1000',
  LIVE_SERVER_IDLE_MS: '60000',
  SESSION_INIT: 'lazy',
  EVENT_STORE_SIZE: '1000',
  SESSION_EVENTS_BYTES: '1048576',
  EVENT_STORE_BYTES: '67108864',
  HANDLER_TIMEOUT_MS: '300000',
  DRAIN_TIMEOUT_MS: '25000',
  MODERN_INSTANCES: 'shared',
  ALLOWED_HOSTS: '',
  ALLOWED_ORIGINS: '',
  TASK_HEADER: 'on',
  SECRET_HEADERS: '',
  AUTH_MODE: 'none',
  AUTH_KEYS: '',
  AUTH_HEADER: 'authorization',
  OAUTH_ISSUER: '',
  OAUTH_JWKS_URL: '',
  OAUTH_AUDIENCE: '',
  OAUTH_SCOPES: '',
  OAUTH_ALGORITHMS: 'RS256,ES256',
  METRICS: 'off',
  METRICS_SERVICE: 'mcp-fargate',
  METRICS_INTERVAL_MS: '60000',
} as const;

export function loadConfig(env: Env): GatewayConfig {
  const read = (name: keyof typeof CONFIG_VARIABLES): string => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? CONFIG_VARIABLES[name] : value.trim();
  };
  const integer = (name: keyof typeof CONFIG_VARIABLES, min: number, max: number): number => {
    const raw = read(name);
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new ConfigError(name, raw, `a whole number from ${min} to ${max}`);
    }
    return value;
  };
  const oneOf = <T extends string>(name: keyof typeof CONFIG_VARIABLES, accepted: readonly T[]): T => {
    const raw = read(name);
    if (!(accepted as readonly string[]).includes(raw)) throw new ConfigError(name, raw, `one of ${accepted.join(', ')}`);
    return raw as T;
  };
  const list = (name: keyof typeof CONFIG_VARIABLES): string[] =>
    read(name)
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');

  const host = read('HOST');
  // Up to the ALB's longest idle timeout (4000 s) plus the 5 s the gateway must outlast it by.
  const keepAliveTimeoutMs = integer('KEEP_ALIVE_TIMEOUT_MS', 1000, 4_005_000);
  const headersTimeoutMs = integer('HEADERS_TIMEOUT_MS', 1000, 3_600_000);
  const requestTimeoutMs = integer('REQUEST_TIMEOUT_MS', 0, 86_400_000);
  // Node 24 times headers from the first byte of a request, not from when a kept-alive socket went idle (the old bug
  // behind "headersTimeout > keepAliveTimeout"): the two are independent, which a test proves.
  if (requestTimeoutMs !== 0 && requestTimeoutMs < headersTimeoutMs) {
    throw new ConfigError('REQUEST_TIMEOUT_MS', String(requestTimeoutMs), `0 (off) or at least HEADERS_TIMEOUT_MS (${headersTimeoutMs})`);
  }
  const sessionStore = oneOf('SESSION_STORE', ['memory', 'redis'] as const);
  const redisUrl = read('REDIS_URL') === '' ? undefined : read('REDIS_URL');
  if (sessionStore === 'redis' && redisUrl === undefined) throw new ConfigError('REDIS_URL', '', 'a redis:// or rediss:// URL when SESSION_STORE=redis');
  if (redisUrl !== undefined && !/^rediss?:\/\/[^\s/]+/.test(redisUrl)) {
    // The URL may carry a password: it is not echoed.
    throw new ConfigError(
      'REDIS_URL',
      redisUrl.replace(/\/\/[^@/]*@/, '//***@'),
      'a redis:// or rediss:// URL such as rediss://my-cache.serverless.euw1.cache.amazonaws.com:6379',
    );
  }
  if (redisUrl !== undefined && sessionStore !== 'redis') throw new ConfigError('REDIS_URL', '(set)', 'to be set only with SESSION_STORE=redis');
  const maxChildren = integer('MAX_CHILDREN', 1, 10_000);
  const modernPoolSize = integer('MODERN_POOL_SIZE', 1, 1000);
  if (maxChildren <= modernPoolSize) {
    throw new ConfigError(
      'MAX_CHILDREN',
      String(maxChildren),
      `more than MODERN_POOL_SIZE (${modernPoolSize}): a stdio server needs children for its sessions besides its 2026-07-28 pool`,
    );
  }
  const origins = list('ALLOWED_ORIGINS');
  for (const origin of origins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError('ALLOWED_ORIGINS', origin, 'comma-separated origins such as https://app.example.com (scheme and host, no path)');
    }
  }
  const loopback = host === '127.0.0.1' || host === '::1' || host === 'localhost';
  const port = integer('PORT', 0, 65_535);
  const taskHeader = oneOf('TASK_HEADER', ['on', 'off']);
  const auth = authConfigOf(read);
  const servers = serverSpecsOf(env, auth);
  const keyHeaders = [auth, ...servers.map((server) => server.auth)].flatMap((each) => (each.mode === 'keys' ? [each.header] : []));
  const warnings = configWarnings(env);
  if (servers.some((server) => server.auth.mode === 'none') && !loopback) {
    warnings.push(`AUTH_MODE=none on HOST=${host}: anyone who reaches this port can call every tool; set AUTH_MODE=keys or oauth`);
  }
  if (auth.mode === 'oauth' && auth.audience === undefined) {
    warnings.push('OAUTH_AUDIENCE is not set: a token the issuer made for any other resource is accepted here; set it to this MCP URL (RFC 8707)');
  }

  return Object.freeze({
    port,
    host,
    servers: Object.freeze(servers),
    maxChildren,
    childStartTimeoutMs: integer('CHILD_START_TIMEOUT_MS', 100, 3_600_000),
    childStopGraceMs: integer('CHILD_STOP_GRACE_MS', 0, 600_000),
    modernPoolSize,
    principalForward: oneOf('PRINCIPAL_FORWARD', ['none', 'meta'] as const),
    sessionStore,
    redisUrl,
    redisCluster: oneOf('REDIS_CLUSTER', ['on', 'off'] as const) === 'on',
    storeTimeoutMs: integer('STORE_TIMEOUT_MS', 50, 60_000),
    healthRequiresStore: oneOf('HEALTH_REQUIRES_STORE', ['on', 'off'] as const) === 'on',
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS),
    keepAliveTimeoutMs,
    lbIdleTimeoutMs: integer('LB_IDLE_TIMEOUT_MS', 1000, 4_000_000),
    headersTimeoutMs,
    requestTimeoutMs,
    sseHeartbeatMs: integer('SSE_HEARTBEAT_MS', 0, 3_600_000),
    maxConnections: integer('MAX_CONNECTIONS', 1, 1_000_000),
    maxBodyBytes: integer('MAX_BODY_BYTES', 1024, 1024 * 1024 * 1024),
    maxJsonDepth: integer('MAX_JSON_DEPTH', 4, 10_000),
    maxRecordBytes: integer('MAX_RECORD_BYTES', 1024, 16 * 1024 * 1024),
    maxSubscriptions: integer('MAX_SUBSCRIPTIONS', 0, 100_000),
    maxUriBytes: integer('MAX_URI_BYTES', 16, 1024 * 1024),
    maxRequestsPerSession: integer('MAX_REQUESTS_PER_SESSION', 1, 100_000),
    maxConcurrentRequests: integer('MAX_CONCURRENT_REQUESTS', 1, 1_000_000),
    maxStreams: integer('MAX_STREAMS', 1, 1_000_000),
    streamBufferBytes: integer('STREAM_BUFFER_BYTES', 1024, 1024 * 1024 * 1024),
    sessionIdleTtlMs: integer('SESSION_IDLE_TTL_MS', 1000, 30 * 86_400_000),
    maxSessions: integer('MAX_SESSIONS', 1, 10_000_000),
    maxLiveServers: integer('MAX_LIVE_SERVERS', 1, 1_000_000),
    liveServerIdleMs: integer('LIVE_SERVER_IDLE_MS', 100, 86_400_000),
    sessionInit: oneOf('SESSION_INIT', ['lazy', 'eager'] as const),
    eventStoreSize: integer('EVENT_STORE_SIZE', 0, 1_000_000),
    sessionEventsBytes: integer('SESSION_EVENTS_BYTES', 1024, 1024 * 1024 * 1024),
    eventStoreBytes: integer('EVENT_STORE_BYTES', 1024, 16 * 1024 * 1024 * 1024),
    handlerTimeoutMs: integer('HANDLER_TIMEOUT_MS', 100, 86_400_000),
    drainTimeoutMs: integer('DRAIN_TIMEOUT_MS', 0, 3_600_000),
    modernInstances: oneOf('MODERN_INSTANCES', ['shared', 'per-request'] as const),
    allowedHosts: Object.freeze(list('ALLOWED_HOSTS').length > 0 ? list('ALLOWED_HOSTS') : loopback ? LOOPBACK_HOSTS : []),
    allowedOrigins: Object.freeze(origins.length > 0 ? origins : loopback ? ['http://localhost', 'http://127.0.0.1', 'http://[::1]'] : []),
    taskId: taskHeader === 'on' ? taskIdOf(env) : undefined,
    secretHeaders: Object.freeze([...new Set([...list('SECRET_HEADERS').map((name) => name.toLowerCase()), ...keyHeaders])]),
    auth,
    metrics: oneOf('METRICS', ['off', 'emf'] as const),
    metricsService: read('METRICS_SERVICE'),
    metricsIntervalMs: integer('METRICS_INTERVAL_MS', 1000, 3_600_000),
    version: GATEWAY_VERSION,
    warnings: Object.freeze(warnings),
  });
}

export const GATEWAY_VERSION = '0.1.0';

/**
 * Warnings for variables that look like the gateway's own but are not (a typo
 * such as MCP_SERVR would otherwise silently serve the demo), each with the
 * variable it probably meant.
 */
export function configWarnings(env: Env): string[] {
  const known = Object.keys(CONFIG_VARIABLES);
  const warnings: string[] = [];
  for (const name of Object.keys(env)) {
    if (name in CONFIG_VARIABLES) continue;
    let best: { name: string; distance: number } | undefined;
    for (const candidate of known) {
      const distance = editDistance(name, candidate);
      if (distance <= Math.max(1, Math.floor(candidate.length / 6)) && (best === undefined || distance < best.distance)) best = { name: candidate, distance };
    }
    if (best !== undefined) warnings.push(`${name} is not a variable the gateway reads; did you mean ${best.name}?`);
  }
  return warnings;
}

/** Levenshtein distance: insertions, deletions and substitutions to turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * An opaque, stable name for this process: a hash of the ECS task ARN when ECS
 * provides its metadata endpoint, else of the host name and pid. It tells an
 * operator which task answered without publishing the ARN.
 */
function taskIdOf(env: Env): string {
  const source = env['ECS_CONTAINER_METADATA_URI_V4'] ?? `${hostname()}:${process.pid}`;
  return createHash('sha256').update(source).digest('hex').slice(0, 12);
}

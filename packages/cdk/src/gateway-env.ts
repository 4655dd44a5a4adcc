import { GATEWAY_METRICS_ENV } from './gateway-metrics.js';

/**
 * The environment variables the construct sets on the gateway container: the contract with packages/gateway, which
 * reads them at start (root README, "Configuration"). A user sets none of these by hand: each comes from a prop.
 */
export const GATEWAY_ENV = {
  port: 'PORT',
  host: 'HOST',
  /** A module in the image whose default export returns an `McpServer` (SDK v2 or v1). */
  server: 'MCP_SERVER',
  /** A stdio server's command line, split without a shell (`splitCommandLine`). */
  serverCommand: 'MCP_SERVER_COMMAND',
  serverCwd: 'MCP_SERVER_CWD',
  /** Comma-separated names of the gateway's own variables the stdio child may see, beside its allowlist. */
  serverEnv: 'MCP_SERVER_ENV',
  /** An existing streamable-HTTP MCP server (a sidecar on 127.0.0.1, or elsewhere). */
  serverUrl: 'MCP_SERVER_URL',
  /** JSON object of headers added to upstream requests; `${NAME}` in a value is the gateway's variable NAME. */
  serverHeaders: 'MCP_SERVER_HEADERS',
  /** JSON object of named servers, each served at `/<name>/mcp`, the default one also at `/mcp`. */
  servers: 'MCP_SERVERS',
  /** `memory` or `redis`. */
  sessionStore: 'SESSION_STORE',
  /** `redis://` or `rediss://`; from Secrets Manager whenever it could carry credentials. */
  redisUrl: 'REDIS_URL',
  /** `on` for a cluster-mode store (ElastiCache Serverless is one), `off` for a single node. */
  redisCluster: 'REDIS_CLUSTER',
  /** `none`, `keys` or `oauth`. */
  authMode: 'AUTH_MODE',
  /** The accepted keys, comma- or newline-separated; always a task definition secret. */
  authKeys: 'AUTH_KEYS',
  /** The header that carries a key: `authorization` means `Authorization: Bearer <key>`. */
  authHeader: 'AUTH_HEADER',
  oauthIssuer: 'OAUTH_ISSUER',
  oauthJwksUrl: 'OAUTH_JWKS_URL',
  /** The canonical MCP URL a token must be meant for (RFC 8707). */
  oauthAudience: 'OAUTH_AUDIENCE',
  /** Required scopes, space-separated. */
  oauthScopes: 'OAUTH_SCOPES',
  /** Accepted JWS algorithms, comma-separated. */
  oauthAlgorithms: 'OAUTH_ALGORITHMS',
  /** The ALB's idle timeout, which the gateway's keep-alive must outlast (it warns at start when it does not). */
  loadBalancerIdleTimeout: 'LB_IDLE_TIMEOUT_MS',
  metrics: GATEWAY_METRICS_ENV.format,
  metricsService: GATEWAY_METRICS_ENV.service,
} as const;

/** What the construct sets, and so what `environment` and `secrets` may not: each has its own prop. */
export const RESERVED_ENVIRONMENT: readonly string[] = Object.values(GATEWAY_ENV);

/**
 * The other settings the gateway reads (the root README's configuration table). A stdio server's `env` values become
 * variables of the gateway's own environment (named in `MCP_SERVER_ENV`), so a name from this list would change the
 * gateway as well as the child; test/readme.test.ts holds this list to that table.
 */
export const GATEWAY_SETTINGS: readonly string[] = [
  'LOG_LEVEL',
  'KEEP_ALIVE_TIMEOUT_MS',
  'HEADERS_TIMEOUT_MS',
  'REQUEST_TIMEOUT_MS',
  'MAX_CONNECTIONS',
  'SSE_HEARTBEAT_MS',
  'MAX_BODY_BYTES',
  'MAX_JSON_DEPTH',
  'SESSION_IDLE_TTL_MS',
  'MAX_SESSIONS',
  'MAX_LIVE_SERVERS',
  'LIVE_SERVER_IDLE_MS',
  'MAX_RECORD_BYTES',
  'MAX_SUBSCRIPTIONS',
  'MAX_URI_BYTES',
  'MAX_REQUESTS_PER_SESSION',
  'MAX_CONCURRENT_REQUESTS',
  'MAX_STREAMS',
  'STREAM_BUFFER_BYTES',
  'SESSION_INIT',
  'EVENT_STORE_SIZE',
  'SESSION_EVENTS_BYTES',
  'EVENT_STORE_BYTES',
  'HANDLER_TIMEOUT_MS',
  'DRAIN_TIMEOUT_MS',
  'MODERN_INSTANCES',
  'MODERN_POOL_SIZE',
  'PRINCIPAL_FORWARD',
  'MAX_CHILDREN',
  'CHILD_START_TIMEOUT_MS',
  'CHILD_STOP_GRACE_MS',
  'STORE_TIMEOUT_MS',
  'HEALTH_REQUIRES_STORE',
  'ALLOWED_HOSTS',
  'ALLOWED_ORIGINS',
  'TASK_HEADER',
  'SECRET_HEADERS',
  'METRICS_INTERVAL_MS',
];

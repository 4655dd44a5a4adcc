import type { ServerEventBus } from '@modelcontextprotocol/server';
import type { TokenAuthenticator } from './auth/token-authenticator.js';
import type { GatewayConfig } from './config/config.js';
import type { McpServerFactory } from './hosting/server-factory.js';
import { RequestBudget } from './hosting/request-budget.js';
import { createHealth } from './http/health.js';
import type { AnswerDefaults } from './http/http-reply-sink.js';
import { HttpServer } from './http/http-server.js';
import { createOriginGuard } from './http/origin-guard.js';
import { createRouter } from './http/router.js';
import type { SessionManager } from './legacy/session-manager.js';
import { createLogger, type Logger } from './logger.js';
import { EmfMetrics } from './metrics/emf-metrics.js';
import { StreamSlots } from './reply/stream-slots.js';
import { type MountedServer, mountServer, type SharedParts } from './server-mount.js';
import { connectRedis, type RedisClient, storeReady } from './stores/redis-connection.js';
import { StoreHealth } from './stores/store-health.js';
import type { EventStore } from './stores/event-store.js';
import type { SessionStore } from './stores/session-store.js';

export type GatewayState = 'starting' | 'ready' | 'draining' | 'closed';

export interface GatewayOptions {
  /** @default the factory named by `config.mcpServer`, or the built-in demo */
  readonly factory?: McpServerFactory;
  /** @default a MemorySessionStore with the configured limits */
  readonly store?: SessionStore;
  /** @default pino JSON on stdout */
  readonly logger?: Logger;
  /** @default an in-process InMemoryServerEventBus */
  readonly bus?: ServerEventBus;
  /** Where EMF lines go when `METRICS=emf`. @default stdout */
  readonly writeMetrics?: (lines: string) => void;
}

export interface Gateway {
  readonly port: number;
  readonly state: GatewayState;
  /** Stops taking new work, lets in-flight requests finish, and closes; resolves when closed. */
  drain(): Promise<void>;
  /** Closes at once: open connections are cut. */
  close(): Promise<void>;
}

/** The path of the MCP endpoint. */
export const MCP_PATH = '/mcp';

/** How often a drain looks again at requests that have no connection to signal their end. */
const DRAIN_POLL_MS = 50;

/** What tests may look at inside a running gateway; not public API. */
export interface GatewayInternals {
  /** The default server's sessions (the only server's, unless MCP_SERVERS names several). */
  readonly sessions: SessionManager;
  readonly events: EventStore | undefined;
  readonly servers: readonly MountedServer[];
  readonly slots: StreamSlots;
  readonly budget: RequestBudget;
}

const internals = new WeakMap<Gateway, GatewayInternals>();

/** The test seam: the pieces of a gateway that its tests measure. */
export function internalsOf(gateway: Gateway): GatewayInternals {
  const found = internals.get(gateway);
  if (found === undefined) throw new Error('not a gateway started by startGateway');
  return found;
}

/**
 * Starts the gateway: resolves once it listens and `/healthz` is green. The
 * lifecycle runs starting -> ready -> draining -> closed.
 */
export async function startGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const startedAt = Date.now();
  const logger = options.logger ?? createLogger(config);
  let state: GatewayState = 'starting';
  const slots = new StreamSlots(config.maxStreams);
  const budget = new RequestBudget(config.maxConcurrentRequests);
  const answers = answerDefaults(config);
  const servers: MountedServer[] = [];
  const redis = config.sessionStore === 'redis' ? await openStore(config, logger) : undefined;
  const shared: SharedParts = {
    redis: redis === undefined ? undefined : { client: redis.client, subscriber: redis.subscriber },
    config,
    logger,
    slots,
    budget,
    guard: createOriginGuard(config.allowedHosts, config.allowedOrigins),
    answers,
    accepting: () => state === 'ready',
    // jose is loaded only for OAuth (see authenticatorOf).
    issuerKeys: config.auth.mode === 'oauth' ? new (await import('./auth/issuer-keys.js')).IssuerKeys(config.auth) : undefined,
    factory: options.factory,
    store: options.store,
    bus: options.bus,
  };
  try {
    for (const spec of config.servers) servers.push(await mountServer(spec, shared));
  } catch (error) {
    await Promise.allSettled(servers.map((server) => server.close()));
    redis?.close();
    throw error;
  }
  const main = servers.find((server) => server.paths.includes(MCP_PATH)) ?? (servers[0] as MountedServer);
  const liveSessions = (): number => servers.reduce((sum, server) => sum + server.sessions.knownCount, 0);
  const pendingRequests = (): number => servers.reduce((sum, server) => sum + server.sessions.pendingRequests, 0);
  const metrics =
    config.metrics === 'emf'
      ? new EmfMetrics({ service: config.metricsService, intervalMs: config.metricsIntervalMs, liveSessions, write: options.writeMetrics })
      : undefined;
  const health = createHealth(() => {
    const report = Object.fromEntries(servers.map((server) => [server.name, server.health()]));
    const storeProblem = redis?.health.problem;
    return {
      ready: state === 'ready' && !(config.healthRequiresStore && storeProblem !== undefined),
      body: {
        status: state === 'ready' ? 'ok' : state,
        version: config.version,
        uptimeS: Math.round((Date.now() - startedAt) / 1000),
        sessions: liveSessions(),
        liveServers: servers.reduce((sum, server) => sum + server.sessions.liveCount, 0),
        servers: report,
        store: { kind: config.sessionStore, ...(storeProblem === undefined ? { status: 'ok' } : { status: 'unreachable', problem: storeProblem }) },
      },
    };
  }, answers.jsonHeaders);
  const mounts = new Map(servers.flatMap((server) => server.paths.map((path) => [path, server.mount] as const)));
  const resources = new Map(
    servers.flatMap((server) => (server.resource === undefined ? [] : server.paths.map((path) => [path, server.resource as TokenAuthenticator] as const))),
  );
  const http = new HttpServer(
    {
      keepAliveTimeoutMs: config.keepAliveTimeoutMs,
      headersTimeoutMs: config.headersTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      maxConnections: config.maxConnections,
      logger,
    },
    createRouter({ mounts, resources, health, logger, metrics, jsonHeaders: answers.jsonHeaders }),
  );

  const port = await http.listen(config.port, config.host);
  state = 'ready';
  logger.info(
    {
      port,
      host: config.host,
      servers: servers.map((server) => ({ name: server.name, paths: server.paths, hosts: server.hosted.description })),
      startMs: Date.now() - startedAt,
    },
    'gateway ready',
  );
  for (const warning of config.warnings) logger.warn(warning);
  if (config.keepAliveTimeoutMs <= config.lbIdleTimeoutMs) {
    logger.warn(
      { keepAliveTimeoutMs: config.keepAliveTimeoutMs, lbIdleTimeoutMs: config.lbIdleTimeoutMs },
      `KEEP_ALIVE_TIMEOUT_MS is not above the load balancer's idle timeout (LB_IDLE_TIMEOUT_MS, ${config.lbIdleTimeoutMs} ms): connections the gateway closes first turn into intermittent 502s`,
    );
  }

  let closing: Promise<void> | undefined;
  const shutdown = async (): Promise<void> => {
    state = 'closed';
    await http.close();
    await metrics?.close();
    await Promise.allSettled(servers.map((server) => server.close()));
    redis?.close();
    logger.flush();
  };

  const gateway: Gateway = {
    port,
    get state() {
      return state;
    },
    drain() {
      closing ??= (async () => {
        state = 'draining';
        logger.info({ inFlight: http.inFlight, pendingRequests: pendingRequests() }, 'draining');
        http.startDraining();
        for (const server of servers) server.endStreamsForDrain();
        const deadline = Date.now() + config.drainTimeoutMs;
        // A request whose stream was cut still runs, and its client may resume it here: wait for it as for a response.
        while ((http.inFlight > 0 || pendingRequests() > 0) && Date.now() < deadline) {
          await http.whenIdle(Math.min(DRAIN_POLL_MS, Math.max(deadline - Date.now(), 0)));
        }
        if (http.inFlight > 0 || pendingRequests() > 0) {
          logger.warn({ inFlight: http.inFlight, pendingRequests: pendingRequests() }, 'drain timeout: cutting the remaining requests');
        }
        await shutdown();
        logger.info('drained');
      })();
      return closing;
    },
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
  internals.set(gateway, { sessions: main.sessions, events: main.events, servers, slots, budget });
  return gateway;
}

/**
 * Connects the shared store: a client for commands and one for subscriptions.
 * A store that is away at start does not stop the gateway: it starts
 * degraded (requests that need the store get 503) and keeps reconnecting.
 */
async function openStore(config: GatewayConfig, logger: Logger): Promise<{ client: RedisClient; subscriber: RedisClient; health: StoreHealth; close(): void }> {
  const quiet = (): void => undefined;
  const connection = { url: config.redisUrl as string, cluster: config.redisCluster, commandTimeoutMs: config.storeTimeoutMs, error: quiet };
  const client = connectRedis(connection);
  // A connection in subscriber mode takes no other commands: subscriptions get their own.
  const subscriber = connectRedis(connection);
  const health = new StoreHealth(client, (reachable, detail) => (reachable ? logger.info(detail) : logger.warn(detail)));
  if (!(await storeReady(client, config.storeTimeoutMs * 5)))
    logger.warn('starting without the session store: requests that need it get 503 until it is reachable');
  return {
    client,
    subscriber,
    health,
    close() {
      client.disconnect();
      subscriber.disconnect();
    },
  };
}

/** The headers every answer carries, built once: the serving task, JSON, and SSE. */
function answerDefaults(config: GatewayConfig): AnswerDefaults {
  const headers: Record<string, string> = config.taskId === undefined ? {} : { 'mcp-fargate-task': config.taskId };
  return {
    headers,
    jsonHeaders: { ...headers, 'content-type': 'application/json' },
    sse: {
      headers: { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' },
      heartbeatMs: config.sseHeartbeatMs,
      maxBufferedBytes: config.streamBufferBytes,
    },
  };
}

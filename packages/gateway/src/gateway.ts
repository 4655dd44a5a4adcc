import { InMemoryServerEventBus, type ServerEventBus } from '@modelcontextprotocol/server';
import type { GatewayConfig } from './config.js';
import type { HostedServer } from './hosting/hosted-server.js';
import { InProcessServer } from './hosting/in-process-server.js';
import { RequestBudget } from './hosting/request-budget.js';
import { loadServerFactory, type McpServerFactory } from './hosting/server-factory.js';
import { createHealth } from './http/health.js';
import type { AnswerDefaults } from './http/http-reply-sink.js';
import { HttpServer } from './http/http-server.js';
import { createMcpMount } from './http/mcp-mount.js';
import { createOriginGuard } from './http/origin-guard.js';
import { createRouter } from './http/router.js';
import { LegacyEndpoint } from './legacy/legacy-endpoint.js';
import { SessionManager } from './legacy/session-manager.js';
import { SessionStreams } from './legacy/session-streams.js';
import { createLogger, type Logger } from './logger.js';
import { EmfMetrics } from './metrics/emf-metrics.js';
import { ModernEndpoint } from './modern/modern-endpoint.js';
import { InboundClassifier } from './protocol/classify.js';
import { StreamSlots } from './reply/stream-slots.js';
import type { EventStore } from './stores/event-store.js';
import { MemoryEventStore } from './stores/memory-event-store.js';
import { MemorySessionStore } from './stores/memory-session-store.js';
import type { SessionStore } from './stores/session-store.js';
import { shortId } from './stores/short-id.js';

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

/** The idle timeout the CDK stack gives the ALB; the gateway must keep connections open longer. */
const ALB_IDLE_TIMEOUT_MS = 120_000;

/** How often a drain looks again at requests that have no connection to signal their end. */
const DRAIN_POLL_MS = 50;

/** What tests may look at inside a running gateway; not public API. */
export interface GatewayInternals {
  readonly sessions: SessionManager;
  readonly events: EventStore | undefined;
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
  const factory = options.factory ?? (await loadServerFactory(config.mcpServer));
  const server: HostedServer = new InProcessServer(factory, config.mcpServer ?? 'the built-in demo server');
  const bus = options.bus ?? new InMemoryServerEventBus((error) => logger.warn({ err: error }, 'event bus listener failed'));
  const store =
    options.store ??
    new MemorySessionStore({
      idleTtlMs: config.sessionIdleTtlMs,
      maxSessions: config.maxSessions,
      maxRecordBytes: config.maxRecordBytes,
      maxSubscriptions: config.maxSubscriptions,
    });
  const events =
    config.eventStoreSize === 0
      ? undefined
      : new MemoryEventStore({
          eventsPerStream: config.eventStoreSize,
          maxSessionBytes: config.sessionEventsBytes,
          maxTotalBytes: config.eventStoreBytes,
          idleTtlMs: config.sessionIdleTtlMs,
        });
  const error = (failure: Error, sessionId?: string): void => {
    logger.warn({ err: failure, session: sessionId === undefined ? undefined : shortId(sessionId) }, 'hosted server error');
  };
  const slots = new StreamSlots(config.maxStreams);
  const budget = new RequestBudget(config.maxConcurrentRequests);
  const sessions = new SessionManager({
    server,
    store,
    events,
    streams: new SessionStreams(events, slots),
    budget,
    maxLiveServers: config.maxLiveServers,
    liveServerIdleMs: config.liveServerIdleMs,
    sessionIdleTtlMs: config.sessionIdleTtlMs,
    init: config.sessionInit,
    handlerTimeoutMs: config.handlerTimeoutMs,
    error,
  });
  const modern = await ModernEndpoint.open({
    server,
    instances: config.modernInstances,
    handlerTimeoutMs: config.handlerTimeoutMs,
    bus,
    budget,
    slots,
    maxUriBytes: config.maxUriBytes,
    error,
  });
  const metrics =
    config.metrics === 'emf'
      ? new EmfMetrics({
          service: config.metricsService,
          intervalMs: config.metricsIntervalMs,
          liveSessions: () => sessions.knownCount,
          write: options.writeMetrics,
        })
      : undefined;

  let state: GatewayState = 'starting';
  const accepting = (): boolean => state === 'ready';
  const answers = answerDefaults(config);
  const legacy = new LegacyEndpoint({
    sessions,
    budget,
    maxUriBytes: config.maxUriBytes,
    maxRequestsPerSession: config.maxRequestsPerSession,
    accepting,
  });
  const mount = createMcpMount({
    legacy,
    modern,
    classifier: new InboundClassifier(),
    guard: createOriginGuard(config.allowedHosts, config.allowedOrigins),
    maxBodyBytes: config.maxBodyBytes,
    maxJsonDepth: config.maxJsonDepth,
    accepting,
    answers,
  });
  const health = createHealth(
    () => ({
      ready: state === 'ready',
      body: {
        status: state === 'ready' ? 'ok' : state,
        version: config.version,
        uptimeS: Math.round((Date.now() - startedAt) / 1000),
        sessions: sessions.knownCount,
        liveServers: sessions.liveCount,
      },
    }),
    answers.jsonHeaders,
  );
  const http = new HttpServer(
    {
      keepAliveTimeoutMs: config.keepAliveTimeoutMs,
      headersTimeoutMs: config.headersTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      maxConnections: config.maxConnections,
      logger,
    },
    createRouter({ mounts: new Map([[MCP_PATH, mount]]), health, logger, metrics, jsonHeaders: answers.jsonHeaders }),
  );

  const port = await http.listen(config.port, config.host);
  state = 'ready';
  logger.info({ port, host: config.host, server: server.description, startMs: Date.now() - startedAt }, 'gateway ready');
  if (config.keepAliveTimeoutMs < ALB_IDLE_TIMEOUT_MS) {
    logger.warn(
      { keepAliveTimeoutMs: config.keepAliveTimeoutMs },
      `KEEP_ALIVE_TIMEOUT_MS is below the ALB's default idle timeout (${ALB_IDLE_TIMEOUT_MS} ms): behind an ALB, connections the gateway closes first turn into intermittent 502s`,
    );
  }

  let closing: Promise<void> | undefined;
  const shutdown = async (): Promise<void> => {
    state = 'closed';
    await http.close();
    await modern.close();
    await metrics?.close();
    await sessions.close();
    await server.close();
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
        logger.info({ inFlight: http.inFlight, pendingRequests: sessions.pendingRequests }, 'draining');
        http.startDraining();
        sessions.endStreamsForDrain();
        modern.endStreamsForDrain();
        const deadline = Date.now() + config.drainTimeoutMs;
        // A request whose stream was cut still runs, and its client may resume it here: wait for it as for a response.
        while ((http.inFlight > 0 || sessions.pendingRequests > 0) && Date.now() < deadline) {
          await http.whenIdle(Math.min(DRAIN_POLL_MS, Math.max(deadline - Date.now(), 0)));
        }
        if (http.inFlight > 0 || sessions.pendingRequests > 0) {
          logger.warn({ inFlight: http.inFlight, pendingRequests: sessions.pendingRequests }, 'drain timeout: cutting the remaining requests');
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
  internals.set(gateway, { sessions, events, slots, budget });
  return gateway;
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

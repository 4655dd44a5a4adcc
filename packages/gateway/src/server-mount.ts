import { InMemoryServerEventBus, type McpServerFactory, type ServerEventBus } from '@modelcontextprotocol/server';
import type { Authenticator } from './auth/authenticator.js';
import type { IssuerKeys } from './auth/issuer-keys.js';
import { KeyAuthenticator } from './auth/key-authenticator.js';
import type { TokenAuthenticator } from './auth/token-authenticator.js';
import type { GatewayConfig } from './config/config.js';
import type { ServerSpec } from './config/server-specs.js';
import createDemoServer from './demo/demo-server.js';
import type { HostedServer } from './hosting/hosted-server.js';
import { InProcessServer } from './hosting/in-process-server.js';
import { ModernBridge } from './hosting/modern-bridge.js';
import { forwardingPrincipal } from './hosting/principal-forwarding.js';
import type { RequestBudget } from './hosting/request-budget.js';
import { loadServerFactory } from './hosting/server-factory.js';
import { StdioServer } from './hosting/stdio-server.js';
import { UpstreamHttpServer } from './hosting/upstream-http-server.js';
import type { AnswerDefaults } from './http/http-reply-sink.js';
import { createMcpMount, type McpMount } from './http/mcp-mount.js';
import { createUpstreamClient } from './http/upstream-client.js';
import type { OriginGuard } from './http/origin-guard.js';
import { LegacyEndpoint } from './legacy/legacy-endpoint.js';
import { SessionManager } from './legacy/session-manager.js';
import { SessionStreams } from './legacy/session-streams.js';
import type { Logger } from './logger.js';
import { ModernEndpoint } from './modern/modern-endpoint.js';
import { InboundClassifier } from './protocol/classify.js';
import type { StreamSlots } from './reply/stream-slots.js';
import type { EventStore } from './stores/event-store.js';
import { MemoryEventStore } from './stores/memory-event-store.js';
import { MemorySessionStore } from './stores/memory-session-store.js';
import type { RedisClient } from './stores/redis-connection.js';
import { RedisEventStore } from './stores/redis-event-store.js';
import { RedisPubSub } from './stores/redis-relay.js';
import { RedisSessionStore } from './stores/redis-session-store.js';
import { LocalRelay } from './stores/session-relay.js';
import type { SessionStore } from './stores/session-store.js';
import { shortId } from './stores/short-id.js';

/** One hosted server as the gateway serves it: its endpoints, its sessions, and the paths it answers on. */
export interface MountedServer {
  readonly name: string;
  /** `/<name>/mcp`, and `/mcp` for the default (or only) server. */
  readonly paths: readonly string[];
  readonly mount: McpMount;
  readonly hosted: HostedServer;
  readonly sessions: SessionManager;
  readonly events: EventStore | undefined;
  /** The OAuth resource server of its paths, whose RFC 9728 metadata the router serves; undefined unless its auth is oauth. */
  readonly resource: TokenAuthenticator | undefined;
  /** What `/healthz` says about this server. */
  health(): { readonly problem: string | undefined; readonly sessions: number; readonly liveServers: number };
  endStreamsForDrain(): void;
  close(): Promise<void>;
}

/** What every mounted server shares with the others. */
export interface SharedParts {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly slots: StreamSlots;
  readonly budget: RequestBudget;
  readonly guard: OriginGuard;
  readonly answers: AnswerDefaults;
  readonly accepting: () => boolean;
  /** The OAuth issuer's keys, one cache for every server that uses AUTH_MODE=oauth. */
  readonly issuerKeys: IssuerKeys | undefined;
  /** The shared store (SESSION_STORE=redis): a client, and a second connection for subscriptions. */
  readonly redis?: { readonly client: RedisClient; readonly subscriber: RedisClient } | undefined;
  /** Test seams for the default server: its factory, session store and event bus. */
  readonly factory?: McpServerFactory | undefined;
  readonly store?: SessionStore | undefined;
  readonly bus?: ServerEventBus | undefined;
}

/** The hosted server a spec names, checked at start: a missing command or a module that does not load stops the gateway here. */
async function hostedServerOf(spec: ServerSpec, shared: SharedParts, logger: Logger): Promise<HostedServer> {
  const { config } = shared;
  const source = spec.source;
  switch (source.kind) {
    case 'demo':
      return InProcessServer.load(shared.factory ?? createDemoServer, 'the built-in demo server');
    case 'module':
      return InProcessServer.load(shared.factory ?? (await loadServerFactory(source.path)), `module ${source.path}`);
    case 'command': {
      const server = new StdioServer({
        name: spec.name,
        argv: source.argv,
        cwd: source.cwd,
        env: source.env,
        stopGraceMs: config.childStopGraceMs,
        maxLineBytes: config.maxBodyBytes * 4,
        logger,
      });
      server.check();
      return config.principalForward === 'meta' ? forwardingPrincipal(server) : server;
    }
    case 'url': {
      const server = new UpstreamHttpServer({ name: spec.name, url: source.url, client: createUpstreamClient(source.url), headers: source.headers, logger });
      return config.principalForward === 'meta' ? forwardingPrincipal(server) : server;
    }
  }
}

/** jose is loaded only for OAuth: most gateways never verify a JWT and need not pay its import at start. */
async function authenticatorOf(spec: ServerSpec, issuerKeys: IssuerKeys | undefined): Promise<Authenticator | undefined> {
  const auth = spec.auth;
  switch (auth.mode) {
    case 'none':
      return undefined;
    case 'keys':
      return new KeyAuthenticator(auth);
    case 'oauth':
      // A server's own `{ "mode": "oauth" }` is the gateway's settings, so the gateway made their keys.
      return new (await import('./auth/token-authenticator.js')).TokenAuthenticator(auth, issuerKeys as IssuerKeys, spec.paths);
  }
}

export async function mountServer(spec: ServerSpec, shared: SharedParts): Promise<MountedServer> {
  const { config, slots, budget } = shared;
  const logger = shared.logger.child({ server: spec.name });
  const hosted = await hostedServerOf(spec, shared, logger);
  const error = (failure: Error, sessionId?: string): void => {
    logger.warn({ err: failure, session: sessionId === undefined ? undefined : shortId(sessionId) }, 'hosted server error');
  };
  // A server that speaks only the 2025 era serves 2026-07-28 requests through a pool of its own legacy connections.
  const modernServer = hosted.eras.has('modern')
    ? hosted
    : new ModernBridge(hosted, {
        poolSize: config.modernPoolSize,
        handlerTimeoutMs: config.handlerTimeoutMs,
        startTimeoutMs: config.childStartTimeoutMs,
        budget,
        version: config.version,
        error,
      });
  if (modernServer instanceof ModernBridge) await modernServer.start();
  const children = hosted instanceof StdioServer;
  // Each live legacy session of a stdio server is a child process: the children cap bounds them, less the modern pool.
  const maxLiveServers = Math.min(
    spec.limits.maxLiveServers ?? config.maxLiveServers,
    children ? config.maxChildren - config.modernPoolSize : Number.POSITIVE_INFINITY,
  );
  const storeOptions = {
    idleTtlMs: config.sessionIdleTtlMs,
    maxSessions: spec.limits.maxSessions ?? config.maxSessions,
    maxRecordBytes: config.maxRecordBytes,
    maxSubscriptions: config.maxSubscriptions,
  };
  const eventOptions = {
    eventsPerStream: config.eventStoreSize,
    maxSessionBytes: config.sessionEventsBytes,
    maxTotalBytes: config.eventStoreBytes,
    idleTtlMs: config.sessionIdleTtlMs,
  };
  // With a shared store, this server's keys and channel carry its name: several servers can share one store.
  const redis = shared.redis;
  const prefix = `mcpf:${spec.name}:`;
  const pubsub = redis === undefined ? undefined : new RedisPubSub(redis.client, redis.subscriber, `${prefix}relay`, (failure) => error(failure));
  const relay = pubsub?.relay ?? new LocalRelay();
  const store =
    (spec.isDefault ? shared.store : undefined) ??
    (redis === undefined ? new MemorySessionStore(storeOptions) : new RedisSessionStore(redis.client, prefix, storeOptions, config.storeTimeoutMs));
  const events =
    config.eventStoreSize === 0
      ? undefined
      : redis === undefined
        ? new MemoryEventStore(eventOptions)
        : new RedisEventStore(redis.client, prefix, relay, eventOptions, (failure) => error(failure), config.storeTimeoutMs);
  const sessions = new SessionManager({
    server: hosted,
    store,
    events,
    streams: new SessionStreams(events, slots, relay),
    relay,
    budget,
    maxLiveServers,
    liveServerIdleMs: config.liveServerIdleMs,
    sessionIdleTtlMs: config.sessionIdleTtlMs,
    init: config.sessionInit,
    handlerTimeoutMs: config.handlerTimeoutMs,
    startTimeoutMs: config.childStartTimeoutMs,
    error,
  });
  const bus =
    (spec.isDefault ? shared.bus : undefined) ??
    pubsub?.bus ??
    new InMemoryServerEventBus((failure) => logger.warn({ err: failure }, 'event bus listener failed'));
  const modern = await ModernEndpoint.open({
    server: modernServer,
    instances: config.modernInstances,
    handlerTimeoutMs: config.handlerTimeoutMs,
    bus,
    relay,
    budget,
    slots,
    maxUriBytes: config.maxUriBytes,
    error,
  });
  const legacy = new LegacyEndpoint({
    sessions,
    budget,
    maxUriBytes: config.maxUriBytes,
    maxRequestsPerSession: config.maxRequestsPerSession,
    accepting: shared.accepting,
  });
  const authenticator = await authenticatorOf(spec, shared.issuerKeys);
  const mount = createMcpMount({
    authenticator,
    server: spec.name,
    legacy,
    modern,
    classifier: new InboundClassifier(),
    guard: shared.guard,
    maxBodyBytes: config.maxBodyBytes,
    maxJsonDepth: config.maxJsonDepth,
    accepting: shared.accepting,
    answers: shared.answers,
  });
  return {
    name: spec.name,
    paths: spec.paths,
    mount,
    hosted,
    sessions,
    events,
    resource: spec.auth.mode === 'oauth' ? (authenticator as TokenAuthenticator) : undefined,
    health: () => ({ problem: hosted.problem?.(), sessions: sessions.knownCount, liveServers: sessions.liveCount }),
    endStreamsForDrain() {
      sessions.endStreamsForDrain();
      modern.endStreamsForDrain();
    },
    async close() {
      await modern.close();
      await sessions.close();
      await relay.close();
      if (modernServer !== hosted) await modernServer.close();
      await hosted.close();
    },
  };
}

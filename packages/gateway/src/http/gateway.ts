import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemoryServerEventBus, SUPPORTED_PROTOCOL_VERSIONS, type ServerEventBus } from '@modelcontextprotocol/server';
import type { GatewayConfig } from '../config.js';
import { errorBody, gatewayError, GATEWAY_ERRORS, type GatewayErrorCode, type JsonRpcId } from '../errors.js';
import { createLogger, type Logger } from '../logger.js';
import { loadServerFactory, type McpServerFactory } from '../hosting/server-factory.js';
import { ModernEndpoint } from '../modern/modern-endpoint.js';
import { MemorySessionStore } from '../session/memory-session-store.js';
import type { SessionStore } from '../session/session-store.js';
import { SessionManager } from '../session/session-manager.js';
import { STATE_CHANGING_METHODS } from '../session/session-record.js';
import type { InboundMessage } from '../session/live-session.js';
import { shortId } from '../session/short-id.js';
import { EmfMetrics } from '../metrics/emf-metrics.js';
import { InboundClassifier } from './classify.js';
import { createOriginGuard } from './origin-guard.js';
import { hasRpcError, writeJson, writeRpcError } from './json-response.js';
import { readBody } from './read-body.js';

export type GatewayState = 'starting' | 'ready' | 'draining' | 'closed';

export interface GatewayOptions {
  /** @default the factory named by `config.mcpServer`, or the built-in demo */
  readonly factory?: McpServerFactory;
  /** @default a MemorySessionStore with the configured idle TTL */
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
  readonly sessions: SessionManager;
  readonly bus: ServerEventBus;
  /** Stops taking new work, lets in-flight requests finish, and closes; resolves when closed. */
  drain(): Promise<void>;
  /** Closes at once: open connections are cut. */
  close(): Promise<void>;
}

const MCP_PATH = '/mcp';
const LEGACY_VERSIONS: ReadonlySet<string> = new Set(SUPPORTED_PROTOCOL_VERSIONS);
/** How often a drain looks again at requests that have no connection to signal their end. */
const DRAIN_POLL_MS = 50;
/** A client told to come back later waits this long (seconds), enough for a task to start or a session to free. */
const RETRY_AFTER_S = '5';

/** Starts the gateway: resolves once it listens and `/healthz` is green. */
export async function startGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const startedAt = Date.now();
  const logger = options.logger ?? createLogger(config);
  const factory = options.factory ?? (await loadServerFactory(config.mcpServer));
  const store = options.store ?? new MemorySessionStore(config.sessionIdleTtlMs);
  const bus = options.bus ?? new InMemoryServerEventBus((error) => logger.warn({ err: error }, 'event bus listener failed'));
  const baseHeaders: Record<string, string> = config.taskId === undefined ? {} : { 'mcp-fargate-task': config.taskId };
  const jsonHeaders: Record<string, string> = { ...baseHeaders, 'content-type': 'application/json' };
  const onError = (error: Error, sessionId?: string): void => {
    logger.warn({ err: error, session: sessionId === undefined ? undefined : shortId(sessionId) }, 'hosted server error');
  };
  const sessions = new SessionManager(
    store,
    factory,
    { maxSessions: config.maxSessions, maxLiveServers: config.maxLiveServers, liveServerIdleMs: config.liveServerIdleMs, init: config.sessionInit },
    {
      heartbeatMs: config.sseHeartbeatMs,
      handlerTimeoutMs: config.handlerTimeoutMs,
      eventStoreSize: config.eventStoreSize,
      headers: baseHeaders,
      jsonHeaders,
      onError,
    },
  );
  const modern = await ModernEndpoint.open(factory, {
    instances: config.modernInstances,
    heartbeatMs: config.sseHeartbeatMs,
    handlerTimeoutMs: config.handlerTimeoutMs,
    headers: baseHeaders,
    jsonHeaders,
    bus,
    onError,
  });
  const metrics =
    config.metrics === 'emf'
      ? new EmfMetrics({
          service: config.metricsService,
          intervalMs: config.metricsIntervalMs,
          liveSessions: () => sessions.count(),
          write: options.writeMetrics,
        })
      : undefined;
  const guard = createOriginGuard(config.allowedHosts, config.allowedOrigins);
  const classifier = new InboundClassifier();
  let state: GatewayState = 'starting';
  let inFlight = 0;
  let drained: (() => void) | undefined;

  const retryLaterHeaders: Record<string, string> = { ...jsonHeaders, 'retry-after': RETRY_AFTER_S };
  const healthHeaders: Record<string, string> = { ...jsonHeaders, 'cache-control': 'no-store' };
  const fail = (res: ServerResponse, code: GatewayErrorCode, id: JsonRpcId = null, detail?: string): void => {
    const status = GATEWAY_ERRORS[code].status;
    writeRpcError(res, status, status === 503 ? retryLaterHeaders : jsonHeaders, id, gatewayError(code, detail));
  };

  const health = async (res: ServerResponse): Promise<void> => {
    const ready = state === 'ready';
    const body = JSON.stringify({
      status: state === 'ready' ? 'ok' : state,
      version: config.version,
      uptimeS: Math.round((Date.now() - startedAt) / 1000),
      sessions: await sessions.count(),
      liveServers: sessions.liveCount,
    });
    writeJson(res, ready ? 200 : 503, healthHeaders, body);
  };

  const mcp = async (req: IncomingMessage, res: ServerResponse, log: RequestLog): Promise<void> => {
    const refused = guard(req.headers.host, req.headers.origin);
    if (refused !== undefined) return fail(res, refused);
    switch (req.method) {
      case 'POST':
        return post(req, res, log);
      case 'GET':
        return legacyGet(req, res, log);
      case 'DELETE':
        return legacyDelete(req, res, log);
      default:
        res.setHeader('allow', 'POST, GET, DELETE');
        return fail(res, 'METHOD_NOT_ALLOWED', null, `${req.method ?? ''} is not served; use POST, GET or DELETE`);
    }
  };

  const post = async (req: IncomingMessage, res: ServerResponse, log: RequestLog): Promise<void> => {
    const contentType = req.headers['content-type'];
    // A body the gateway will not read ends the connection with the answer, rather than being drained into nothing.
    if (contentType === undefined || !/^application\/json\s*(;|$)/i.test(contentType)) {
      res.setHeader('connection', 'close');
      return fail(res, 'UNSUPPORTED_MEDIA_TYPE');
    }
    if (!acceptsBoth(req.headers.accept)) {
      res.setHeader('connection', 'close');
      return fail(res, 'NOT_ACCEPTABLE');
    }
    const body = await readBody(req, config.maxBodyBytes);
    if (body.kind === 'too-large') {
      res.setHeader('connection', 'close');
      return fail(res, 'BODY_TOO_LARGE', null, `limit is ${config.maxBodyBytes} bytes`);
    }
    if (body.kind === 'aborted') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.text);
    } catch {
      return fail(res, 'PARSE_ERROR');
    }
    const standard = { protocolVersion: header(req, 'mcp-protocol-version'), method: header(req, 'mcp-method'), name: header(req, 'mcp-name') };
    const route = classifier.classify({
      httpMethod: 'POST',
      protocolVersionHeader: standard.protocolVersion,
      mcpMethodHeader: standard.method,
      mcpNameHeader: standard.name,
      body: parsed,
    });
    switch (route.kind) {
      case 'reject':
        return writeRpcError(res, route.httpStatus, jsonHeaders, idOf(parsed), route);
      case 'modern':
        log.era = 'modern';
        log.mcpMethod = route.message.method;
        // A subscription opened now would only hold the drain open until it is cut.
        if (state !== 'ready' && route.message.method === 'subscriptions/listen') return fail(res, 'DRAINING', idOf(parsed));
        return modern.handle(res, route, standard);
      case 'legacy':
        return legacyPost(req, res, parsed, standard.protocolVersion, log);
    }
  };

  const legacyPost = async (req: IncomingMessage, res: ServerResponse, parsed: unknown, version: string | undefined, log: RequestLog): Promise<void> => {
    const batch = Array.isArray(parsed);
    const messages = (batch ? parsed : [parsed]) as InboundMessage[];
    log.mcpMethod = batch ? 'batch' : (messages[0]?.method ?? 'response');
    const initialize = messages.find((message) => message.method === 'initialize');
    if (initialize !== undefined) {
      if (batch) return fail(res, 'INITIALIZE_IN_BATCH', null);
      if (initialize.id === undefined) return fail(res, 'INVALID_REQUEST', null, 'initialize must be a request with an id');
      if (state !== 'ready') return fail(res, 'DRAINING', initialize.id);
      const created = await sessions.create(initialize.params);
      if (created.kind === 'full') return fail(res, 'SESSIONS_FULL', initialize.id);
      const answer = JSON.stringify({ ...created.response, id: initialize.id });
      if (created.kind === 'refused') return writeJson(res, 200, jsonHeaders, answer);
      log.session = created.logId;
      return writeJson(res, 200, { ...jsonHeaders, 'mcp-session-id': created.id }, answer);
    }
    const sessionId = header(req, 'mcp-session-id');
    if (sessionId === undefined) return fail(res, 'MISSING_SESSION_ID', idOf(parsed));
    if (version !== undefined && !LEGACY_VERSIONS.has(version)) {
      return fail(res, 'UNSUPPORTED_PROTOCOL_VERSION', idOf(parsed), `${version}; supported: ${[...LEGACY_VERSIONS].join(', ')}`);
    }
    // Every client sends this right after initialize; a session without a live server needs none for it (a rebuild replays it).
    if (!batch && messages[0]?.method === 'notifications/initialized' && !sessions.isLive(sessionId)) {
      log.session = shortId(sessionId);
      if (!(await sessions.touch(sessionId))) return fail(res, 'UNKNOWN_SESSION');
      res.writeHead(202, baseHeaders).end();
      return;
    }
    const session = await sessions.acquire(sessionId);
    if (session === undefined) {
      log.session = shortId(sessionId);
      return fail(res, 'UNKNOWN_SESSION', idOf(parsed));
    }
    try {
      log.session = session.logId;
      // JSON-RPC batching was removed from streamable HTTP in 2025-06-18.
      if (batch && (session.record?.protocolVersion ?? '') >= '2025-06-18') return fail(res, 'BATCH_NOT_SUPPORTED');
      for (const message of messages) {
        if (message.method !== undefined && message.id !== undefined && session.hasPendingRequest(message.id)) {
          return fail(res, 'INVALID_REQUEST', message.id, 'a request with this id is still in progress in this session');
        }
      }
      for (const message of messages) {
        if (message.method !== undefined && message.id !== undefined && STATE_CHANGING_METHODS.has(message.method)) {
          await sessions.recordState(session, { method: message.method, params: message.params });
        }
      }
      if (session.isClosed) return fail(res, 'UNKNOWN_SESSION', idOf(parsed));
      session.post(res, messages, batch);
    } finally {
      session.unpin();
    }
  };

  const legacyGet = async (req: IncomingMessage, res: ServerResponse, log: RequestLog): Promise<void> => {
    log.mcpMethod = 'stream';
    if (!(req.headers.accept ?? '').includes('text/event-stream')) return fail(res, 'NOT_ACCEPTABLE_SSE');
    const sessionId = header(req, 'mcp-session-id');
    if (sessionId === undefined) return fail(res, 'MISSING_SESSION_ID');
    log.session = shortId(sessionId);
    const version = header(req, 'mcp-protocol-version');
    if (version !== undefined && !LEGACY_VERSIONS.has(version)) return fail(res, 'UNSUPPORTED_PROTOCOL_VERSION', null, version);
    const lastEventId = header(req, 'last-event-id');
    // Resuming stays possible while draining: the events live only here, and a request may still be answering.
    if (lastEventId === undefined && state !== 'ready') return fail(res, 'DRAINING');
    const session = await sessions.acquire(sessionId);
    if (session === undefined) return fail(res, 'UNKNOWN_SESSION');
    try {
      if (lastEventId !== undefined) {
        const resumed = session.resume(res, lastEventId);
        if (resumed === 'unknown') fail(res, 'UNKNOWN_EVENT_ID');
        else if (resumed === 'gap') fail(res, 'EVENT_GAP');
        return;
      }
      if (session.openStandalone(res) === 'conflict') fail(res, 'STREAM_CONFLICT');
    } finally {
      session.unpin();
    }
  };

  const legacyDelete = async (req: IncomingMessage, res: ServerResponse, log: RequestLog): Promise<void> => {
    log.mcpMethod = 'terminate';
    const sessionId = header(req, 'mcp-session-id');
    if (sessionId === undefined) return fail(res, 'MISSING_SESSION_ID');
    log.session = shortId(sessionId);
    if (!(await sessions.delete(sessionId))) return fail(res, 'UNKNOWN_SESSION');
    res.writeHead(200, baseHeaders).end();
  };

  const server: Server = createServer({
    keepAliveTimeout: config.keepAliveTimeoutMs,
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
  });
  const settled = (): void => {
    inFlight -= 1;
    if (inFlight === 0) drained?.();
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    inFlight += 1;
    // server.close() only closes idle sockets: a busy keep-alive socket learns
    // here that this is its last response, so it reconnects to another task.
    if (state === 'draining') res.setHeader('connection', 'close');
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (path !== MCP_PATH) {
      res.once('close', settled);
    } else {
      const log: RequestLog = { start: performance.now(), era: 'legacy', mcpMethod: undefined, session: undefined };
      res.once('close', () => {
        settled();
        const durationMs = Math.round((performance.now() - log.start) * 100) / 100;
        metrics?.record(log.mcpMethod ?? 'unknown', durationMs, res.statusCode >= 500 || hasRpcError(res));
        logRequest(logger, req, res, log, durationMs);
      });
      mcp(req, res, log).catch((error: unknown) => {
        logger.error({ err: error }, 'request failed');
        if (!res.headersSent) fail(res, 'INTERNAL');
        else res.destroy();
      });
      return;
    }
    if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      health(res).catch(() => fail(res, 'INTERNAL'));
      return;
    }
    fail(res, 'NOT_FOUND', null, `no route for ${req.method ?? ''} ${path}; MCP is served at ${MCP_PATH}`);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    logger.debug({ code: error.code }, 'client error');
    // A response already under way on this socket cannot take another one: only Node's own default would write here too.
    const inProgress = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (!socket.writable || inProgress) {
      socket.destroy();
      return;
    }
    const [status, reason] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout']
          : [400, 'Bad Request'];
    const body = errorBody('INVALID_REQUEST', null, `malformed HTTP request (${reason})`);
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  state = 'ready';
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, host: config.host, startMs: Date.now() - startedAt }, 'gateway ready');

  let closing: Promise<void> | undefined;
  const shutdown = async (): Promise<void> => {
    state = 'closed';
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await modern.close();
    await metrics?.close();
    await sessions.close();
    logger.flush();
  };

  return {
    port,
    get state() {
      return state;
    },
    sessions,
    bus,
    drain() {
      closing ??= (async () => {
        state = 'draining';
        logger.info({ inFlight, pendingRequests: sessions.pendingRequests }, 'draining');
        // The listener stays open until the end: a client answering a sampling
        // request in flight must still reach this task, and a new client is
        // told 503 + Retry-After rather than refused.
        server.closeIdleConnections();
        sessions.endStreamsForDrain();
        modern.endStreamsForDrain();
        const deadline = Date.now() + config.drainTimeoutMs;
        // A request whose stream was cut still runs, and its client may resume it here: wait for it as for a response.
        while ((inFlight > 0 || sessions.pendingRequests > 0) && Date.now() < deadline) {
          await new Promise<void>((resolve) => {
            drained = resolve;
            setTimeout(resolve, Math.min(DRAIN_POLL_MS, Math.max(deadline - Date.now(), 0))).unref();
          });
        }
        if (inFlight > 0 || sessions.pendingRequests > 0) {
          logger.warn({ inFlight, pendingRequests: sessions.pendingRequests }, 'drain timeout: cutting the remaining requests');
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
}

interface RequestLog {
  readonly start: number;
  era: 'legacy' | 'modern';
  mcpMethod: string | undefined;
  session: string | undefined;
}

function logRequest(logger: Logger, req: IncomingMessage, res: ServerResponse, log: RequestLog, durationMs: number): void {
  if (!logger.isLevelEnabled('info')) return;
  logger.info(
    {
      method: req.method,
      era: log.era,
      mcpMethod: log.mcpMethod,
      status: res.statusCode,
      rpcError: hasRpcError(res) || undefined,
      durationMs,
      session: log.session,
      ...(logger.isLevelEnabled('debug') ? { req: { headers: req.headers } } : {}),
    },
    'mcp request',
  );
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value.trim() : undefined;
}

function acceptsBoth(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  if (accept.includes('*/*')) return true;
  return accept.includes('application/json') && accept.includes('text/event-stream');
}

function idOf(body: unknown): JsonRpcId {
  const id = (body as { id?: unknown } | null)?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

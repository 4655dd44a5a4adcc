import type { Principal } from '../auth/authenticator.js';
import { type GatewayErrorCode, gatewayError } from '../errors.js';
import type { RequestBudget } from '../hosting/request-budget.js';
import { idOf, type InboundMessage, isRequest, type RequestId, type RpcError } from '../protocol/json-rpc.js';
import { LEGACY_VERSIONS, primesStreams } from '../protocol/standard-headers.js';
import { fail, type ReplySink } from '../reply/reply-sink.js';
import type { RequestNotes } from '../reply/request-notes.js';
import { type ChangeOutcome, STATE_CHANGING_METHODS, stateChangeOf } from '../stores/session-record.js';
import { shortId } from '../stores/short-id.js';
import type { LiveSession } from './live-session.js';
import type { SessionManager } from './session-manager.js';

export interface LegacyEndpointOptions {
  readonly sessions: SessionManager;
  readonly budget: RequestBudget;
  readonly maxUriBytes: number;
  readonly maxRequestsPerSession: number;
  /** False while draining: no new sessions, no new standalone streams. */
  readonly accepting: () => boolean;
}

/** The request headers a legacy request is served by. */
export interface LegacyHeaders {
  readonly sessionId: string | undefined;
  readonly protocolVersion: string | undefined;
  /** Who is calling, when the path is protected: a session is theirs alone. */
  readonly principal?: Principal | undefined;
}

const REFUSED_CHANGES: Readonly<Record<Exclude<ChangeOutcome, 'applied'>, GatewayErrorCode>> = {
  gone: 'UNKNOWN_SESSION',
  'record-too-large': 'RECORD_TOO_LARGE',
  'too-many-subscriptions': 'SUBSCRIPTION_LIMIT',
};

/** Serves the 2025 era: sessions that start with `initialize` and live until DELETE or their idle TTL. */
export class LegacyEndpoint {
  constructor(private readonly options: LegacyEndpointOptions) {}

  async post(sink: ReplySink, body: unknown, headers: LegacyHeaders, notes: RequestNotes): Promise<void> {
    const batch = Array.isArray(body);
    const messages = (batch ? body : [body]) as InboundMessage[];
    notes.mcpMethod = batch ? 'batch' : (messages[0]?.method ?? 'response');
    const initialize = messages.find((message) => message.method === 'initialize');
    if (initialize !== undefined) return this.initialize(sink, initialize, batch, notes, headers.principal);
    if (headers.sessionId === undefined) return fail(sink, 'MISSING_SESSION_ID', idOf(body));
    const sessionId = ownedId(headers.sessionId, headers.principal);
    const version = headers.protocolVersion;
    if (version !== undefined && !LEGACY_VERSIONS.has(version)) {
      return fail(sink, 'UNSUPPORTED_PROTOCOL_VERSION', idOf(body), `${version}; supported: ${[...LEGACY_VERSIONS].join(', ')}`);
    }
    const { sessions } = this.options;
    // Every client sends this right after initialize; a session without a live server needs none for it (a rebuild replays it).
    if (!batch && messages[0]?.method === 'notifications/initialized' && !sessions.isLive(sessionId)) {
      notes.session = shortId(sessionId);
      if (!(await sessions.touch(sessionId))) return fail(sink, 'UNKNOWN_SESSION');
      sink.empty(202);
      return;
    }
    const requests = messages.filter(isRequest);
    // Notifications and answers need no server built for them: a copy of the session elsewhere may be the one they are for.
    if (requests.length === 0 && !batch && !sessions.isLive(sessionId)) {
      notes.session = shortId(sessionId);
      if (!(await sessions.touch(sessionId))) return fail(sink, 'UNKNOWN_SESSION');
      sessions.sendAway(sessionId, messages);
      sink.empty(202);
      return;
    }
    const duplicate = batch ? firstDuplicate(requests) : undefined;
    if (duplicate !== undefined) return fail(sink, 'DUPLICATE_REQUEST_ID', duplicate, `${JSON.stringify(duplicate)} appears twice in the batch`);
    if (!this.options.budget.fits(requests.length)) return fail(sink, 'REQUESTS_FULL', idOf(body));
    const session = await sessions.acquire(sessionId);
    if (session === 'gone' || session === 'busy') {
      notes.session = shortId(sessionId);
      return fail(sink, session === 'gone' ? 'UNKNOWN_SESSION' : 'SERVERS_BUSY', idOf(body));
    }
    try {
      notes.session = session.logId;
      await this.serve(sink, session, messages, requests, batch, idOf(body), headers.principal);
    } finally {
      session.unpin();
    }
  }

  async get(sink: ReplySink, headers: LegacyHeaders & { readonly lastEventId: string | undefined }, notes: RequestNotes): Promise<void> {
    notes.mcpMethod = 'stream';
    const { protocolVersion, lastEventId } = headers;
    if (headers.sessionId === undefined) return fail(sink, 'MISSING_SESSION_ID');
    const sessionId = ownedId(headers.sessionId, headers.principal);
    notes.session = shortId(sessionId);
    if (protocolVersion !== undefined && !LEGACY_VERSIONS.has(protocolVersion)) return fail(sink, 'UNSUPPORTED_PROTOCOL_VERSION', null, protocolVersion);
    // Resuming stays possible while draining: a request may still be answering here.
    if (lastEventId === undefined && !this.options.accepting()) return fail(sink, 'DRAINING');
    const { sessions } = this.options;
    if (!(await sessions.touch(sessionId))) return fail(sink, 'UNKNOWN_SESSION');
    if (lastEventId !== undefined) {
      const resumed = await sessions.resume(sessionId, sink, lastEventId);
      if (resumed === 'unknown') fail(sink, 'UNKNOWN_EVENT_ID');
      else if (resumed === 'gap') fail(sink, 'EVENT_GAP');
      else if (resumed === 'full') fail(sink, 'STREAMS_FULL');
      return;
    }
    // The clients that send no MCP-Protocol-Version speak 2025-03-26, which has no priming events.
    const opened = await sessions.openStandalone(sessionId, sink, primesStreams(protocolVersion));
    if (opened === 'conflict') fail(sink, 'STREAM_CONFLICT');
    else if (opened === 'full') fail(sink, 'STREAMS_FULL');
  }

  async delete(sink: ReplySink, headers: LegacyHeaders, notes: RequestNotes): Promise<void> {
    notes.mcpMethod = 'terminate';
    if (headers.sessionId === undefined) return fail(sink, 'MISSING_SESSION_ID');
    const sessionId = ownedId(headers.sessionId, headers.principal);
    notes.session = shortId(sessionId);
    if (!(await this.options.sessions.delete(sessionId))) return fail(sink, 'UNKNOWN_SESSION');
    sink.empty(200);
  }

  private async initialize(sink: ReplySink, initialize: InboundMessage, batch: boolean, notes: RequestNotes, principal: Principal | undefined): Promise<void> {
    if (batch) return fail(sink, 'INITIALIZE_IN_BATCH');
    if (initialize.id === undefined) return fail(sink, 'INVALID_REQUEST', null, 'initialize must be a request with an id');
    if (!this.options.accepting()) return fail(sink, 'DRAINING', initialize.id);
    const owner = principal === undefined ? '' : ownedId('', principal);
    const created = await this.options.sessions.create(initialize.params, owner);
    switch (created.kind) {
      case 'full':
        return fail(sink, 'SESSIONS_FULL', initialize.id);
      case 'busy':
        return fail(sink, 'SERVERS_BUSY', initialize.id);
      case 'record-too-large':
        return fail(sink, 'RECORD_TOO_LARGE', initialize.id, 'the capabilities and client info of initialize are too large to keep');
      case 'refused':
        return sink.json(200, JSON.stringify({ ...created.response, id: initialize.id }));
      case 'created':
        notes.session = created.logId;
        return sink.json(200, JSON.stringify({ ...created.response, id: initialize.id }), { 'mcp-session-id': created.id.slice(owner.length) });
    }
  }

  /**
   * The requests of one POST, on a live session: the limits are checked first,
   * then each state change is made in the record (all of it or none of it)
   * before the server sees the request, so a rebuilt server is told the same.
   */
  private async serve(
    sink: ReplySink,
    session: LiveSession,
    messages: InboundMessage[],
    requests: InboundMessage[],
    batch: boolean,
    id: RequestId | null,
    principal: Principal | undefined,
  ): Promise<void> {
    // JSON-RPC batching was removed from streamable HTTP in 2025-06-18.
    if (batch && (session.protocolVersion ?? '') >= '2025-06-18') return fail(sink, 'BATCH_NOT_SUPPORTED');
    if (session.pendingRequests + requests.length > this.options.maxRequestsPerSession) return fail(sink, 'SESSION_BUSY', id);
    for (const request of requests) {
      if (session.hasPendingRequest(request.id as RequestId)) {
        return fail(sink, 'DUPLICATE_REQUEST_ID', request.id as RequestId, `${JSON.stringify(request.id)} is still in progress in this session`);
      }
    }
    let refused: Map<RequestId, RpcError> | undefined;
    for (const request of requests) {
      if (!STATE_CHANGING_METHODS.has(request.method as string)) continue;
      const change = stateChangeOf(request.method as string, request.params);
      if (change === undefined) continue;
      let code: GatewayErrorCode | undefined;
      if (change.kind === 'subscribe' && change.uri.length > this.options.maxUriBytes) code = 'URI_TOO_LONG';
      else {
        const outcome = await this.options.sessions.change(session.id, change);
        if (outcome !== 'applied') code = REFUSED_CHANGES[outcome];
      }
      if (code === undefined) continue;
      if (!batch || code === 'UNKNOWN_SESSION') return fail(sink, code, request.id as RequestId);
      refused ??= new Map();
      refused.set(request.id as RequestId, gatewayError(code));
    }
    // The session may have been deleted while its record was changed.
    if (session.isClosed) return fail(sink, 'UNKNOWN_SESSION', id);
    session.post(sink, messages, requests.length, batch, refused, principal?.authInfo);
  }
}

/**
 * The id a session is stored under: the creator's fingerprint before the id
 * the client holds. Another principal presenting the same id looks up another
 * key, and finds nothing: a 404 exactly like an unknown session, on every
 * path, with no extra store read and on every task alike.
 */
function ownedId(sessionId: string, principal: Principal | undefined): string {
  return principal === undefined ? sessionId : `${principal.fingerprint}.${sessionId}`;
}

/** The first request id that appears twice (1 and "1" are different ids). */
function firstDuplicate(requests: readonly InboundMessage[]): RequestId | undefined {
  const seen = new Set<RequestId>();
  for (const { id } of requests) {
    if (seen.has(id as RequestId)) return id;
    seen.add(id as RequestId);
  }
  return undefined;
}

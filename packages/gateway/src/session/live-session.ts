import type { ServerResponse } from 'node:http';
import type { JSONRPCMessage, MessageExtraInfo, Transport, TransportSendOptions } from '@modelcontextprotocol/server';
import type { HostedServer, McpServerFactory } from '../hosting/server-factory.js';
import { PostReply, type OutboundMessage, type ReplyOptions, type RequestId } from '../http/post-reply.js';
import { RECONNECT_HINT_MS, SseStream } from '../http/sse-stream.js';
import { GATEWAY_ERRORS } from '../errors.js';
import { SessionEventLog } from './event-log.js';
import { shortId } from './short-id.js';
import type { SessionRecord } from './session-record.js';

/** What a live session needs from the gateway around it. */
export interface LiveSessionHost {
  readonly heartbeatMs: number;
  readonly handlerTimeoutMs: number;
  readonly eventStoreSize: number;
  readonly headers: Record<string, string>;
  readonly jsonHeaders: Record<string, string>;
  onError(error: Error, sessionId: string): void;
}

export interface InboundMessage {
  readonly jsonrpc: '2.0';
  readonly id?: RequestId;
  readonly method?: string;
  readonly params?: unknown;
  readonly result?: unknown;
  readonly error?: unknown;
}

const REPLAY_ID_PREFIX = 'mcp-fargate-replay-';

/**
 * The gateway's side of a hosted server's connection: the SDK sees an ordinary
 * `Transport`; the session decides where each outbound message goes.
 */
class SessionTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined;

  constructor(
    readonly sessionId: string,
    private readonly route: (message: OutboundMessage, options: TransportSendOptions | undefined) => void,
  ) {}

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    this.route(message as OutboundMessage, options);
  }

  async close(): Promise<void> {
    this.onclose?.();
  }
}

/**
 * A legacy session's live half: the hosted `McpServer` and the routing of its
 * messages to HTTP responses. It can always be rebuilt from the session's
 * record (see `LiveSession.rebuild`).
 */
export class LiveSession {
  lastUsedAt = Date.now();
  private readonly transport: SessionTransport;
  private readonly events: SessionEventLog;
  private readonly replyOptions: ReplyOptions;
  /** Client request id -> the POST reply awaiting its response. */
  private readonly replies = new Map<RequestId, PostReply>();
  private readonly timers = new Map<RequestId, NodeJS.Timeout>();
  /** Incomplete streams by number, for `Last-Event-ID` resumption. */
  private readonly openReplies = new Map<number, PostReply>();
  private readonly internalWaiters = new Map<RequestId, (message: OutboundMessage) => void>();
  /** The standalone stream keeps its number after a disconnect, so what it missed can be replayed. */
  private standaloneStreamNo: number | undefined;
  private standaloneStream: SseStream | undefined;
  private nextStreamNo = 1;
  private nextInternalId = 1;
  private closed = false;
  /** Requests between lookup and `post`: a pinned session is never evicted (the gap spans store round trips). */
  private pins = 0;
  private cachedLogId: string | undefined;

  private constructor(
    readonly id: string,
    public record: SessionRecord | undefined,
    private readonly server: HostedServer,
    private readonly host: LiveSessionHost,
  ) {
    this.events = new SessionEventLog(host.eventStoreSize);
    this.replyOptions = {
      heartbeatMs: host.heartbeatMs,
      headers: host.headers,
      jsonHeaders: host.jsonHeaders,
      onComplete: (reply) => {
        if (reply.streamNo !== undefined) this.openReplies.delete(reply.streamNo);
      },
    };
    this.transport = new SessionTransport(id, (message, options) => this.route(message, options));
    this.transport.onerror = (error) => host.onError(error, id);
  }

  /** A fresh live server for a new session, before its `initialize` is known. */
  static async open(id: string, factory: McpServerFactory, host: LiveSessionHost): Promise<LiveSession> {
    const server = await factory({ era: 'legacy' });
    const session = new LiveSession(id, undefined, server, host);
    await server.connect(session.transport);
    return session;
  }

  /**
   * Rebuilds the live server of an existing session: a fresh server from the
   * factory is told the recorded `initialize`, `notifications/initialized` and
   * every state-changing request since, through this transport, and its
   * replies are discarded. Only the SDK's public API is used.
   */
  static async rebuild(record: SessionRecord, factory: McpServerFactory, host: LiveSessionHost): Promise<LiveSession> {
    const session = await LiveSession.open(record.id, factory, host);
    session.record = record;
    const init = await session.request('initialize', record.initialize);
    if (init.error !== undefined) {
      await session.close();
      throw new Error(`replayed initialize failed: ${JSON.stringify(init.error)}`);
    }
    session.deliver({ jsonrpc: '2.0', method: 'notifications/initialized' });
    for (const entry of record.replay) await session.request(entry.method, entry.params);
    return session;
  }

  /**
   * Sends a request of the gateway's own (replay, initialize) and resolves with
   * the server's response, or with a timeout error when it never answers.
   */
  request(method: string, params: unknown): Promise<OutboundMessage> {
    const id = `${REPLAY_ID_PREFIX}${this.nextInternalId++}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.internalWaiters.delete(id);
        resolve({ id, error: { code: GATEWAY_ERRORS.HANDLER_TIMEOUT.rpc, message: `${method}: ${GATEWAY_ERRORS.HANDLER_TIMEOUT.message}` } });
      }, this.host.handlerTimeoutMs);
      timer.unref();
      this.internalWaiters.set(id, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      this.deliver({ jsonrpc: '2.0', id, method, params } as InboundMessage);
    });
  }

  get idle(): boolean {
    return this.pins === 0 && this.replies.size === 0 && this.standaloneStream === undefined && this.openReplies.size === 0 && this.internalWaiters.size === 0;
  }

  /** Requests the hosted server has not answered yet, whether or not their client is still connected. */
  get pendingRequests(): number {
    return this.replies.size;
  }

  /** A log-safe handle for the session, computed once. */
  get logId(): string {
    this.cachedLogId ??= shortId(this.id);
    return this.cachedLogId;
  }

  pin(): void {
    this.pins += 1;
  }

  unpin(): void {
    this.pins -= 1;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  hasPendingRequest(id: RequestId): boolean {
    return this.replies.has(id);
  }

  /**
   * Serves one POST: notifications and responses are handed over and answered
   * 202; requests get a reply that is JSON or SSE as the server's output needs.
   */
  post(res: ServerResponse, messages: readonly InboundMessage[], batch: boolean): void {
    this.lastUsedAt = Date.now();
    const requests = messages.filter((message) => message.method !== undefined && message.id !== undefined);
    if (requests.length === 0) {
      for (const message of messages) this.deliver(message);
      res.writeHead(202, this.host.headers).end();
      return;
    }
    const streamNo = this.nextStreamNo++;
    const resumable = this.host.eventStoreSize > 0;
    // A handler may cut its stream only where the client can resume it: with
    // an event store, and a revision whose clients accept priming events.
    const primes = resumable && primesStreams(this.record?.protocolVersion);
    const reply = new PostReply(res, requests.length, batch, this.replyOptions, resumable ? { events: this.events, streamNo, prime: primes } : undefined);
    // Only a resumable reply can be found again by its stream number; the rest are reached through `replies`.
    if (resumable) this.openReplies.set(streamNo, reply);
    res.once('close', () => {
      if (!reply.complete) reply.detach();
    });
    for (const message of messages) {
      if (message.method !== undefined && message.id !== undefined) {
        this.replies.set(message.id, reply);
        this.armTimeout(message.id, message.method);
        this.deliver(message, primes ? { closeSSEStream: () => reply.closeStream() } : undefined);
      } else {
        this.deliver(message);
      }
    }
  }

  /** Opens the standalone GET stream for messages not tied to a request. */
  openStandalone(res: ServerResponse): 'opened' | 'conflict' {
    if (this.standaloneStream !== undefined) return 'conflict';
    this.lastUsedAt = Date.now();
    const streamNo = this.nextStreamNo++;
    const stream = this.attachStandalone(res, streamNo);
    if (this.host.eventStoreSize > 0 && primesStreams(this.record?.protocolVersion)) stream.prime(this.events.primeId(streamNo), RECONNECT_HINT_MS);
    return 'opened';
  }

  /** Resumes a stream after `Last-Event-ID`: replays what the client missed, then carries on where it was. */
  resume(res: ServerResponse, lastEventId: string): 'resumed' | 'unknown' | 'gap' {
    const replay = this.events.replayAfter(lastEventId);
    if (replay.kind !== 'replay') return replay.kind;
    this.lastUsedAt = Date.now();
    const reply = this.openReplies.get(replay.streamNo);
    if (replay.streamNo === this.standaloneStreamNo) {
      this.standaloneStream?.end();
      const stream = this.attachStandalone(res, replay.streamNo);
      for (const event of replay.events) stream.send(event.data, event.id);
      return 'resumed';
    }
    const stream = this.openStream(res, () => {});
    for (const event of replay.events) stream.send(event.data, event.id);
    if (reply === undefined) stream.end();
    else reply.attach(stream);
    return 'resumed';
  }

  /**
   * Drain: the standalone stream ends with a reconnect hint so the client
   * listens on another task; request streams stay until their answer is sent.
   */
  endStreamsForDrain(): void {
    this.standaloneStream?.end(RECONNECT_HINT_MS);
  }

  /** Ends the live server; a request still waiting is answered with an error, never left hanging. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const [id, reply] of [...this.replies]) {
      this.replies.delete(id);
      reply.deliver({ id, error: { code: GATEWAY_ERRORS.SESSION_ENDED.rpc, message: GATEWAY_ERRORS.SESSION_ENDED.message } });
    }
    this.standaloneStream?.end();
    for (const reply of this.openReplies.values()) reply.detach();
    await this.server.close();
  }

  private deliver(message: InboundMessage, extra?: MessageExtraInfo): void {
    this.transport.onmessage?.(message as JSONRPCMessage, extra);
  }

  private attachStandalone(res: ServerResponse, streamNo: number): SseStream {
    this.standaloneStreamNo = streamNo;
    const stream = this.openStream(res, () => {
      if (this.standaloneStream === stream) this.standaloneStream = undefined;
    });
    // A client that left while the session was looked up gets a stream that is already over.
    if (stream.open) this.standaloneStream = stream;
    return stream;
  }

  private openStream(res: ServerResponse, onClosed: () => void): SseStream {
    return new SseStream(res, this.host.heartbeatMs, this.host.headers, onClosed);
  }

  private armTimeout(id: RequestId, method: string): void {
    const timer = setTimeout(() => {
      this.timers.delete(id);
      const reply = this.replies.get(id);
      if (reply === undefined) return;
      this.host.onError(new Error(`${method} did not answer within ${this.host.handlerTimeoutMs} ms`), this.id);
      this.deliver({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'timed out' } });
      this.route(
        { jsonrpc: '2.0', id, error: { code: GATEWAY_ERRORS.HANDLER_TIMEOUT.rpc, message: GATEWAY_ERRORS.HANDLER_TIMEOUT.message } } as OutboundMessage,
        undefined,
      );
    }, this.host.handlerTimeoutMs);
    timer.unref();
    this.timers.set(id, timer);
  }

  private route(message: OutboundMessage, options: TransportSendOptions | undefined): void {
    if (message.method === undefined && message.id !== undefined && message.id !== null) {
      const waiter = this.internalWaiters.get(message.id);
      if (waiter !== undefined) {
        this.internalWaiters.delete(message.id);
        waiter(message);
        return;
      }
      const reply = this.replies.get(message.id);
      if (reply === undefined) return;
      this.replies.delete(message.id);
      const timer = this.timers.get(message.id);
      if (timer !== undefined) {
        clearTimeout(timer);
        this.timers.delete(message.id);
      }
      this.lastUsedAt = Date.now();
      reply.deliver(message);
      return;
    }
    const related = options?.relatedRequestId;
    if (related !== undefined) {
      const reply = this.replies.get(related);
      if (reply !== undefined) {
        reply.deliver(message);
        return;
      }
      if (typeof related === 'string' && related.startsWith(REPLAY_ID_PREFIX)) return;
    }
    if (this.standaloneStreamNo !== undefined) {
      const json = JSON.stringify(message);
      const id = this.events.append(this.standaloneStreamNo, json);
      this.standaloneStream?.send(json, id);
    }
  }
}

/** Priming events carry empty data, which clients older than 2025-11-25 may not accept (SEP-1699). */
function primesStreams(protocolVersion: string | undefined): boolean {
  return protocolVersion !== undefined && protocolVersion >= '2025-11-25';
}

import type { AuthInfo } from '@modelcontextprotocol/server';
import type { GatewayErrorCode } from '../errors.js';
import type { HostedServer } from '../hosting/hosted-server.js';
import type { RequestBudget } from '../hosting/request-budget.js';
import { RpcChannel } from '../hosting/rpc-channel.js';
import { type InboundMessage, isRequest, type OutboundMessage, type RequestId, type RpcError } from '../protocol/json-rpc.js';
import { primesStreams } from '../protocol/standard-headers.js';
import { PostReply, type ReplyOptions, type StreamLog } from '../reply/post-reply.js';
import type { ReplySink } from '../reply/reply-sink.js';
import type { EventStore } from '../stores/event-store.js';
import { replayedRequests, type SessionRecord } from '../stores/session-record.js';
import { shortId } from '../stores/short-id.js';

/** What a live session needs from the gateway around it. */
export interface LiveSessionHost {
  readonly server: HostedServer;
  readonly handlerTimeoutMs: number;
  /** How long a fresh connection may take to answer `initialize` (a child process may have to start first). */
  readonly startTimeoutMs: number;
  readonly budget: RequestBudget;
  readonly now: () => number;
  /** Where resumable streams keep their events; undefined when resumption is off. */
  readonly events: EventStore | undefined;
  /** A server message tied to no request: it goes to the session's standalone stream, wherever that is. */
  unrelated(sessionId: string, message: OutboundMessage): void;
  /** A client message this copy of the session cannot place (an answer to another copy's question): for the other tasks. */
  elsewhere(sessionId: string, message: InboundMessage): void;
  error(error: Error, sessionId: string): void;
}

/**
 * A legacy session's live half: a connection to the hosted server, and the
 * POST replies waiting on it. It can always be rebuilt from the session's
 * record (see `LiveSession.rebuild`); the session's events and standalone
 * stream do not live here, so evicting it loses nothing a client can ask for.
 */
export class LiveSession {
  lastUsedAt: number;
  /** Incomplete replies whose stream a client may resume, by stream key. */
  private readonly openReplies = new Map<string, PostReply>();
  private readonly replyOptions: ReplyOptions;
  private channel!: RpcChannel;
  /** Requests between lookup and `post`: a pinned session is never evicted (the gap spans store round trips). */
  private pins = 0;
  private cachedLogId: string | undefined;

  private constructor(
    readonly id: string,
    /** The negotiated revision; undefined for the instance that answers a lazy session's `initialize`. */
    public protocolVersion: string | undefined,
    private readonly host: LiveSessionHost,
  ) {
    this.lastUsedAt = host.now();
    this.replyOptions = {
      onComplete: (reply) => {
        const key = (reply.log as ReplyStreamLog | undefined)?.key;
        if (key !== undefined) this.openReplies.delete(key);
      },
    };
  }

  /** A fresh connection for a session, before its `initialize` is known. */
  static async open(id: string, protocolVersion: string | undefined, host: LiveSessionHost): Promise<LiveSession> {
    const session = new LiveSession(id, protocolVersion, host);
    session.channel = await RpcChannel.open(
      host.server,
      'legacy',
      {
        unrelated: (message) => host.unrelated(id, message),
        closed: (reason) => host.error(new Error(`the hosted server ended the session's connection: ${reason}`), id),
        error: (error) => host.error(error, id),
      },
      host.handlerTimeoutMs,
      host.budget,
      session.logId,
    );
    return session;
  }

  /**
   * Rebuilds the live server of an existing session: a fresh connection is
   * told the recorded `initialize`, `notifications/initialized` and the
   * state the client set since, and the answers are discarded. Only the
   * public protocol is used, so it works for every kind of hosted server.
   */
  static async rebuild(record: SessionRecord, host: LiveSessionHost): Promise<LiveSession> {
    const session = await LiveSession.open(record.id, record.protocolVersion, host);
    const init = await session.initialize(record.initialize);
    if (init.error !== undefined) {
      await session.close();
      throw new Error(`replayed initialize failed: ${JSON.stringify(init.error)}`);
    }
    session.channel.notify({ jsonrpc: '2.0', method: 'notifications/initialized' });
    for (const { method, params } of replayedRequests(record)) await session.request(method, params);
    return session;
  }

  /** Sends a request of the gateway's own (a replay) and resolves with the answer, or a timeout error. */
  request(method: string, params: unknown): Promise<OutboundMessage> {
    return this.channel.call(method, params);
  }

  /** The first request of a connection: it may also wait for the server to start. */
  initialize(params: unknown): Promise<OutboundMessage> {
    return this.channel.call('initialize', params, this.host.startTimeoutMs);
  }

  /** Nothing in progress: the cache may close it without anyone noticing. */
  get idle(): boolean {
    return this.pins === 0 && this.channel.inFlight === 0 && this.openReplies.size === 0;
  }

  /** Requests the hosted server has not answered yet, whether or not their client is still connected. */
  get pendingRequests(): number {
    return this.channel.inFlight;
  }

  /** The connection ended (the server closed it, or the gateway did): the session needs a rebuild. */
  get isClosed(): boolean {
    return this.channel.isClosed;
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

  hasPendingRequest(id: RequestId): boolean {
    return this.channel.has(id);
  }

  /**
   * Serves one POST: notifications and responses are handed over and answered
   * 202; requests get a reply that is JSON or SSE as the server's output needs.
   * A `refused` request (a state change the record could not take) is
   * answered with its error and never reaches the server.
   */
  post(
    sink: ReplySink,
    messages: readonly InboundMessage[],
    requests: number,
    batch: boolean,
    refused?: ReadonlyMap<RequestId, RpcError>,
    authInfo?: AuthInfo,
  ): void {
    this.lastUsedAt = this.host.now();
    if (requests === 0) {
      for (const message of messages) this.handOver(message);
      sink.empty(202);
      return;
    }
    const events = this.host.events;
    const primes = events !== undefined && primesStreams(this.protocolVersion);
    const log = events === undefined ? undefined : new ReplyStreamLog(this, events, primes);
    const reply = new PostReply(sink, requests, batch, this.replyOptions, log);
    if (log !== undefined) log.reply = reply;
    sink.onClose(() => {
      if (!reply.complete) reply.detach();
    });
    // A handler may cut its stream only where the client can resume it (SEP-1699).
    const extra = primes || authInfo !== undefined ? { ...(primes ? { closeSSEStream: () => reply.closeStream() } : {}), authInfo } : undefined;
    for (const message of messages) {
      if (!isRequest(message)) this.handOver(message);
      else {
        const error = refused?.get(message.id);
        if (error === undefined) this.channel.request(message, reply, extra);
        else reply.deliver({ jsonrpc: '2.0', id: message.id, error });
      }
    }
  }

  /** The reply still writing the stream `streamKey`, for a client resuming it. */
  replyOf(streamKey: string): PostReply | undefined {
    return this.openReplies.get(streamKey);
  }

  /** Ends the live server; a request still waiting is answered with an error, never left hanging. */
  async close(code: GatewayErrorCode = 'SESSION_ENDED'): Promise<void> {
    for (const reply of this.openReplies.values()) reply.detach();
    await this.channel.close(code);
  }

  /** @internal the stream key of a reply that became a stream, so a resume can find it. */
  track(key: string, reply: PostReply): void {
    this.openReplies.set(key, reply);
  }

  /**
   * A client's notification or answer. With a shared store the session may
   * have a copy on several tasks: an answer goes to the copy whose server
   * asked, a cancellation to the copy running the request, other
   * notifications to every copy.
   */
  private handOver(message: InboundMessage): void {
    if (this.place(message)) return;
    this.host.elsewhere(this.id, message);
  }

  /** A client message another task could not place: this copy takes it if it is the one it is for. */
  fromElsewhere(message: InboundMessage): void {
    this.place(message);
  }

  /** Hands the message to this copy's server if it is for it; true when nobody else needs it. */
  private place(message: InboundMessage): boolean {
    if (message.method === undefined) {
      if (message.id === undefined || !this.channel.awaits(message.id)) return false;
      this.channel.answer(message);
      return true;
    }
    if (message.method === 'notifications/cancelled') {
      const requestId = (message.params as { requestId?: RequestId } | undefined)?.requestId;
      if (requestId === undefined || !this.channel.has(requestId)) return false;
      this.channel.notify(message);
      return true;
    }
    this.channel.notify(message);
    return message.method === 'notifications/initialized';
  }
}

/**
 * The event log of one reply, opened only if the reply becomes a stream: a
 * plain JSON answer never touches the event store.
 */
class ReplyStreamLog implements StreamLog {
  key: string | undefined;
  reply: PostReply | undefined;

  constructor(
    private readonly session: LiveSession,
    private readonly events: EventStore,
    private readonly primes: boolean,
  ) {}

  get primeId(): string | undefined {
    return this.primes ? this.events.primeId(this.session.id, this.streamKey()) : undefined;
  }

  append(data: string, away: boolean): string {
    return this.events.append(this.session.id, this.streamKey(), data, away);
  }

  finish(): void {
    if (this.key !== undefined) this.events.finish(this.session.id, this.key);
  }

  complete(): void {
    if (this.key !== undefined) this.events.complete(this.session.id, this.key, true);
  }

  private streamKey(): string {
    if (this.key === undefined) {
      this.key = this.events.openStream(this.session.id);
      if (this.reply !== undefined) this.session.track(this.key, this.reply);
    }
    return this.key;
  }
}

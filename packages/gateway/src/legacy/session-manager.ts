import { randomBytes } from 'node:crypto';
import { isInitializeRequest, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';
import type { HostedServer } from '../hosting/hosted-server.js';
import type { RequestBudget } from '../hosting/request-budget.js';
import type { InboundMessage, OutboundMessage } from '../protocol/json-rpc.js';
import { type EventStream, RECONNECT_HINT_MS, type ReplySink } from '../reply/reply-sink.js';
import type { EventStore } from '../stores/event-store.js';
import { type ChangeOutcome, initializeParamsOf, type SessionRecord, type StateChange } from '../stores/session-record.js';
import type { RelayMessage, SessionRelay } from '../stores/session-relay.js';
import { type SessionStore, StoreUnavailableError } from '../stores/session-store.js';
import { shortId } from '../stores/short-id.js';
import { HeldStream } from './held-stream.js';
import { LiveSession, type LiveSessionHost } from './live-session.js';
import type { OpenOutcome, SessionStreams } from './session-streams.js';

export interface SessionManagerOptions {
  readonly server: HostedServer;
  readonly store: SessionStore;
  /** Undefined when resumption is off. */
  readonly events: EventStore | undefined;
  readonly streams: SessionStreams;
  /** Other tasks serving the same sessions (a shared store); a lone task's relay tells nobody. */
  readonly relay: SessionRelay;
  readonly budget: RequestBudget;
  readonly maxLiveServers: number;
  readonly liveServerIdleMs: number;
  readonly sessionIdleTtlMs: number;
  /** `lazy`: a new session gets no live server until a request needs one. */
  readonly init: 'lazy' | 'eager';
  readonly handlerTimeoutMs: number;
  /** How long a new connection may take to answer `initialize`. */
  readonly startTimeoutMs: number;
  readonly error: (error: Error, sessionId: string) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

export type CreateOutcome =
  | { readonly kind: 'created'; readonly id: string; readonly logId: string; readonly response: OutboundMessage }
  | { readonly kind: 'refused'; readonly response: OutboundMessage }
  | { readonly kind: 'full' | 'busy' | 'record-too-large' };

/** A session's live server, or why there is none: `gone` (no such session), `busy` (every live server is in use). */
export type Acquired = LiveSession | 'gone' | 'busy';

export type ResumeOutcome = 'resumed' | 'unknown' | 'gap' | 'full';

/**
 * Legacy sessions: records in the store, live servers in a bounded cache.
 * The cap on live servers holds: a server that is idle, or pushed out by a
 * session that needs one, is closed, and the next request for its session
 * rebuilds it from the record; when every live server is busy, the session
 * that needs one is told to retry (503). A standalone stream keeps its
 * session's server from the idle timeout, never from the cap.
 */
export class SessionManager {
  /** Live sessions in least-recently-used order (a Map iterates in insertion order). */
  private readonly live = new Map<string, LiveSession>();
  private readonly rebuilding = new Map<string, Promise<Acquired>>();
  /** The hosted server's `initialize` answer per requested protocol version (lazy sessions). */
  private readonly initializeAnswers = new Map<string, Promise<OutboundMessage>>();
  private readonly host: LiveSessionHost;
  private readonly sweeper: NodeJS.Timeout;
  private readonly streamToucher: NodeJS.Timeout;
  private readonly now: () => number;
  /** Resumed reply streams whose reply runs on another task: its events arrive through the relay. */
  private readonly listening = new Map<string, EventStream>();
  private readonly unsubscribe: () => void;
  /** Live servers being opened for eager sessions: they hold a place under the cap before they are in `live`. */
  private opening = 0;
  /** The store's count as last read: `/healthz` shows it without waiting on the store. */
  private lastCount = 0;
  rebuilds = 0;

  constructor(private readonly options: SessionManagerOptions) {
    this.now = options.now ?? Date.now;
    this.host = {
      server: options.server,
      handlerTimeoutMs: options.handlerTimeoutMs,
      startTimeoutMs: options.startTimeoutMs,
      budget: options.budget,
      now: this.now,
      events: options.events,
      unrelated: (sessionId, message) => options.streams.deliver(sessionId, message),
      elsewhere: (sessionId, message) => options.relay.publish({ kind: 'client', session: sessionId, message }),
      error: options.error,
    };
    this.unsubscribe = options.relay.subscribe((message) => this.relayed(message));
    this.sweeper = setInterval(() => this.sweep(), Math.min(Math.max(options.liveServerIdleMs / 2, 50), 10_000));
    this.sweeper.unref();
    // An open standalone stream is a client still there: its session must not expire under it.
    this.streamToucher = setInterval(() => this.touchStreams(), Math.min(Math.max(options.sessionIdleTtlMs / 3, 100), 60_000));
    this.streamToucher.unref();
  }

  get liveCount(): number {
    return this.live.size;
  }

  /** Sessions in the store, as last counted (refreshed in the background, never awaited by health checks). */
  get knownCount(): number {
    return this.lastCount;
  }

  count(): Promise<number> {
    return this.options.store.count();
  }

  /**
   * Starts a session for an `initialize` request; the session exists only if
   * the server accepted it. A lazy session is only a record until a request
   * needs its server: the answer comes from the hosted server's answer to
   * the same protocol version, which depends on nothing else the client sends
   * (the SDK's `initialize` negotiates the version and returns the server's
   * capabilities, info and instructions). `owner` prefixes the stored id: the
   * creator's fingerprint when the path is protected.
   */
  async create(initializeParams: unknown, owner = ''): Promise<CreateOutcome> {
    // Params the SDK would refuse get the hosted server's own refusal, from an eager start.
    const lazy = this.options.init === 'lazy' && isInitializeRequest({ jsonrpc: '2.0', id: 0, method: 'initialize', params: initializeParams });
    if (lazy) return this.start(initializeParams, undefined, owner);
    if (!this.makeRoom()) return { kind: 'busy' };
    this.opening += 1;
    try {
      return await this.start(initializeParams, await LiveSession.open(owner + randomBytes(16).toString('base64url'), undefined, this.host), owner);
    } finally {
      this.opening -= 1;
    }
  }

  private async start(initializeParams: unknown, session: LiveSession | undefined, owner: string): Promise<CreateOutcome> {
    // 128 bits from the CSPRNG: a session id is a bearer of the session (MCP security best practices).
    const id = session?.id ?? owner + randomBytes(16).toString('base64url');
    const response = session === undefined ? await this.initializeAnswer(initializeParams) : await session.initialize(initializeParams);
    const result = response.result as { protocolVersion?: unknown } | undefined;
    if (response.error !== undefined || typeof result?.protocolVersion !== 'string') {
      await session?.close();
      return { kind: 'refused', response };
    }
    const record: SessionRecord = {
      id,
      protocolVersion: result.protocolVersion,
      initialize: initializeParamsOf(initializeParams),
      createdAt: this.now(),
      subscriptions: [],
    };
    const stored = await this.options.store.create(record);
    if (stored !== 'created') {
      await session?.close();
      return { kind: stored };
    }
    this.lastCount += 1;
    if (session !== undefined) {
      session.protocolVersion = record.protocolVersion;
      this.remember(session);
    }
    return { kind: 'created', id, logId: session?.logId ?? shortId(id), response };
  }

  /** Whether `id` has a live server now: a request that needs none (such as `notifications/initialized`) can skip building one. */
  isLive(id: string): boolean {
    return this.live.has(id);
  }

  /** Marks a session used without its server; false when it is gone. */
  touch(id: string): Promise<boolean> {
    return this.options.store.touch(id);
  }

  /** Records a state change before the server sees it, so a rebuilt server is told it again. */
  change(id: string, change: StateChange): Promise<ChangeOutcome> {
    return this.options.store.change(id, change);
  }

  /**
   * The live session for `id`, rebuilt from its record when it is not in the
   * cache. It comes pinned, so it cannot be evicted before the request is
   * handed to it: the caller unpins it once it has.
   */
  async acquire(id: string): Promise<Acquired> {
    const cached = this.live.get(id);
    if (cached !== undefined && !cached.isClosed) {
      cached.pin();
      let alive: boolean;
      try {
        alive = await this.options.store.touch(id);
      } catch (error) {
        // The shared store is away: a session live here keeps working on what this task knows.
        if (!(error instanceof StoreUnavailableError)) throw error;
        alive = true;
      }
      if (!alive) {
        cached.unpin();
        this.forget(cached);
        return 'gone';
      }
      cached.lastUsedAt = this.now();
      this.live.delete(id);
      this.live.set(id, cached);
      return cached;
    }
    if (cached !== undefined) this.forget(cached);
    let pending = this.rebuilding.get(id);
    if (pending === undefined) {
      pending = this.rebuild(id).finally(() => this.rebuilding.delete(id));
      this.rebuilding.set(id, pending);
    }
    const session = await pending;
    if (typeof session !== 'string') session.pin();
    return session;
  }

  /** Opens the session's standalone GET stream; it needs no live server (server messages reach it whenever one runs). */
  openStandalone(id: string, sink: ReplySink, primes: boolean): Promise<OpenOutcome> {
    return this.options.streams.open(id, sink, primes);
  }

  /**
   * Client notifications and answers for a session with no live server here:
   * no server is built for them; they go to the tasks that run one, if any.
   */
  sendAway(id: string, messages: readonly InboundMessage[]): void {
    for (const message of messages) this.options.relay.publish({ kind: 'client', session: id, message });
  }

  /** Requests still being worked on by live servers, including those whose client went away. */
  get pendingRequests(): number {
    let pending = 0;
    for (const session of this.live.values()) pending += session.pendingRequests;
    return pending;
  }

  /**
   * Resumes a stream after `Last-Event-ID`, on whichever task: the standalone
   * stream, a reply still in progress here or on another task, or a finished
   * one. What the session writes while the missed events are read back is
   * held and passed on after them, so nothing falls between the two.
   */
  async resume(id: string, sink: ReplySink, lastEventId: string): Promise<ResumeOutcome> {
    const events = this.options.events;
    if (events === undefined) return 'unknown';
    const streamKey = lastEventId.slice(0, Math.max(lastEventId.lastIndexOf('.'), 0));
    const held = new HeldStream();
    const reply = this.live.get(id)?.replyOf(streamKey);
    const listenKey = `${id}\n${streamKey}`;
    // Listening starts before the read: an event kept meanwhile arrives one way or the other, never neither.
    if (reply !== undefined) reply.attach(held);
    else this.listening.set(listenKey, held);
    const stopListening = (): void => {
      if (this.listening.get(listenKey) === held) this.listening.delete(listenKey);
    };
    held.onClosed(stopListening);
    const replay = await events.replayAfter(id, lastEventId);
    if (replay.kind !== 'replay') {
      held.end();
      return replay.kind;
    }
    if (replay.standalone) {
      stopListening();
      if (!this.options.streams.adopt(id, streamKey, held)) {
        held.end();
        return 'full';
      }
    }
    const stream = sink.stream();
    if (stream === undefined) {
      held.end();
      return 'resumed';
    }
    for (const event of replay.events) stream.send(event.data, event.id);
    if (replay.complete && reply === undefined) {
      // A reply answered while its client was away: the client now has all of it.
      stopListening();
      events.finish(id, streamKey);
      stream.end();
      return 'resumed';
    }
    held.release(stream, replay.events.at(-1)?.id ?? lastEventId);
    if (!replay.standalone && reply === undefined) {
      // The reply runs on another task, which ends it through the relay; if that task is gone, the request is lost.
      const timer = setTimeout(() => held.end(), this.options.handlerTimeoutMs);
      timer.unref();
      held.onClosed(() => clearTimeout(timer));
    }
    return 'resumed';
  }

  async delete(id: string): Promise<boolean> {
    const session = this.live.get(id);
    if (session !== undefined) this.forget(session);
    this.options.streams.end(id);
    this.options.events?.dropSession(id);
    const deleted = await this.options.store.delete(id);
    if (deleted) this.lastCount = Math.max(this.lastCount - 1, 0);
    return deleted;
  }

  /** Closes the live server of `id` without ending the session (a test seam, and memory pressure). */
  evict(id: string): boolean {
    const session = this.live.get(id);
    if (session === undefined) return false;
    this.forget(session);
    return true;
  }

  /** Drain: standalone streams end with a reconnect hint; request streams stay until their answer is sent. */
  endStreamsForDrain(): void {
    this.options.streams.endAll(RECONNECT_HINT_MS);
  }

  async close(): Promise<void> {
    this.unsubscribe();
    clearInterval(this.sweeper);
    clearInterval(this.streamToucher);
    this.options.streams.endAll();
    await Promise.allSettled([...this.live.values()].map((session) => session.close()));
    this.live.clear();
    await this.options.store.close();
    await this.options.events?.close();
  }

  /** Evicts what has been idle too long, and refreshes the count `/healthz` shows (both in the background). */
  sweep(): void {
    const oldest = this.now() - this.options.liveServerIdleMs;
    for (const session of this.live.values()) {
      if (session.lastUsedAt < oldest && session.idle && !this.options.streams.hasOpen(session.id)) this.forget(session);
    }
    this.options.streams.sweep(this.options.sessionIdleTtlMs);
    this.options.store.count().then(
      (count) => {
        this.lastCount = count;
      },
      () => undefined,
    );
  }

  /** The hosted server's answer to `initialize` for this protocol version, asked once of a throwaway connection. */
  private initializeAnswer(params: unknown): Promise<OutboundMessage> {
    const requested = (params as { protocolVersion?: unknown } | null)?.protocolVersion;
    // Clients choose the key: only versions the SDK knows get their own entry, so the map stays small.
    const key = typeof requested === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : '*';
    let answer = this.initializeAnswers.get(key);
    if (answer === undefined) {
      answer = (async () => {
        const probe = await LiveSession.open('initialize-probe', undefined, this.host);
        try {
          return await probe.initialize(params);
        } finally {
          await probe.close();
        }
      })();
      this.initializeAnswers.set(key, answer);
      // A failed probe (the factory threw, or the client's params were refused) is not remembered.
      answer.then(
        (message) => {
          if (message.error !== undefined) this.initializeAnswers.delete(key);
        },
        () => this.initializeAnswers.delete(key),
      );
    }
    return answer;
  }

  /** The record first: a session that does not exist is `gone` (404, initialize again), even when the cache is full. */
  private async rebuild(id: string): Promise<Acquired> {
    const record = await this.options.store.get(id);
    if (record === undefined) return 'gone';
    // This rebuild already holds a place in `rebuilding`.
    if (!this.makeRoom(1)) return 'busy';
    let session: LiveSession;
    try {
      session = await LiveSession.rebuild(record, this.host);
    } catch (error) {
      // A session that cannot be rebuilt is answered like an expired one, so
      // the client re-initializes instead of retrying a broken session.
      this.options.error(error as Error, id);
      await this.delete(id);
      return 'gone';
    }
    this.rebuilds += 1;
    this.remember(session);
    return session;
  }

  /**
   * Frees a place for one more live server if the cap needs it: the least
   * recently used idle one goes, preferring one without an open standalone
   * stream. False when every live server is busy.
   */
  private makeRoom(alreadyCounted = 0): boolean {
    if (this.live.size + this.rebuilding.size + this.opening - alreadyCounted < this.options.maxLiveServers) return true;
    let fallback: LiveSession | undefined;
    for (const session of this.live.values()) {
      if (!session.idle) continue;
      if (!this.options.streams.hasOpen(session.id)) {
        this.forget(session);
        return true;
      }
      fallback ??= session;
    }
    if (fallback === undefined) return false;
    this.forget(fallback);
    return true;
  }

  private remember(session: LiveSession): void {
    this.live.set(session.id, session);
  }

  private forget(session: LiveSession): void {
    if (this.live.get(session.id) === session) this.live.delete(session.id);
    session.close().catch((error: unknown) => this.options.error(error as Error, session.id));
  }

  /** What another task relayed: events for streams held here, client messages for the live copy here. */
  private relayed(message: RelayMessage): void {
    switch (message.kind) {
      case 'event':
        if (!this.options.streams.relayed(message)) this.listening.get(`${message.session}\n${message.stream}`)?.send(message.data, message.id);
        return;
      case 'end':
        this.listening.get(`${message.session}\n${message.stream}`)?.end();
        return;
      case 'client':
        this.live.get(message.session)?.fromElsewhere(message.message as InboundMessage);
        return;
      default:
        return;
    }
  }

  private touchStreams(): void {
    for (const id of this.options.streams.openSessions()) {
      this.options.store.touch(id).then(
        (alive) => {
          if (!alive) void this.delete(id);
        },
        () => undefined,
      );
    }
  }
}

import { randomBytes } from 'node:crypto';
import { SUPPORTED_PROTOCOL_VERSIONS, isInitializeRequest } from '@modelcontextprotocol/server';
import type { McpServerFactory } from '../hosting/server-factory.js';
import type { OutboundMessage } from '../http/post-reply.js';
import { LiveSession, type LiveSessionHost } from './live-session.js';
import { withReplayed, type ReplayedRequest, type SessionRecord } from './session-record.js';
import { shortId } from './short-id.js';
import type { SessionStore } from './session-store.js';

export interface SessionLimits {
  readonly maxSessions: number;
  readonly maxLiveServers: number;
  readonly liveServerIdleMs: number;
  /** `lazy`: a new session gets no live server until a request needs one. */
  readonly init: 'lazy' | 'eager';
}

export type CreateOutcome =
  | { readonly kind: 'created'; readonly id: string; readonly logId: string; readonly response: OutboundMessage }
  | { readonly kind: 'refused'; readonly response: OutboundMessage }
  | { readonly kind: 'full' };

/**
 * Legacy sessions: records in the store, live servers in a bounded cache.
 * A live server that is idle, or pushed out by newer ones, is closed; the next
 * request for its session rebuilds it from the record.
 */
export class SessionManager {
  /** Live sessions in least-recently-used order (a Map iterates in insertion order). */
  private readonly live = new Map<string, LiveSession>();
  private readonly rebuilding = new Map<string, Promise<LiveSession | undefined>>();
  /** The hosted server's `initialize` answer per requested protocol version (lazy sessions). */
  private readonly initializeAnswers = new Map<string, Promise<OutboundMessage>>();
  private readonly sweeper: NodeJS.Timeout;
  rebuilds = 0;

  constructor(
    private readonly store: SessionStore,
    private readonly factory: McpServerFactory,
    private readonly limits: SessionLimits,
    private readonly host: LiveSessionHost,
  ) {
    this.sweeper = setInterval(() => this.evictIdle(), Math.min(Math.max(limits.liveServerIdleMs / 2, 50), 10_000));
    this.sweeper.unref();
  }

  get liveCount(): number {
    return this.live.size;
  }

  count(): Promise<number> {
    return this.store.count();
  }

  /**
   * Starts a session for an `initialize` request; the session exists only if
   * the server accepted it. A lazy session is only a record until a request
   * needs its server: the answer comes from the hosted server's answer to
   * the same protocol version, which depends on nothing else the client sends
   * (the SDK's `initialize` negotiates the version and returns the server's
   * capabilities, info and instructions).
   */
  async create(initializeParams: unknown): Promise<CreateOutcome> {
    if ((await this.store.count()) >= this.limits.maxSessions) return { kind: 'full' };
    // 128 bits from the CSPRNG: a session id is a bearer of the session (MCP security best practices).
    const id = randomBytes(16).toString('base64url');
    let session: LiveSession | undefined;
    let response: OutboundMessage;
    // Params the SDK would refuse get the hosted server's own refusal, from an eager start.
    if (this.limits.init === 'lazy' && isInitializeRequest({ jsonrpc: '2.0', id: 0, method: 'initialize', params: initializeParams })) {
      response = await this.initializeAnswer(initializeParams);
    } else {
      session = await LiveSession.open(id, this.factory, this.host);
      response = await session.request('initialize', initializeParams);
    }
    const result = response.result as { protocolVersion?: unknown } | undefined;
    if (response.error !== undefined || typeof result?.protocolVersion !== 'string') {
      await session?.close();
      return { kind: 'refused', response };
    }
    const record: SessionRecord = { id, protocolVersion: result.protocolVersion, initialize: initializeParams, replay: [], createdAt: Date.now() };
    if ((await this.store.create(record, this.limits.maxSessions)) === 'full') {
      await session?.close();
      return { kind: 'full' };
    }
    if (session !== undefined) {
      session.record = record;
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
    return this.store.touch(id);
  }

  /**
   * The live session for `id`, rebuilt from its record when it is not in the
   * cache; undefined when the session is gone. The session comes pinned, so
   * it cannot be evicted before the request is handed to it: the caller
   * unpins it once it has.
   */
  async acquire(id: string): Promise<LiveSession | undefined> {
    const cached = this.live.get(id);
    if (cached !== undefined) {
      cached.pin();
      if (!(await this.store.touch(id))) {
        cached.unpin();
        this.forget(cached);
        return undefined;
      }
      this.live.delete(id);
      this.live.set(id, cached);
      return cached;
    }
    let pending = this.rebuilding.get(id);
    if (pending === undefined) {
      pending = this.rebuild(id).finally(() => this.rebuilding.delete(id));
      this.rebuilding.set(id, pending);
    }
    const session = await pending;
    session?.pin();
    return session;
  }

  /** Requests still being worked on by live servers, including those whose client went away. */
  get pendingRequests(): number {
    let pending = 0;
    for (const session of this.live.values()) pending += session.pendingRequests;
    return pending;
  }

  /** Remembers a state-changing request so a rebuilt server sees it again. */
  async recordState(session: LiveSession, request: ReplayedRequest): Promise<void> {
    const record = session.record;
    if (record === undefined) return;
    session.record = { ...record, replay: withReplayed(record.replay, request) };
    await this.store.update(session.record);
  }

  async delete(id: string): Promise<boolean> {
    const session = this.live.get(id);
    if (session !== undefined) this.forget(session);
    return this.store.delete(id);
  }

  /** Closes the live server of `id` without ending the session (tests and memory pressure). */
  evict(id: string): boolean {
    const session = this.live.get(id);
    if (session === undefined) return false;
    this.forget(session);
    return true;
  }

  endStreamsForDrain(): void {
    for (const session of this.live.values()) session.endStreamsForDrain();
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.allSettled([...this.live.values()].map((session) => session.close()));
    this.live.clear();
    await this.store.close();
  }

  /** The hosted server's answer to `initialize` for this protocol version, asked once of a throwaway instance. */
  private initializeAnswer(params: unknown): Promise<OutboundMessage> {
    const requested = (params as { protocolVersion?: unknown } | null)?.protocolVersion;
    // Clients choose the key: only versions the SDK knows get their own entry, so the map stays small.
    const key = typeof requested === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : '*';
    let answer = this.initializeAnswers.get(key);
    if (answer === undefined) {
      answer = (async () => {
        const probe = await LiveSession.open('initialize-probe', this.factory, this.host);
        try {
          return await probe.request('initialize', params);
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

  private async rebuild(id: string): Promise<LiveSession | undefined> {
    const record = await this.store.get(id);
    if (record === undefined) return undefined;
    await this.store.touch(id);
    let session: LiveSession;
    try {
      session = await LiveSession.rebuild(record, this.factory, this.host);
    } catch (error) {
      // A session that cannot be rebuilt is answered like an expired one, so
      // the client re-initializes instead of retrying a broken session.
      this.host.onError(error as Error, id);
      await this.store.delete(id);
      return undefined;
    }
    this.rebuilds += 1;
    this.remember(session);
    return session;
  }

  private remember(session: LiveSession): void {
    this.live.set(session.id, session);
    if (this.live.size <= this.limits.maxLiveServers) return;
    for (const candidate of this.live.values()) {
      if (this.live.size <= this.limits.maxLiveServers) break;
      if (candidate !== session && candidate.idle) this.forget(candidate);
    }
  }

  private evictIdle(): void {
    const oldest = Date.now() - this.limits.liveServerIdleMs;
    for (const session of this.live.values()) {
      if (session.lastUsedAt < oldest && session.idle) this.forget(session);
    }
  }

  private forget(session: LiveSession): void {
    this.live.delete(session.id);
    session.close().catch((error: unknown) => this.host.onError(error as Error, session.id));
  }
}

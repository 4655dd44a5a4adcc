import { randomBytes } from 'node:crypto';
import type { McpServerFactory } from '../hosting/server-factory.js';
import type { OutboundMessage } from '../http/post-reply.js';
import { LiveSession, type LiveSessionHost } from './live-session.js';
import { withReplayed, type ReplayedRequest, type SessionRecord } from './session-record.js';
import type { SessionStore } from './session-store.js';

export interface SessionLimits {
  readonly maxSessions: number;
  readonly maxLiveServers: number;
  readonly liveServerIdleMs: number;
}

export type CreateOutcome =
  | { readonly kind: 'created'; readonly session: LiveSession; readonly response: OutboundMessage }
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

  /** Starts a session for an `initialize` request; the session exists only if the server accepted it. */
  async create(initializeParams: unknown): Promise<CreateOutcome> {
    if ((await this.store.count()) >= this.limits.maxSessions) return { kind: 'full' };
    // 128 bits from the CSPRNG: a session id is a bearer of the session (MCP security best practices).
    const id = randomBytes(16).toString('base64url');
    const session = await LiveSession.open(id, this.factory, this.host);
    const response = await session.request('initialize', initializeParams);
    const result = response.result as { protocolVersion?: unknown } | undefined;
    if (response.error !== undefined || typeof result?.protocolVersion !== 'string') {
      await session.close();
      return { kind: 'refused', response };
    }
    const record: SessionRecord = { id, protocolVersion: result.protocolVersion, initialize: initializeParams, replay: [], createdAt: Date.now() };
    if ((await this.store.create(record, this.limits.maxSessions)) === 'full') {
      await session.close();
      return { kind: 'full' };
    }
    session.record = record;
    this.remember(session);
    return { kind: 'created', session, response };
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

import { type ChangeOutcome, recordSize, type SessionRecord, type StateChange, stateSize } from './session-record.js';
import type { SessionStore, SessionStoreOptions } from './session-store.js';

interface Entry {
  /** The record without its state, serialized: the smallest form, and proof that it survives a shared store. */
  readonly core: string;
  logLevel: string | undefined;
  /** Insertion-ordered, so a rebuild subscribes in the order the client did; most sessions never subscribe, so none is made until one does. */
  subscriptions: Set<string> | undefined;
  /** The record's size as the limits count it, kept current so a change costs O(change), not O(record). */
  size: number;
  lastSeenAt: number;
}

/** The embedded store of one process. Records expire after `idleTtlMs` without a touch. */
export class MemorySessionStore implements SessionStore {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;
  private lastSweepAt = 0;

  constructor(private readonly options: SessionStoreOptions) {
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), Math.min(Math.max(options.idleTtlMs / 4, 250), 60_000));
    this.sweeper.unref();
  }

  async create(record: SessionRecord): Promise<'created' | 'full' | 'record-too-large'> {
    const size = recordSize(record);
    if (size > this.options.maxRecordBytes) return 'record-too-large';
    if (this.entries.size >= this.options.maxSessions) {
      this.sweep();
      if (this.entries.size >= this.options.maxSessions) return 'full';
    }
    const { logLevel, subscriptions, ...core } = record;
    this.entries.set(record.id, {
      core: JSON.stringify(core),
      logLevel,
      subscriptions: subscriptions.length === 0 ? undefined : new Set(subscriptions),
      size,
      lastSeenAt: this.now(),
    });
    return 'created';
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const entry = this.live(id);
    if (entry === undefined) return undefined;
    return { ...(JSON.parse(entry.core) as SessionRecord), logLevel: entry.logLevel, subscriptions: [...(entry.subscriptions ?? [])] };
  }

  async change(id: string, change: StateChange): Promise<ChangeOutcome> {
    const entry = this.live(id);
    if (entry === undefined) return 'gone';
    entry.lastSeenAt = this.now();
    switch (change.kind) {
      case 'log-level': {
        const size = entry.size + stateSize(change.level) - (entry.logLevel === undefined ? 0 : stateSize(entry.logLevel));
        if (size > this.options.maxRecordBytes) return 'record-too-large';
        entry.logLevel = change.level;
        entry.size = size;
        return 'applied';
      }
      case 'subscribe': {
        const subscriptions = entry.subscriptions ?? new Set<string>();
        if (subscriptions.has(change.uri)) return 'applied';
        if (subscriptions.size >= this.options.maxSubscriptions) return 'too-many-subscriptions';
        const size = entry.size + stateSize(change.uri);
        if (size > this.options.maxRecordBytes) return 'record-too-large';
        subscriptions.add(change.uri);
        entry.subscriptions = subscriptions;
        entry.size = size;
        return 'applied';
      }
      case 'unsubscribe':
        if (entry.subscriptions?.delete(change.uri) === true) entry.size -= stateSize(change.uri);
        return 'applied';
    }
  }

  async touch(id: string): Promise<boolean> {
    const entry = this.live(id);
    if (entry === undefined) return false;
    entry.lastSeenAt = this.now();
    return true;
  }

  async delete(id: string): Promise<boolean> {
    return this.entries.delete(id);
  }

  /** Expired records are not counted: a sweep runs first unless one ran within the last second. */
  async count(): Promise<number> {
    if (this.now() - this.lastSweepAt > 1000) this.sweep();
    return this.entries.size;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.entries.clear();
  }

  private live(id: string): Entry | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (this.now() - entry.lastSeenAt > this.options.idleTtlMs) {
      this.entries.delete(id);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    this.lastSweepAt = this.now();
    const oldest = this.now() - this.options.idleTtlMs;
    for (const [id, entry] of this.entries) if (entry.lastSeenAt < oldest) this.entries.delete(id);
  }
}

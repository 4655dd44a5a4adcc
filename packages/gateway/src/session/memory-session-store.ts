import type { SessionRecord } from './session-record.js';
import type { SessionStore } from './session-store.js';

interface Entry {
  /** Kept serialized: it proves the record survives a shared store, and a string is the smallest form. */
  json: string;
  lastSeenAt: number;
}

/** The embedded store of one process. Records expire after `idleTtlMs` without a touch. */
export class MemorySessionStore implements SessionStore {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;
  private lastSweepAt = 0;

  constructor(
    private readonly idleTtlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(Math.max(idleTtlMs / 4, 250), 60_000));
    this.sweeper.unref();
  }

  async create(record: SessionRecord, maxSessions: number): Promise<'created' | 'full'> {
    if (this.entries.size >= maxSessions) {
      this.sweep();
      if (this.entries.size >= maxSessions) return 'full';
    }
    this.entries.set(record.id, { json: JSON.stringify(record), lastSeenAt: this.now() });
    return 'created';
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const entry = this.live(id);
    return entry === undefined ? undefined : (JSON.parse(entry.json) as SessionRecord);
  }

  async update(record: SessionRecord): Promise<boolean> {
    const entry = this.live(record.id);
    if (entry === undefined) return false;
    entry.json = JSON.stringify(record);
    entry.lastSeenAt = this.now();
    return true;
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
    if (this.now() - entry.lastSeenAt > this.idleTtlMs) {
      this.entries.delete(id);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    this.lastSweepAt = this.now();
    const oldest = this.now() - this.idleTtlMs;
    for (const [id, entry] of this.entries) if (entry.lastSeenAt < oldest) this.entries.delete(id);
  }
}

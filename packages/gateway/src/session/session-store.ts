import type { SessionRecord } from './session-record.js';

/**
 * Where session records live. The memory store is the default; a shared store
 * (Redis/Valkey) lets any task serve any session. Every implementation must
 * pass `sessionStoreContract` (session-store.contract.ts).
 *
 * Expiry is the store's job: a record not touched for `idleTtlMs` is gone, and
 * `get`/`touch` say so.
 */
export interface SessionStore {
  /** Stores a new record unless `maxSessions` live records exist already. */
  create(record: SessionRecord, maxSessions: number): Promise<'created' | 'full'>;
  get(id: string): Promise<SessionRecord | undefined>;
  /** Replaces the record's replay list; false when the session is gone. */
  update(record: SessionRecord): Promise<boolean>;
  /** Marks the session used now; false when it is gone (deleted or expired). */
  touch(id: string): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  count(): Promise<number>;
  close(): Promise<void>;
}

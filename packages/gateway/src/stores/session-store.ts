import type { ChangeOutcome, RecordLimits, SessionRecord, StateChange } from './session-record.js';

/** What every session store is built with. */
export interface SessionStoreOptions extends RecordLimits {
  /** A record not touched for this long is gone. */
  readonly idleTtlMs: number;
  /** Records beyond this many are refused at `create`. */
  readonly maxSessions: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Where session records live. The memory store is the default; a shared store
 * (Redis/Valkey) lets any task serve any session. Every implementation must
 * pass `sessionStoreContract` (session-store.contract.ts).
 *
 * Every operation is atomic on its own: two tasks that change one session at
 * once both get their change, never a lost update (`change` is an append, not
 * a read-modify-write by the caller). Expiry is the store's job: a record not
 * touched for `idleTtlMs` is gone, and `get`/`touch`/`change` say so.
 */
export interface SessionStore {
  /** Stores a new record unless `maxSessions` live records exist already or it exceeds `maxRecordBytes`. */
  create(record: SessionRecord): Promise<'created' | 'full' | 'record-too-large'>;
  get(id: string): Promise<SessionRecord | undefined>;
  /** Applies one state change; refused, the record stays as it was. Counts as a touch. */
  change(id: string, change: StateChange): Promise<ChangeOutcome>;
  /** Marks the session used now; false when it is gone (deleted or expired). */
  touch(id: string): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  count(): Promise<number>;
  close(): Promise<void>;
}

/** A store call that could not be made (a shared store away): the request that needed it gets 503 with `Retry-After`. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

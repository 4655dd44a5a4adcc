/** What a resume with `Last-Event-ID` finds. */
export type Replay =
  | { readonly kind: 'replay'; readonly streamKey: string; readonly events: readonly { readonly id: string; readonly data: string }[] }
  /** An id this session never issued, or of a stream no longer kept. */
  | { readonly kind: 'unknown' }
  /** Events after the id are gone: a replay would silently lose them. */
  | { readonly kind: 'gap' };

/** What every event store is built with. */
export interface EventStoreOptions {
  /** Events kept per stream; older ones are dropped (a resume from before them is a gap). */
  readonly eventsPerStream: number;
  /** Characters of event data kept per session; the oldest go first. */
  readonly maxSessionBytes: number;
  /** Characters of event data kept by this store in all; the least recently written session loses its oldest first. */
  readonly maxTotalBytes: number;
  /** A session's events untouched this long are dropped (the session itself has expired by then). */
  readonly idleTtlMs: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * The SSE events of legacy sessions, kept for `Last-Event-ID` resumption.
 * They belong to the session, not to its live server: a server rebuilt after
 * eviction (or on another task, with a shared store) resumes the same
 * streams. Every implementation passes `eventStoreContract`.
 *
 * An event id is `<stream key>.<event number>`; a stream key is unique across
 * tasks and for the session's life, so an id can only ever replay its own
 * stream of its own session.
 */
export interface EventStore {
  /** A key for a new stream of the session. */
  openStream(sessionId: string): string;
  /** Records `data` as the stream's next event and returns its event id (a stream has one writer at a time). */
  append(sessionId: string, streamKey: string, data: string): string;
  /** The id that primes a stream (a resume from it replays every event); the stream is known from now on. */
  primeId(sessionId: string, streamKey: string): string;
  /** The client has every event of the stream: none need be kept. */
  finish(sessionId: string, streamKey: string): void;
  /** The events after `lastEventId` on its stream; the client has acknowledged everything up to it. */
  replayAfter(sessionId: string, lastEventId: string): Promise<Replay>;
  /** The session ended: its events go. */
  dropSession(sessionId: string): void;
  close(): Promise<void>;
}

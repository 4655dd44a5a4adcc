/** What a resume with `Last-Event-ID` finds. */
export type Replay =
  | {
      readonly kind: 'replay';
      readonly streamKey: string;
      readonly events: readonly { readonly id: string; readonly data: string }[];
      /** The stream has its last event (a reply answered while its client was away): the resume ends after these. */
      readonly complete: boolean;
      /** It is (or was) a standalone GET stream rather than a POST reply. */
      readonly standalone: boolean;
    }
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
  /** A key for a new POST reply stream of the session. */
  openStream(sessionId: string): string;
  /**
   * Records `data` as the next event of a POST reply stream, whose one writer
   * is the task answering the request, and returns its event id at once.
   * `announce`: the client is not on this task's stream, so once the event is
   * kept it is relayed to whichever task resumed the stream.
   */
  append(sessionId: string, streamKey: string, data: string, announce?: boolean): string;
  /** The reply has its last event, though its client may not (it was away): a resume replays the rest and ends. */
  complete(sessionId: string, streamKey: string, announce?: boolean): void;
  /** A new standalone GET stream for the session: from now on the session's standalone events go to it. */
  openStandalone(sessionId: string): Promise<string>;
  /**
   * Records `data` as the next event of the session's standalone stream, which
   * any task's copy of the session may write: resolves with the stream and
   * the id once the event is kept, or undefined when the session never opened
   * one.
   */
  appendStandalone(sessionId: string, data: string): Promise<{ readonly streamKey: string; readonly id: string } | undefined>;
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

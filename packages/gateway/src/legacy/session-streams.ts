import type { OutboundMessage } from '../protocol/json-rpc.js';
import { type EventStream, RECONNECT_HINT_MS, type ReplySink } from '../reply/reply-sink.js';
import type { StreamSlots } from '../reply/stream-slots.js';
import type { EventStore } from '../stores/event-store.js';
import type { HeldStream } from './held-stream.js';

interface Standalone {
  /** Kept after a disconnect, so what the client missed is recorded under it and a resume finds it. */
  readonly key: string | undefined;
  stream: EventStream | undefined;
  closedAt: number;
}

export type OpenOutcome = 'opened' | 'conflict' | 'full' | 'gone';

/**
 * The standalone GET stream of each legacy session: server messages tied to no
 * request go there. It belongs to the session, not to its live server: the
 * server may be evicted and rebuilt while the stream stays open, and the
 * stream's events outlive both.
 */
export class SessionStreams {
  private readonly sessions = new Map<string, Standalone>();

  constructor(
    private readonly events: EventStore | undefined,
    private readonly slots: StreamSlots,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sessions with a stream open now. */
  *openSessions(): Iterable<string> {
    for (const [sessionId, entry] of this.sessions) if (entry.stream !== undefined) yield sessionId;
  }

  hasOpen(sessionId: string): boolean {
    return this.sessions.get(sessionId)?.stream !== undefined;
  }

  /** Whether `streamKey` names the session's standalone stream. */
  isStandalone(sessionId: string, streamKey: string): boolean {
    return this.sessions.get(sessionId)?.key === streamKey;
  }

  /** Opens the session's standalone stream (one at a time per session). */
  open(sessionId: string, sink: ReplySink, primes: boolean): OpenOutcome {
    const entry = this.sessions.get(sessionId);
    if (entry?.stream !== undefined) return 'conflict';
    const key = this.events?.openStream(sessionId);
    const opened = this.attach(sessionId, sink, key);
    if (opened === null) return 'full';
    if (opened === undefined) return 'gone';
    if (key !== undefined && primes) opened.prime((this.events as EventStore).primeId(sessionId, key), RECONNECT_HINT_MS);
    return 'opened';
  }

  /**
   * Starts a resume of the standalone stream: the open one (if any) ends, and
   * `held` stands in for the new one until the missed events are replayed.
   * False when no stream slot is free.
   */
  hold(sessionId: string, streamKey: string, held: HeldStream): boolean {
    this.sessions.get(sessionId)?.stream?.end();
    if (!this.slots.take()) return false;
    this.track(sessionId, streamKey, held);
    return true;
  }

  /** A message for the session's standalone stream: recorded for a resume, and sent if the stream is open. */
  deliver(sessionId: string, message: OutboundMessage): void {
    const entry = this.sessions.get(sessionId);
    if (entry === undefined) return;
    const json = JSON.stringify(message);
    const id = entry.key === undefined ? undefined : this.events?.append(sessionId, entry.key, json);
    entry.stream?.send(json, id);
  }

  /** The session ended: its stream ends and is forgotten. */
  end(sessionId: string): void {
    this.sessions.get(sessionId)?.stream?.end();
    this.sessions.delete(sessionId);
  }

  /** Drain: every stream ends with a reconnect hint, so its client listens on another task. */
  endAll(reconnectHintMs?: number): void {
    for (const entry of this.sessions.values()) entry.stream?.end(reconnectHintMs);
  }

  /** Forgets streams closed longer than `ttlMs` ago: their sessions have expired since. */
  sweep(ttlMs: number): void {
    const oldest = this.now() - ttlMs;
    for (const [sessionId, entry] of this.sessions) if (entry.stream === undefined && entry.closedAt < oldest) this.sessions.delete(sessionId);
  }

  /** Opens a stream on `sink` as the session's standalone one: null when no slot is free, undefined when the client left. */
  private attach(sessionId: string, sink: ReplySink, key: string | undefined): EventStream | null | undefined {
    if (!this.slots.take()) return null;
    const stream = sink.stream();
    if (stream === undefined) {
      this.slots.give();
      return undefined;
    }
    this.track(sessionId, key, stream);
    return stream;
  }

  private track(sessionId: string, key: string | undefined, stream: EventStream): void {
    const entry: Standalone = { key, stream, closedAt: 0 };
    this.sessions.set(sessionId, entry);
    stream.onClosed(() => {
      this.slots.give();
      if (entry.stream === stream) {
        entry.stream = undefined;
        entry.closedAt = this.now();
      }
    });
  }
}

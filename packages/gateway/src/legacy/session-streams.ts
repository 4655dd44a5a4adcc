import type { OutboundMessage } from '../protocol/json-rpc.js';
import { type EventStream, RECONNECT_HINT_MS, type ReplySink } from '../reply/reply-sink.js';
import type { StreamSlots } from '../reply/stream-slots.js';
import type { EventStore } from '../stores/event-store.js';
import type { RelayMessage, SessionRelay } from '../stores/session-relay.js';

interface Standalone {
  /** The stream's key in the event store (undefined when resumption is off). */
  readonly key: string | undefined;
  stream: EventStream | undefined;
  closedAt: number;
}

export type OpenOutcome = 'opened' | 'conflict' | 'full' | 'gone';

/**
 * The standalone GET streams this task holds, one per session: server
 * messages tied to no request go there. A stream belongs to the session, not
 * to a live server: the server may be evicted and rebuilt, here or on another
 * task, while the stream stays open. A message is kept in the event store
 * first, then written to the stream if it is held here, else relayed to the
 * task that holds it.
 */
export class SessionStreams {
  private readonly sessions = new Map<string, Standalone>();
  /** Per session, the delivery in progress: messages reach the stream in the order the server sent them. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly events: EventStore | undefined,
    private readonly slots: StreamSlots,
    private readonly relay: SessionRelay,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sessions with a stream open here now. */
  *openSessions(): Iterable<string> {
    for (const [sessionId, entry] of this.sessions) if (entry.stream !== undefined) yield sessionId;
  }

  hasOpen(sessionId: string): boolean {
    return this.sessions.get(sessionId)?.stream !== undefined;
  }

  /** Opens a standalone stream for the session (one at a time per session on this task). */
  async open(sessionId: string, sink: ReplySink, primes: boolean): Promise<OpenOutcome> {
    if (this.hasOpen(sessionId)) return 'conflict';
    if (!this.slots.take()) return 'full';
    let key: string | undefined;
    try {
      key = await this.events?.openStandalone(sessionId);
    } catch (error) {
      this.slots.give();
      throw error;
    }
    const stream = sink.stream();
    if (stream === undefined) {
      this.slots.give();
      return 'gone';
    }
    this.track(sessionId, key, stream);
    if (key !== undefined && primes) stream.prime((this.events as EventStore).primeId(sessionId, key), RECONNECT_HINT_MS);
    return 'opened';
  }

  /**
   * A resumed standalone stream becomes the one this task holds for the
   * session (the open one, if any, ends). False when no stream slot is free.
   */
  adopt(sessionId: string, streamKey: string, stream: EventStream): boolean {
    this.sessions.get(sessionId)?.stream?.end();
    if (!this.slots.take()) return false;
    this.track(sessionId, streamKey, stream);
    return true;
  }

  /** A server message for the session's standalone stream: kept for a resume, then written here or relayed to the task that holds the stream. */
  deliver(sessionId: string, message: OutboundMessage): void {
    const json = JSON.stringify(message);
    const previous = this.queues.get(sessionId) ?? Promise.resolve();
    const next = previous
      .then(() => this.write(sessionId, json))
      .catch(() => undefined)
      .finally(() => {
        if (this.queues.get(sessionId) === next) this.queues.delete(sessionId);
      });
    this.queues.set(sessionId, next);
  }

  /** An event another task kept for a standalone stream: written if this task holds that stream. */
  relayed(message: Extract<RelayMessage, { kind: 'event' }>): boolean {
    const entry = this.sessions.get(message.session);
    if (entry?.stream === undefined || (message.stream !== '' && entry.key !== message.stream)) return false;
    entry.stream.send(message.data, message.id === '' ? undefined : message.id);
    return true;
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

  private async write(sessionId: string, json: string): Promise<void> {
    const entry = this.sessions.get(sessionId);
    if (this.events === undefined) {
      // No event store: nothing to keep, the stream gets the message if it is here, else whichever task holds it.
      if (entry?.stream !== undefined) entry.stream.send(json);
      else this.relay.publish({ kind: 'event', session: sessionId, stream: '', id: '', data: json });
      return;
    }
    const kept = await this.events.appendStandalone(sessionId, json);
    if (kept === undefined) return;
    if (entry?.stream !== undefined && entry.key === kept.streamKey) entry.stream.send(json, kept.id);
    else this.relay.publish({ kind: 'event', session: sessionId, stream: kept.streamKey, id: kept.id, data: json });
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

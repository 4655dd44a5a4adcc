import { randomBytes } from 'node:crypto';
import type { EventStore, EventStoreOptions, Replay } from './event-store.js';

interface StoredEvent {
  readonly no: number;
  /** Order of writing across the session's streams: the oldest event of the session goes first. */
  readonly seq: number;
  readonly data: string;
}

interface StreamLog {
  /** The stream's kept events, oldest first. */
  readonly events: StoredEvent[];
  nextNo: number;
  /** Every event numbered up to here is gone: a resume from before it would miss them. */
  droppedThrough: number;
  /** The stream has its last event (a reply answered while its client was away). */
  complete: boolean;
}

interface SessionLog {
  /** Streams in the order they were opened; the oldest is forgotten first (never the standalone one). */
  readonly streams: Map<string, StreamLog>;
  /** The key of the session's current standalone stream. */
  standalone: string | undefined;
  bytes: number;
  nextSeq: number;
  lastUsedAt: number;
}

/** Streams a session keeps at once; a resume of a forgotten one is `unknown`. */
const STREAMS_PER_SESSION = 32;

/**
 * The event store of one process, bounded three ways: events per stream,
 * characters per session, characters in all. A stream the client received
 * whole is dropped at once, and a resume drops what it acknowledges, so what
 * stays is only what a client could still ask for.
 */
export class MemoryEventStore implements EventStore {
  /** Names this process's streams: a key issued here is never issued by another task or a later process. */
  private readonly tag = randomBytes(6).toString('base64url');
  private nextStream = 1;
  private readonly sessions = new Map<string, SessionLog>();
  /** Sessions that hold events, least recently written first: the total budget takes from the front. */
  private readonly holding = new Map<string, SessionLog>();
  private totalBytes = 0;
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly options: EventStoreOptions) {
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), Math.min(Math.max(options.idleTtlMs / 4, 250), 60_000));
    this.sweeper.unref();
  }

  /** Characters of event data held now (tests and the benchmark read it). */
  get bytesHeld(): number {
    return this.totalBytes;
  }

  openStream(_sessionId: string): string {
    const key = `${this.tag}.${this.nextStream.toString(36)}`;
    this.nextStream += 1;
    return key;
  }

  primeId(sessionId: string, streamKey: string): string {
    this.stream(this.session(sessionId), streamKey);
    return `${streamKey}.0`;
  }

  async openStandalone(sessionId: string): Promise<string> {
    const log = this.session(sessionId);
    const key = this.openStream(sessionId);
    this.stream(log, key);
    log.standalone = key;
    return key;
  }

  async appendStandalone(sessionId: string, data: string): Promise<{ streamKey: string; id: string } | undefined> {
    const streamKey = this.live(sessionId)?.standalone;
    return streamKey === undefined ? undefined : { streamKey, id: this.append(sessionId, streamKey, data) };
  }

  complete(sessionId: string, streamKey: string): void {
    const stream = this.live(sessionId)?.streams.get(streamKey);
    if (stream !== undefined) stream.complete = true;
  }

  append(sessionId: string, streamKey: string, data: string): string {
    const log = this.session(sessionId);
    const stream = this.stream(log, streamKey);
    const no = stream.nextNo;
    stream.nextNo += 1;
    const id = `${streamKey}.${no}`;
    if (data.length > this.options.maxSessionBytes) {
      // Kept, it would push out everything else the session has: it is not kept, and a resume from before it is a gap.
      stream.droppedThrough = no;
      return id;
    }
    stream.events.push({ no, seq: log.nextSeq, data });
    log.nextSeq += 1;
    this.grow(sessionId, log, data.length);
    if (stream.events.length > this.options.eventsPerStream) this.dropOldest(log, stream);
    while (log.bytes > this.options.maxSessionBytes) this.dropOldestOfSession(log);
    while (this.totalBytes > this.options.maxTotalBytes) this.dropOldestOverall();
    return id;
  }

  finish(sessionId: string, streamKey: string): void {
    const stream = this.sessions.get(sessionId)?.streams.get(streamKey);
    if (stream === undefined) return;
    const log = this.sessions.get(sessionId) as SessionLog;
    while (stream.events.length > 0) this.dropOldest(log, stream);
    stream.droppedThrough = stream.nextNo - 1;
  }

  async replayAfter(sessionId: string, lastEventId: string): Promise<Replay> {
    const cut = lastEventId.lastIndexOf('.');
    const streamKey = lastEventId.slice(0, cut);
    const eventText = lastEventId.slice(cut + 1);
    if (cut === -1 || !/^\d{1,15}$/.test(eventText)) return { kind: 'unknown' };
    const log = this.live(sessionId);
    const stream = log?.streams.get(streamKey);
    const eventNo = Number(eventText);
    if (log === undefined || stream === undefined || eventNo >= stream.nextNo) return { kind: 'unknown' };
    if (stream.droppedThrough > eventNo) return { kind: 'gap' };
    log.lastUsedAt = this.now();
    // The client has everything up to its id: those events need not be kept, and an older id is now a gap.
    while ((stream.events[0]?.no ?? Number.POSITIVE_INFINITY) <= eventNo) this.dropOldest(log, stream);
    stream.droppedThrough = Math.max(stream.droppedThrough, eventNo);
    return {
      kind: 'replay',
      streamKey,
      events: stream.events.map((event) => ({ id: `${streamKey}.${event.no}`, data: event.data })),
      complete: stream.complete,
      standalone: log.standalone === streamKey,
    };
  }

  dropSession(sessionId: string): void {
    const log = this.sessions.get(sessionId);
    if (log === undefined) return;
    this.totalBytes -= log.bytes;
    this.sessions.delete(sessionId);
    this.holding.delete(sessionId);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.sessions.clear();
    this.holding.clear();
    this.totalBytes = 0;
  }

  /** The session's log, unless it has been idle past the TTL (then it is dropped now, not at the next sweep). */
  private live(sessionId: string): SessionLog | undefined {
    const log = this.sessions.get(sessionId);
    if (log !== undefined && this.now() - log.lastUsedAt > this.options.idleTtlMs) {
      this.dropSession(sessionId);
      return undefined;
    }
    return log;
  }

  private session(sessionId: string): SessionLog {
    let log = this.live(sessionId);
    if (log === undefined) {
      log = { streams: new Map(), standalone: undefined, bytes: 0, nextSeq: 1, lastUsedAt: this.now() };
      this.sessions.set(sessionId, log);
    }
    log.lastUsedAt = this.now();
    return log;
  }

  private stream(log: SessionLog, streamKey: string): StreamLog {
    let stream = log.streams.get(streamKey);
    if (stream === undefined) {
      if (log.streams.size >= STREAMS_PER_SESSION) {
        for (const [oldestKey, oldest] of log.streams) {
          if (oldestKey === log.standalone) continue;
          while (oldest.events.length > 0) this.dropOldest(log, oldest);
          log.streams.delete(oldestKey);
          break;
        }
      }
      stream = { events: [], nextNo: 1, droppedThrough: 0, complete: false };
      log.streams.set(streamKey, stream);
    }
    return stream;
  }

  private grow(sessionId: string, log: SessionLog, bytes: number): void {
    log.bytes += bytes;
    this.totalBytes += bytes;
    this.holding.delete(sessionId);
    this.holding.set(sessionId, log);
  }

  private dropOldest(log: SessionLog, stream: StreamLog): void {
    const event = stream.events.shift();
    if (event === undefined) return;
    stream.droppedThrough = Math.max(stream.droppedThrough, event.no);
    log.bytes -= event.data.length;
    this.totalBytes -= event.data.length;
  }

  private dropOldestOfSession(log: SessionLog): void {
    let oldest: StreamLog | undefined;
    for (const stream of log.streams.values()) {
      const head = stream.events[0];
      if (head !== undefined && (oldest === undefined || head.seq < (oldest.events[0] as StoredEvent).seq)) oldest = stream;
    }
    if (oldest !== undefined) this.dropOldest(log, oldest);
  }

  private dropOldestOverall(): void {
    for (const [sessionId, log] of this.holding) {
      if (log.bytes > 0) {
        this.dropOldestOfSession(log);
        if (log.bytes > 0) return;
      }
      this.holding.delete(sessionId);
      return;
    }
  }

  private sweep(): void {
    const oldest = this.now() - this.options.idleTtlMs;
    for (const [sessionId, log] of this.sessions) if (log.lastUsedAt < oldest) this.dropSession(sessionId);
  }
}

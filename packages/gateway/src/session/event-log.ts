import { randomBytes } from 'node:crypto';
import type { StreamEventLog } from '../http/post-reply.js';

interface StreamEvents {
  /** The newest events of the stream, oldest first. */
  readonly events: { readonly eventNo: number; readonly data: string }[];
  /** Every event of this stream numbered up to here is gone; a resume from before it would miss them. */
  droppedThrough: number;
}

export type Replay =
  | { readonly kind: 'replay'; readonly streamNo: number; readonly events: readonly { id: string; data: string }[] }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'gap' };

/** Streams whose events a session keeps at once; the oldest are forgotten first. */
const STREAMS_KEPT = 32;

/**
 * The SSE events of one live session, bounded per stream and in the number of
 * streams. An event id is `<incarnation>.<stream>.<event>`; event numbers run
 * across the session, and the incarnation changes when the live server is
 * rebuilt, so an id can never replay anything but its own stream.
 */
export class SessionEventLog implements StreamEventLog {
  private readonly incarnation = randomBytes(3).toString('base64url');
  private readonly streams = new Map<number, StreamEvents>();
  private nextEventNo = 1;
  private newestStreamNo = 0;

  constructor(private readonly perStream: number) {}

  append(streamNo: number, data: string): string {
    const stream = this.stream(streamNo);
    const eventNo = this.nextEventNo++;
    stream.events.push({ eventNo, data });
    if (stream.events.length > this.perStream) stream.droppedThrough = stream.events.shift()?.eventNo ?? stream.droppedThrough;
    return `${this.incarnation}.${streamNo}.${eventNo}`;
  }

  primeId(streamNo: number): string {
    this.stream(streamNo);
    return `${this.incarnation}.${streamNo}.0`;
  }

  /**
   * The events of the stream named by `lastEventId` that came after it:
   * `unknown` for an id this incarnation never issued, `gap` when events after
   * it have already been dropped (a replay would silently lose them).
   */
  replayAfter(lastEventId: string): Replay {
    const [incarnation, stream, event, extra] = lastEventId.split('.');
    if (incarnation !== this.incarnation || extra !== undefined || !/^\d{1,15}$/.test(stream ?? '') || !/^\d{1,15}$/.test(event ?? '')) {
      return { kind: 'unknown' };
    }
    const streamNo = Number(stream);
    const eventNo = Number(event);
    const known = this.streams.get(streamNo);
    if (known === undefined || eventNo >= this.nextEventNo) return { kind: 'unknown' };
    if (known.droppedThrough > eventNo) return { kind: 'gap' };
    const events = known.events
      .filter((entry) => entry.eventNo > eventNo)
      .map((entry) => ({ id: `${this.incarnation}.${streamNo}.${entry.eventNo}`, data: entry.data }));
    return { kind: 'replay', streamNo, events };
  }

  private stream(streamNo: number): StreamEvents {
    let stream = this.streams.get(streamNo);
    if (stream === undefined) {
      // Stream numbers only grow: an older number seen again was forgotten, and its earlier events with it.
      stream = { events: [], droppedThrough: streamNo <= this.newestStreamNo ? this.nextEventNo - 1 : 0 };
      this.newestStreamNo = Math.max(this.newestStreamNo, streamNo);
      this.streams.set(streamNo, stream);
      if (this.streams.size > STREAMS_KEPT) this.streams.delete(this.streams.keys().next().value as number);
    }
    return stream;
  }
}

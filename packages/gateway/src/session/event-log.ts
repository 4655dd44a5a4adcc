import type { StreamEventLog } from '../http/post-reply.js';

interface LoggedEvent {
  readonly streamNo: number;
  readonly eventNo: number;
  readonly data: string;
}

/**
 * The SSE events of one session, bounded: the oldest events fall out first.
 * Event ids are `<stream>.<event>`, so a `Last-Event-ID` names both the stream
 * to resume and where in it.
 */
export class SessionEventLog implements StreamEventLog {
  private readonly events: LoggedEvent[] = [];
  private readonly nextEventNo = new Map<number, number>();

  constructor(private readonly capacity: number) {}

  append(streamNo: number, data: string): string {
    const eventNo = this.nextEventNo.get(streamNo) ?? 1;
    this.nextEventNo.set(streamNo, eventNo + 1);
    if (this.capacity > 0) {
      this.events.push({ streamNo, eventNo, data });
      if (this.events.length > this.capacity) this.events.shift();
    }
    return `${streamNo}.${eventNo}`;
  }

  primeId(streamNo: number): string {
    if (!this.nextEventNo.has(streamNo)) this.nextEventNo.set(streamNo, 1);
    return `${streamNo}.0`;
  }

  /** The events of the stream named by `lastEventId` that came after it, or `undefined` for an id this log never issued. */
  replayAfter(lastEventId: string): { streamNo: number; events: { id: string; data: string }[] } | undefined {
    const match = /^(\d{1,9})\.(\d{1,9})$/.exec(lastEventId);
    if (match === null) return undefined;
    const streamNo = Number(match[1]);
    const eventNo = Number(match[2]);
    const issued = this.nextEventNo.get(streamNo);
    if (issued === undefined || eventNo >= issued) return undefined;
    const events = this.events
      .filter((event) => event.streamNo === streamNo && event.eventNo > eventNo)
      .map((event) => ({ id: `${event.streamNo}.${event.eventNo}`, data: event.data }));
    return { streamNo, events };
  }
}

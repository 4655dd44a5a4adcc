import type { ServerResponse } from 'node:http';
import type { EventStream } from '../reply/reply-sink.js';

/** A client that has read nothing for this long while too much waits for it is gone in all but name. */
const STALL_MS = 10_000;

/** What every SSE answer of a mount shares, built once. */
export interface SseDefaults {
  readonly headers: Readonly<Record<string, string>>;
  readonly heartbeatMs: number;
  /** Bytes a stalled client may leave unread before its stream is cut (it can resume; the events are kept). */
  readonly maxBufferedBytes: number;
}

/**
 * One open `text/event-stream` response: frames events, beats a comment
 * heartbeat so proxies and the ALB never see an idle stream, and ends with a
 * `retry:` hint when the gateway closes it on purpose. A client that stops
 * reading is cut once more than `maxBufferedBytes` wait for it and it has
 * read nothing for {@link STALL_MS}, so a stalled reader cannot make the
 * process buffer without bound, while one that reads large events slowly
 * keeps its stream.
 */
export class SseStream implements EventStream {
  private heartbeat: NodeJS.Timeout | undefined;
  private ended = false;
  /** When the client last took what was written (a write that fit, or a drain). */
  private progressAt = Date.now();
  private awaitingDrain = false;
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly res: ServerResponse,
    private readonly defaults: SseDefaults,
  ) {
    res.writeHead(200, defaults.headers);
    res.flushHeaders();
    if (defaults.heartbeatMs > 0) {
      this.heartbeat = setInterval(() => this.write(': keepalive\n\n'), defaults.heartbeatMs);
      this.heartbeat.unref();
    }
    res.once('close', () => this.finish());
  }

  get open(): boolean {
    return !this.ended;
  }

  onClosed(listener: () => void): void {
    if (this.ended) listener();
    else this.listeners.push(listener);
  }

  prime(id: string, retryMs: number): void {
    this.write(`id: ${id}\nretry: ${retryMs}\ndata: \n\n`);
  }

  send(data: string, id?: string): void {
    this.write(id === undefined ? `event: message\ndata: ${data}\n\n` : `id: ${id}\nevent: message\ndata: ${data}\n\n`);
  }

  end(reconnectHintMs?: number): void {
    if (this.ended) return;
    if (reconnectHintMs !== undefined) this.res.write(`retry: ${reconnectHintMs}\n\n`);
    this.res.end();
    this.finish();
  }

  private write(chunk: string): void {
    if (this.ended) return;
    if (this.res.writableLength > this.defaults.maxBufferedBytes && Date.now() - this.progressAt > STALL_MS) {
      this.res.destroy();
      this.finish();
      return;
    }
    if (this.res.write(chunk)) {
      this.progressAt = Date.now();
    } else if (!this.awaitingDrain) {
      this.awaitingDrain = true;
      this.res.once('drain', () => {
        this.awaitingDrain = false;
        this.progressAt = Date.now();
      });
    }
  }

  private finish(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (this.ended) return;
    this.ended = true;
    for (const listener of this.listeners.splice(0)) listener();
  }
}

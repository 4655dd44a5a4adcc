import type { ServerResponse } from 'node:http';

/** How long a client should wait before reconnecting after the gateway closes a stream on purpose. */
export const RECONNECT_HINT_MS = 1000;

/**
 * One open `text/event-stream` response: frames events, beats a comment
 * heartbeat so proxies and the ALB never see an idle stream, and ends with a
 * `retry:` hint when the gateway closes it on purpose.
 */
export class SseStream {
  private heartbeat: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(
    private readonly res: ServerResponse,
    heartbeatMs: number,
    headers: Record<string, string>,
    private readonly onClosed: () => void = () => {},
  ) {
    // 'close' has already fired for a client that left before the stream opened:
    // the stream is over as soon as its owner has registered it.
    if (res.destroyed || res.closed) {
      this.ended = true;
      queueMicrotask(() => this.onClosed());
      return;
    }
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    if (heartbeatMs > 0) {
      this.heartbeat = setInterval(() => this.res.write(': keepalive\n\n'), heartbeatMs);
      this.heartbeat.unref();
    }
    res.once('close', () => this.finish());
  }

  get open(): boolean {
    return !this.ended;
  }

  /** An event with no data that only names an id (and a retry delay): lets a client resume from here (SEP-1699). */
  prime(id: string, retryMs: number): void {
    if (!this.ended) this.res.write(`id: ${id}\nretry: ${retryMs}\ndata: \n\n`);
  }

  send(data: string, id?: string): void {
    if (this.ended) return;
    this.res.write(id === undefined ? `event: message\ndata: ${data}\n\n` : `id: ${id}\nevent: message\ndata: ${data}\n\n`);
  }

  /** Ends the stream; with a reconnect hint, the client knows to come back (elsewhere, when draining). */
  end(reconnectHintMs?: number): void {
    if (this.ended) return;
    if (reconnectHintMs !== undefined) this.res.write(`retry: ${reconnectHintMs}\n\n`);
    this.res.end();
    this.finish();
  }

  private finish(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (this.ended) return;
    this.ended = true;
    this.onClosed();
  }
}

import type { OutboundMessage } from '../src/protocol/json-rpc.js';
import type { EventStream } from '../src/reply/reply-sink.js';

/** An SSE stream that records what was written to it; `close()` is the client going away. */
export class RecordingStream implements EventStream {
  open = true;
  readonly sent: { data: string; id: string | undefined }[] = [];
  readonly primes: { id: string; retryMs: number }[] = [];
  /** One entry per `end` call, with the hint it carried. */
  readonly ends: (number | undefined)[] = [];
  private readonly listeners: (() => void)[] = [];

  onClosed(listener: () => void): void {
    this.listeners.push(listener);
  }

  prime(id: string, retryMs: number): void {
    this.primes.push({ id, retryMs });
  }

  send(data: string, id?: string): void {
    if (this.open) this.sent.push({ data, id });
  }

  end(reconnectHintMs?: number): void {
    this.ends.push(reconnectHintMs);
    this.close();
  }

  close(): void {
    this.open = false;
    for (const listener of this.listeners.splice(0)) listener();
  }

  ids(): (string | undefined)[] {
    return this.sent.map((event) => event.id);
  }

  /** The messages sent, parsed. */
  messages(): OutboundMessage[] {
    return this.sent.map((event) => JSON.parse(event.data) as OutboundMessage);
  }
}

import type { EventStream } from '../reply/reply-sink.js';

/**
 * Stands in for a resumed stream while the events the client missed are read
 * back: whatever the session writes meanwhile is held, then passed on after
 * the replay, skipping what the replay already carried. Without it an event
 * written between the read and the attach would reach nobody.
 */
export class HeldStream implements EventStream {
  private held: { data: string; id: string | undefined }[] | undefined = [];
  private target: EventStream | undefined;
  private endedWith: { hint: number | undefined } | undefined;
  private readonly listeners: (() => void)[] = [];

  get open(): boolean {
    return this.target === undefined ? this.endedWith === undefined : this.target.open;
  }

  onClosed(listener: () => void): void {
    if (this.target === undefined) this.listeners.push(listener);
    else this.target.onClosed(listener);
  }

  prime(id: string, retryMs: number): void {
    this.target?.prime(id, retryMs);
  }

  send(data: string, id?: string): void {
    if (this.target !== undefined) this.target.send(data, id);
    else if (this.endedWith === undefined) this.held?.push({ data, id });
  }

  end(reconnectHintMs?: number): void {
    if (this.target !== undefined) {
      this.target.end(reconnectHintMs);
      return;
    }
    if (this.endedWith !== undefined) return;
    this.endedWith = { hint: reconnectHintMs };
    for (const listener of this.listeners.splice(0)) listener();
  }

  /** Hands over to the real stream: held events after `afterEventId` go first. */
  release(target: EventStream, afterEventId: string | undefined): void {
    const after = eventNumber(afterEventId);
    for (const event of this.held ?? []) if (eventNumber(event.id) > after) target.send(event.data, event.id);
    this.held = undefined;
    if (this.endedWith !== undefined) {
      target.end(this.endedWith.hint);
      return;
    }
    this.target = target;
    for (const listener of this.listeners.splice(0)) target.onClosed(listener);
  }
}

/** The event number at the end of an id (`<stream key>.<number>`); -1 when there is none. */
function eventNumber(id: string | undefined): number {
  if (id === undefined) return -1;
  const number = Number(id.slice(id.lastIndexOf('.') + 1));
  return Number.isSafeInteger(number) ? number : -1;
}

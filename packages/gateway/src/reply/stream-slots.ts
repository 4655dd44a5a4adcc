/**
 * Long-lived streams (standalone GET streams, `subscriptions/listen`) open in
 * this process: each holds a socket and a heartbeat for as long as its client
 * likes, so they share one cap.
 */
export class StreamSlots {
  private used = 0;

  constructor(readonly max: number) {}

  get open(): number {
    return this.used;
  }

  /** Takes a slot; false when none is free. */
  take(): boolean {
    if (this.used >= this.max) return false;
    this.used += 1;
    return true;
  }

  give(): void {
    this.used -= 1;
  }
}

/**
 * Requests the hosted servers of this process are working on, across every
 * channel: each holds a pending entry and a reply until it is answered or its
 * deadline fires, so their number is bounded like any other resource.
 */
export class RequestBudget {
  private used = 0;

  constructor(readonly max: number) {}

  get inFlight(): number {
    return this.used;
  }

  /** Whether `count` more requests fit now. */
  fits(count: number): boolean {
    return this.used + count <= this.max;
  }

  take(): void {
    this.used += 1;
  }

  give(): void {
    this.used -= 1;
  }
}

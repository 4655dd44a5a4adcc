import { randomBytes } from 'node:crypto';
import type { RelayMessage, SessionRelay } from '../stores/session-relay.js';

/** How often a task tells the others which resources its clients listen for; an announcement older than 2.5 of these lapses. */
const ANNOUNCE_MS = 30_000;

/**
 * The resources whose updates this task's modern instance must report: those
 * a client listens for here, and, with a shared store, those clients listen
 * for on other tasks (a request here may cause the update a listener there
 * waits for). Tasks announce their own set now and then and when it changes;
 * a new task asks for everyone's at once.
 */
export class ResourceWatches {
  /** URI -> how many listens here want it. */
  private readonly local = new Map<string, number>();
  /** Task -> the URIs its clients listen for, and when it said so. */
  private readonly remote = new Map<string, { readonly uris: readonly string[]; readonly at: number }>();
  private readonly watched = new Set<string>();
  private readonly task = randomBytes(6).toString('base64url');
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly relay: SessionRelay,
    /** Starts and stops reporting updates of one resource. */
    private readonly watch: { start(uri: string): void; stop(uri: string): void },
    private readonly max: number,
    private readonly now: () => number = Date.now,
  ) {
    this.unsubscribe = relay.subscribe((message) => this.received(message));
    this.timer = setInterval(() => {
      this.announce();
      this.sync();
    }, ANNOUNCE_MS);
    this.timer.unref();
    relay.publish({ kind: 'watch-request' });
  }

  /** Every URI reported now. */
  uris(): IterableIterator<string> {
    return this.watched.values();
  }

  /** A listen here wants these URIs: returns its release, or undefined when more would pass the cap. */
  add(uris: readonly string[]): (() => void) | undefined {
    const fresh = uris.filter((uri) => !this.local.has(uri));
    if (this.local.size + fresh.length > this.max) return undefined;
    for (const uri of uris) this.local.set(uri, (this.local.get(uri) ?? 0) + 1);
    this.changed(fresh.length > 0);
    return () => {
      let gone = false;
      for (const uri of uris) {
        const left = (this.local.get(uri) ?? 1) - 1;
        if (left > 0) this.local.set(uri, left);
        else gone = this.local.delete(uri) || gone;
      }
      this.changed(gone);
    };
  }

  close(): void {
    clearInterval(this.timer);
    this.unsubscribe();
  }

  private received(message: RelayMessage): void {
    if (message.kind === 'watch-request') this.announce();
    if (message.kind !== 'watch') return;
    this.remote.set(message.task, { uris: message.uris.slice(0, this.max), at: this.now() });
    this.sync();
  }

  private changed(announce: boolean): void {
    this.sync();
    if (announce) this.announce();
  }

  private announce(): void {
    this.relay.publish({ kind: 'watch', task: this.task, uris: [...this.local.keys()] });
  }

  /** Watches the union of what is wanted here and, recently, elsewhere (up to the cap), and nothing else. */
  private sync(): void {
    const lapsed = this.now() - ANNOUNCE_MS * 2.5;
    const wanted = new Set(this.local.keys());
    for (const [task, { uris, at }] of this.remote) {
      if (at < lapsed) {
        this.remote.delete(task);
        continue;
      }
      for (const uri of uris) if (wanted.size < this.max) wanted.add(uri);
    }
    for (const uri of wanted) {
      if (!this.watched.has(uri)) {
        this.watched.add(uri);
        this.watch.start(uri);
      }
    }
    for (const uri of this.watched) {
      if (!wanted.has(uri)) {
        this.watched.delete(uri);
        this.watch.stop(uri);
      }
    }
  }
}

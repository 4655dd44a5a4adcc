import { randomBytes } from 'node:crypto';
import type { ServerEvent, ServerEventBus } from '@modelcontextprotocol/server';
import type { RedisClient } from './redis-connection.js';
import type { RelayMessage, SessionRelay } from './session-relay.js';

interface Envelope {
  /** The task that sent it: a task never hears its own. */
  readonly from: string;
  readonly relay?: RelayMessage;
  readonly bus?: ServerEvent;
}

/**
 * The pub/sub of one hosted server's tasks, over the shared store: one channel
 * per hosted server, one subscriber connection per task. It carries the
 * session relay (stream events, reply ends, client messages) and the
 * 2026-07-28 change events of `subscriptions/listen` (a `ServerEventBus`, as
 * the SDK intends multi-process deployments to implement).
 */
export class RedisPubSub {
  readonly relay: SessionRelay;
  readonly bus: ServerEventBus;
  private readonly from = randomBytes(6).toString('base64url');
  private readonly relayListeners = new Set<(message: RelayMessage) => void>();
  private readonly busListeners = new Set<(event: ServerEvent) => void>();
  private readonly subscribed: Promise<unknown>;

  constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly channel: string,
    private readonly error: (error: Error) => void,
  ) {
    this.subscriber.on('message', (received: string, text: string) => {
      if (received === channel) this.receive(text);
    });
    // Subscribed whenever the connection is (re)made: a store that comes back after a blip is listened to again.
    let listening: (() => void) | undefined;
    this.subscribed = new Promise<void>((resolve) => {
      listening = resolve;
    });
    const subscribe = (): void => {
      this.subscriber.subscribe(channel).then(
        () => listening?.(),
        (failure: unknown) => error(failure as Error),
      );
    };
    this.subscriber.on('ready', subscribe);
    if (subscriber.status === 'ready') subscribe();
    this.relay = {
      publish: (message) => this.send({ from: this.from, relay: message }),
      subscribe: (listener) => {
        this.relayListeners.add(listener);
        return () => this.relayListeners.delete(listener);
      },
      close: () => this.close(),
    };
    this.bus = {
      // Listeners here hear it at once (as the in-memory bus does); the other tasks through the store.
      publish: (event) => {
        this.dispatch(this.busListeners, event);
        this.send({ from: this.from, bus: event });
      },
      subscribe: (listener) => {
        this.busListeners.add(listener);
        return () => this.busListeners.delete(listener);
      },
    };
  }

  /** Resolves once this task listens (tests wait for it; requests never do). */
  ready(): Promise<unknown> {
    return this.subscribed;
  }

  async close(): Promise<void> {
    await this.subscriber.unsubscribe(this.channel).catch(() => undefined);
  }

  private send(envelope: Envelope): void {
    this.publisher.publish(this.channel, JSON.stringify(envelope)).catch((failure: unknown) => this.error(failure as Error));
  }

  private receive(text: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(text) as Envelope;
    } catch {
      return;
    }
    if (envelope.from === this.from) return;
    if (envelope.relay !== undefined) this.dispatch(this.relayListeners, envelope.relay);
    if (envelope.bus !== undefined) this.dispatch(this.busListeners, envelope.bus);
  }

  private dispatch<T>(listeners: ReadonlySet<(value: T) => void>, value: T): void {
    for (const listener of [...listeners]) {
      try {
        listener(value);
      } catch (failure) {
        this.error(failure as Error);
      }
    }
  }
}

import type { ServerEventBus } from '@modelcontextprotocol/server';
import { CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, PROTOCOL_VERSION_META_KEY, SUBSCRIPTION_ID_META_KEY } from '@modelcontextprotocol/server';
import type { HostedServer, SendExtra } from '../hosting/hosted-server.js';
import type { RequestBudget } from '../hosting/request-budget.js';
import { RpcChannel } from '../hosting/rpc-channel.js';
import type { InboundMessage, OutboundMessage, RequestId, RpcSink } from '../protocol/json-rpc.js';
import { MODERN_REVISION } from '../protocol/standard-headers.js';

/** The envelope of the gateway's own requests to the instance. */
const GATEWAY_ENVELOPE = {
  [PROTOCOL_VERSION_META_KEY]: MODERN_REVISION,
  [CLIENT_INFO_META_KEY]: { name: 'mcp-fargate', version: '0' },
  [CLIENT_CAPABILITIES_META_KEY]: {},
};

const CHANGE_EVENTS: Record<string, 'tools_list_changed' | 'prompts_list_changed' | 'resources_list_changed'> = {
  'notifications/tools/list_changed': 'tools_list_changed',
  'notifications/prompts/list_changed': 'prompts_list_changed',
  'notifications/resources/list_changed': 'resources_list_changed',
};

export interface ModernChannelOptions {
  readonly server: HostedServer;
  readonly bus: ServerEventBus;
  readonly handlerTimeoutMs: number;
  readonly budget: RequestBudget;
  readonly error: (error: Error) => void;
}

/**
 * A long-lived connection to one modern-era (2026-07-28) server instance.
 * Many HTTP requests share it at once; the channel underneath rewrites every
 * request id, so clients that all send `id: 1` never see each other's
 * answers. The 2026-07-28 revision keeps no per-connection state:
 * capabilities, client info and log level travel in each request's `_meta`.
 *
 * The instance's own change notifications go only to `subscriptions/listen`
 * subscriptions on its connection, so the channel holds its own: one for
 * every list change, and one per resource URI that a client listens for
 * (`watch`). What they carry goes onto the event bus, and from there to every
 * client's listen stream.
 */
export class ModernChannel {
  /** The channel's own subscriptions, by the channel's id for them. */
  private readonly subscriptions = new Set<number>();
  /** Resource URI -> the channel's own subscription that reports its updates. */
  private readonly watched = new Map<string, number>();
  private rpc!: RpcChannel;
  private readonly ownSink: RpcSink = { deliver: (message) => this.fromSubscription(message) };

  private constructor(private readonly options: ModernChannelOptions) {}

  /**
   * Opens the channel and pins it to the modern era with a `server/discover`,
   * whose result (capabilities, server info) is what `subscriptions/listen`
   * acknowledgements need.
   */
  static async open(options: ModernChannelOptions, watchedUris: Iterable<string> = []): Promise<{ channel: ModernChannel; discovery: DiscoverResult }> {
    const channel = new ModernChannel(options);
    channel.rpc = await RpcChannel.open(
      options.server,
      'modern',
      { unrelated: (message) => channel.unrelated(message), closed: () => undefined, error: options.error },
      options.handlerTimeoutMs,
      options.budget,
    );
    const discovered = await channel.rpc.call('server/discover', { _meta: GATEWAY_ENVELOPE });
    if (discovered.error !== undefined) {
      await channel.shutdown();
      throw new Error(`server/discover failed: ${JSON.stringify(discovered.error)}`);
    }
    channel.subscribe({ toolsListChanged: true, promptsListChanged: true, resourcesListChanged: true });
    const initial = [...watchedUris];
    if (initial.length > 0) channel.subscribe({ resourceSubscriptions: initial });
    return { channel, discovery: discovered.result as DiscoverResult };
  }

  /** Makes the instance's own `notifications/resources/updated` for `uri` reach the bus, until `unwatch`. */
  watch(uri: string): void {
    if (!this.watched.has(uri)) this.watched.set(uri, this.subscribe({ resourceSubscriptions: [uri] }));
  }

  unwatch(uri: string): void {
    const subscription = this.watched.get(uri);
    if (subscription === undefined) return;
    this.watched.delete(uri);
    this.subscriptions.delete(subscription);
    this.rpc.cancel(subscription, 'no listener left');
  }

  /** The instance closed itself: requests would go nowhere. */
  get isClosed(): boolean {
    return this.rpc.isClosed;
  }

  /** Hands one client request to the instance; its answer and related messages go to `sink`. Returns the channel's id for it. */
  dispatch(message: InboundMessage & { id: RequestId; method: string }, sink: RpcSink, extra?: SendExtra): number {
    return this.rpc.request(message, sink, extra);
  }

  notify(message: InboundMessage): void {
    this.rpc.notify(message);
  }

  /** The client went away: the handler's abort signal fires. */
  cancel(id: number, reason: string): void {
    this.rpc.cancel(id, reason);
  }

  /** Shuts the instance down; requests in progress are answered with an error. */
  async shutdown(): Promise<void> {
    await this.rpc.close();
  }

  private subscribe(notifications: Record<string, unknown>): number {
    const id = this.rpc.subscribe('subscriptions/listen', { notifications, _meta: GATEWAY_ENVELOPE }, this.ownSink);
    this.subscriptions.add(id);
    return id;
  }

  /** Traffic of the channel's own subscriptions: changes go to the bus, acknowledgements and closings end here. */
  private fromSubscription(message: OutboundMessage): void {
    if (message.method !== undefined && message.method !== 'notifications/subscriptions/acknowledged') this.publish(message);
  }

  /**
   * Messages of the channel's own subscriptions arrive stamped with the
   * subscription's id; the acknowledgement can arrive while the subscription
   * is still being sent, before its id is known here, and is not news anyway.
   */
  private unrelated(message: OutboundMessage): void {
    if (message.method === 'notifications/subscriptions/acknowledged') return;
    const meta = (message as { params?: { _meta?: Record<string, unknown> } }).params?._meta;
    const subscription = meta?.[SUBSCRIPTION_ID_META_KEY];
    if (typeof subscription === 'number' && this.subscriptions.has(subscription)) this.fromSubscription(message);
    else this.publish(message);
  }

  /** A change the instance announced on its own goes to every open `subscriptions/listen` stream, on any task. */
  private publish(message: OutboundMessage): void {
    const method = message.method;
    if (method === undefined) return;
    const kind = CHANGE_EVENTS[method];
    if (kind !== undefined) {
      this.options.bus.publish({ kind });
      return;
    }
    if (method === 'notifications/resources/updated') {
      const uri = (message as { params?: { uri?: unknown } }).params?.uri;
      if (typeof uri === 'string') this.options.bus.publish({ kind: 'resource_updated', uri });
      return;
    }
    this.options.error(new Error(`dropped an unsolicited ${method} from the modern instance: no request to relate it to`));
  }
}

export interface DiscoverResult {
  readonly capabilities?: Record<string, unknown>;
  readonly serverInfo?: { readonly name: string; readonly version: string };
  readonly [key: string]: unknown;
}

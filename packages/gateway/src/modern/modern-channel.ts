import type { JSONRPCMessage, MessageExtraInfo, ServerEventBus, Transport, TransportSendOptions } from '@modelcontextprotocol/server';
import { CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, PROTOCOL_VERSION_META_KEY, SUBSCRIPTION_ID_META_KEY } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { McpServerFactory } from '../hosting/server-factory.js';
import type { OutboundMessage, RequestId } from '../http/post-reply.js';

export const MODERN_REVISION = '2026-07-28';

/** The envelope of the gateway's own requests to the instance. */
const GATEWAY_ENVELOPE = {
  [PROTOCOL_VERSION_META_KEY]: MODERN_REVISION,
  [CLIENT_INFO_META_KEY]: { name: 'mcp-fargate', version: '0' },
  [CLIENT_CAPABILITIES_META_KEY]: {},
};

/** Where the answer to one dispatched request goes. */
export interface ModernSink {
  deliver(message: OutboundMessage): void;
}

interface InFlight {
  readonly sink: ModernSink;
  readonly clientId: RequestId;
}

const CHANGE_EVENTS: Record<string, 'tools_list_changed' | 'prompts_list_changed' | 'resources_list_changed'> = {
  'notifications/tools/list_changed': 'tools_list_changed',
  'notifications/prompts/list_changed': 'prompts_list_changed',
  'notifications/resources/list_changed': 'resources_list_changed',
};

/**
 * A long-lived connection to one modern-era (2026-07-28) server instance,
 * carried by the SDK's own serving entry (`serveStdio` with a custom
 * transport), which pins the instance to the modern era the public way.
 *
 * Many HTTP requests share the instance at once, so every request id is
 * rewritten to one this channel issued and mapped back on the way out: two
 * clients that both send `id: 1` can never receive each other's answer (the
 * failure behind CVE-2026-25536). The 2026-07-28 revision keeps no
 * per-connection state: capabilities, client info and log level travel in
 * each request's `_meta`, which the SDK reads per request.
 *
 * The entry hands the instance's own change notifications only to
 * `subscriptions/listen` subscriptions on this connection, so the channel
 * holds its own: one for every list change, and one per resource URI that a
 * client listens for (`watch`). What they carry goes onto the event bus, and
 * from there to every client's listen stream.
 */
export class ModernChannel implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined;

  private readonly inFlight = new Map<number, InFlight>();
  private readonly subscriptions = new Set<number>();
  /** Resource URI -> the channel's own subscription that reports its updates. */
  private readonly watched = new Map<string, number>();
  private nextId = 1;
  private handle: { close(): Promise<void> } | undefined;
  private closed = false;

  private constructor(
    private readonly bus: ServerEventBus,
    private readonly onError: (error: Error) => void,
  ) {}

  /**
   * Opens the channel and pins it to the modern era with a `server/discover`,
   * whose result (capabilities, server info) is what `subscriptions/listen`
   * acknowledgements need.
   */
  static async open(
    factory: McpServerFactory,
    bus: ServerEventBus,
    onError: (error: Error) => void,
    watchedUris: Iterable<string> = [],
  ): Promise<{ channel: ModernChannel; discovery: DiscoverResult }> {
    const channel = new ModernChannel(bus, onError);
    channel.handle = serveStdio(factory, { transport: channel, legacy: 'reject', onerror: onError });
    const discovered = await new Promise<OutboundMessage>((resolve) => {
      channel.dispatch({ jsonrpc: '2.0', id: 0, method: 'server/discover', params: { _meta: GATEWAY_ENVELOPE } }, { deliver: resolve });
    });
    if (discovered.error !== undefined) throw new Error(`server/discover failed: ${JSON.stringify(discovered.error)}`);
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
    this.onmessage?.({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: subscription } } as JSONRPCMessage);
  }

  /** The SDK's entry ended the connection (the hosted instance closed itself): requests would go nowhere. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Hands one client request to the instance; its answer and related messages go to `sink`. Returns the channel's id for it. */
  dispatch(message: { jsonrpc: '2.0'; id: RequestId; method: string; params?: unknown }, sink: ModernSink): number {
    const id = this.nextId++;
    this.inFlight.set(id, { sink, clientId: message.id });
    this.onmessage?.({ ...message, id } as JSONRPCMessage);
    return id;
  }

  notify(message: { jsonrpc: '2.0'; method: string; params?: unknown }): void {
    this.onmessage?.(message as JSONRPCMessage);
  }

  /** The client went away or the gateway stopped waiting: the handler's abort signal fires. */
  cancel(id: number, reason: string): void {
    if (!this.inFlight.delete(id)) return;
    this.onmessage?.({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } } as JSONRPCMessage);
  }

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const outbound = message as OutboundMessage;
    if (this.ownSubscriptionMessage(outbound)) return;
    if (outbound.method === undefined && typeof outbound.id === 'number') {
      const entry = this.inFlight.get(outbound.id);
      if (entry === undefined) return;
      this.inFlight.delete(outbound.id);
      entry.sink.deliver({ ...outbound, id: entry.clientId });
      return;
    }
    const related = options?.relatedRequestId;
    if (typeof related === 'number') {
      this.inFlight.get(related)?.sink.deliver(outbound);
      return;
    }
    this.publish(outbound);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.();
  }

  /** Shuts the instance down; answers still in flight are lost, so callers drain first. */
  async shutdown(): Promise<void> {
    await this.handle?.close();
  }

  private subscribe(notifications: Record<string, unknown>): number {
    const id = this.nextId++;
    this.subscriptions.add(id);
    this.onmessage?.({ jsonrpc: '2.0', id, method: 'subscriptions/listen', params: { notifications, _meta: GATEWAY_ENVELOPE } } as JSONRPCMessage);
    return id;
  }

  /** Traffic of the channel's own subscriptions: changes go to the bus, acknowledgements and closings end here. */
  private ownSubscriptionMessage(message: OutboundMessage): boolean {
    if (message.method === undefined) return typeof message.id === 'number' && this.subscriptions.has(message.id);
    const meta = (message as { params?: { _meta?: Record<string, unknown> } }).params?._meta;
    const subscription = meta?.[SUBSCRIPTION_ID_META_KEY];
    if (typeof subscription !== 'number' || !this.subscriptions.has(subscription)) return false;
    if (message.method !== 'notifications/subscriptions/acknowledged') this.publish(message);
    return true;
  }

  /** A change the instance announced on its own goes to every open `subscriptions/listen` stream, on any task. */
  private publish(message: OutboundMessage): void {
    const method = message.method;
    if (method === undefined) return;
    const kind = CHANGE_EVENTS[method];
    if (kind !== undefined) {
      this.bus.publish({ kind });
      return;
    }
    if (method === 'notifications/resources/updated') {
      const uri = (message as { params?: { uri?: unknown } }).params?.uri;
      if (typeof uri === 'string') this.bus.publish({ kind: 'resource_updated', uri });
      return;
    }
    this.onError(new Error(`dropped an unsolicited ${method} from the modern instance: no request to relate it to`));
  }
}

export interface DiscoverResult {
  readonly capabilities?: Record<string, unknown>;
  readonly serverInfo?: { readonly name: string; readonly version: string };
  readonly [key: string]: unknown;
}

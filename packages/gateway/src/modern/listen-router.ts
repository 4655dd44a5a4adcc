import type { ServerEvent, ServerEventBus } from '@modelcontextprotocol/server';
import { SERVER_INFO_META_KEY, SUBSCRIPTION_ID_META_KEY } from '@modelcontextprotocol/server';
import type { GatewayErrorCode } from '../errors.js';
import type { RequestId } from '../protocol/json-rpc.js';
import type { EventStream, ReplySink } from '../reply/reply-sink.js';
import type { StreamSlots } from '../reply/stream-slots.js';
import type { DiscoverResult } from './modern-channel.js';

interface ListenFilter {
  toolsListChanged?: true;
  promptsListChanged?: true;
  resourcesListChanged?: true;
  resourceSubscriptions?: string[];
}

export interface ListenOptions {
  /** Long-lived streams of this process, shared with the legacy standalone streams. */
  readonly slots: StreamSlots;
  readonly maxUriBytes: number;
  /**
   * A client listens for updates of these resources: returns the function
   * that ends its interest, or undefined when the gateway watches too many
   * resources already.
   */
  readonly onResourceInterest: (uris: readonly string[]) => (() => void) | undefined;
}

/** More URIs than this in one filter is refused (Invalid params): each one costs a watch in the hosted instance. */
export const MAX_URIS_PER_LISTEN = 64;

/**
 * `subscriptions/listen` (2026-07-28): a long-lived POST whose SSE stream
 * carries change notifications from the `ServerEventBus`. The wire follows
 * the SDK's own router: acknowledgement first, the honoured subset of the
 * filter, the subscription id (the request id) stamped into every
 * notification's `_meta`, and a `complete` result when the server ends it.
 */
export class ListenRouter {
  private readonly open = new Set<(graceful: boolean) => void>();

  constructor(
    private readonly bus: ServerEventBus,
    private readonly discovery: DiscoverResult,
    private readonly options: ListenOptions,
  ) {}

  /** Serves the request, or returns the error to answer it with (and the detail). */
  serve(sink: ReplySink, id: RequestId, params: unknown): { code: GatewayErrorCode; detail?: string } | undefined {
    const filter = parseFilter(params);
    if (filter === undefined) return { code: 'LISTEN_INVALID_FILTER' };
    const uris = filter.resourceSubscriptions ?? [];
    if (uris.length > MAX_URIS_PER_LISTEN) return { code: 'LISTEN_INVALID_FILTER', detail: `at most ${MAX_URIS_PER_LISTEN} resourceSubscriptions per listen` };
    if (uris.some((uri) => uri.length > this.options.maxUriBytes)) return { code: 'URI_TOO_LONG' };
    const honored = honoredSubset(filter, this.discovery.capabilities);
    if (!this.options.slots.take()) return { code: 'LISTEN_LIMIT' };
    let releaseInterest: (() => void) | undefined;
    if (honored.resourceSubscriptions !== undefined) {
      releaseInterest = this.options.onResourceInterest(honored.resourceSubscriptions);
      if (releaseInterest === undefined) {
        this.options.slots.give();
        return { code: 'LISTEN_LIMIT' };
      }
    }
    const stream = sink.stream();
    if (stream === undefined) {
      this.options.slots.give();
      releaseInterest?.();
      return undefined;
    }
    this.listen(stream, id, honored, releaseInterest);
    return undefined;
  }

  /** Ends every open subscription with its `complete` result (drain, shutdown). */
  closeAll(): void {
    for (const teardown of [...this.open]) teardown(true);
  }

  private listen(stream: EventStream, id: RequestId, honored: ListenFilter, releaseInterest: (() => void) | undefined): void {
    const stamp = (params: Record<string, unknown> | undefined): Record<string, unknown> => ({
      ...params,
      _meta: { ...(params?._meta as Record<string, unknown> | undefined), [SUBSCRIPTION_ID_META_KEY]: id },
    });
    let unsubscribe: (() => void) | undefined;
    let done = false;
    const teardown = (graceful: boolean): void => {
      if (done) return;
      done = true;
      this.open.delete(teardown);
      this.options.slots.give();
      unsubscribe?.();
      releaseInterest?.();
      if (graceful) {
        stream.send(
          JSON.stringify({
            jsonrpc: '2.0',
            id,
            result: { resultType: 'complete', _meta: { [SUBSCRIPTION_ID_META_KEY]: id, [SERVER_INFO_META_KEY]: this.discovery.serverInfo } },
          }),
        );
        stream.end();
      }
    };
    stream.onClosed(() => teardown(false));
    stream.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: stamp({ notifications: honored }) }));
    if (Object.keys(honored).length === 0) {
      teardown(true);
      return;
    }
    this.open.add(teardown);
    unsubscribe = this.bus.subscribe((event) => {
      if (!accepts(honored, event)) return;
      const notification = toNotification(event);
      stream.send(JSON.stringify({ jsonrpc: '2.0', method: notification.method, params: stamp(notification.params) }));
    });
  }
}

function parseFilter(params: unknown): ListenFilter | undefined {
  const notifications = (params as { notifications?: unknown } | undefined)?.notifications;
  if (notifications === null || typeof notifications !== 'object' || Array.isArray(notifications)) return undefined;
  const raw = notifications as Record<string, unknown>;
  const filter: ListenFilter = {};
  for (const key of ['toolsListChanged', 'promptsListChanged', 'resourcesListChanged'] as const) {
    if (raw[key] === undefined) continue;
    if (typeof raw[key] !== 'boolean') return undefined;
    if (raw[key]) filter[key] = true;
  }
  const subscriptions = raw['resourceSubscriptions'];
  if (subscriptions !== undefined) {
    if (!Array.isArray(subscriptions) || !subscriptions.every((uri) => typeof uri === 'string')) return undefined;
    if (subscriptions.length > 0) filter.resourceSubscriptions = [...(subscriptions as string[])];
  }
  return filter;
}

function honoredSubset(requested: ListenFilter, capabilities: Record<string, unknown> | undefined): ListenFilter {
  const bit = (area: string, name: string): boolean => (capabilities?.[area] as Record<string, unknown> | undefined)?.[name] === true;
  const honored: ListenFilter = {};
  if (requested.toolsListChanged && bit('tools', 'listChanged')) honored.toolsListChanged = true;
  if (requested.promptsListChanged && bit('prompts', 'listChanged')) honored.promptsListChanged = true;
  if (requested.resourcesListChanged && bit('resources', 'listChanged')) honored.resourcesListChanged = true;
  if (requested.resourceSubscriptions !== undefined && bit('resources', 'subscribe')) {
    honored.resourceSubscriptions = requested.resourceSubscriptions;
  }
  return honored;
}

function accepts(filter: ListenFilter, event: ServerEvent): boolean {
  switch (event.kind) {
    case 'tools_list_changed':
      return filter.toolsListChanged === true;
    case 'prompts_list_changed':
      return filter.promptsListChanged === true;
    case 'resources_list_changed':
      return filter.resourcesListChanged === true;
    case 'resource_updated':
      return filter.resourceSubscriptions?.includes(event.uri) === true;
  }
}

function toNotification(event: ServerEvent): { method: string; params: Record<string, unknown> | undefined } {
  const params = event.params as Record<string, unknown> | undefined;
  switch (event.kind) {
    case 'tools_list_changed':
      return { method: 'notifications/tools/list_changed', params };
    case 'prompts_list_changed':
      return { method: 'notifications/prompts/list_changed', params };
    case 'resources_list_changed':
      return { method: 'notifications/resources/list_changed', params };
    case 'resource_updated':
      return { method: 'notifications/resources/updated', params: { ...params, uri: event.uri } };
  }
}

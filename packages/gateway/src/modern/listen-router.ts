import type { ServerResponse } from 'node:http';
import type { ServerEvent, ServerEventBus } from '@modelcontextprotocol/server';
import { SERVER_INFO_META_KEY, SUBSCRIPTION_ID_META_KEY } from '@modelcontextprotocol/server';
import { SseStream } from '../http/sse-stream.js';
import type { RequestId } from '../http/post-reply.js';
import type { DiscoverResult } from './modern-channel.js';

interface ListenFilter {
  toolsListChanged?: true;
  promptsListChanged?: true;
  resourcesListChanged?: true;
  resourceSubscriptions?: string[];
}

export interface ListenOptions {
  readonly heartbeatMs: number;
  readonly headers: Record<string, string>;
  readonly maxSubscriptions: number;
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

  /** Serves the request, or returns the JSON-RPC error to answer it with. */
  serve(res: ServerResponse, id: RequestId, params: unknown): { code: number; message: string } | undefined {
    if (this.open.size >= this.options.maxSubscriptions) return { code: -32603, message: 'Subscription limit reached' };
    const filter = parseFilter(params);
    if (filter === undefined) {
      return { code: -32602, message: "Invalid params: 'notifications' is required and must be a valid SubscriptionFilter" };
    }
    if ((filter.resourceSubscriptions?.length ?? 0) > MAX_URIS_PER_LISTEN) {
      return { code: -32602, message: `Invalid params: at most ${MAX_URIS_PER_LISTEN} resourceSubscriptions per listen` };
    }
    const honored = honoredSubset(filter, this.discovery.capabilities);
    let releaseInterest: (() => void) | undefined;
    if (honored.resourceSubscriptions !== undefined) {
      releaseInterest = this.options.onResourceInterest(honored.resourceSubscriptions);
      if (releaseInterest === undefined) return { code: -32603, message: 'Subscription limit reached' };
    }
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
    const stream = new SseStream(res, this.options.heartbeatMs, this.options.headers, () => teardown(false));
    stream.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: stamp({ notifications: honored }) }));
    if (Object.keys(honored).length === 0) {
      teardown(true);
      return undefined;
    }
    this.open.add(teardown);
    unsubscribe = this.bus.subscribe((event) => {
      if (!accepts(honored, event)) return;
      const notification = toNotification(event);
      stream.send(JSON.stringify({ jsonrpc: '2.0', method: notification.method, params: stamp(notification.params) }));
    });
    return undefined;
  }

  /** Ends every open subscription with its `complete` result (drain, shutdown). */
  closeAll(): void {
    for (const teardown of [...this.open]) teardown(true);
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

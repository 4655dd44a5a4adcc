import type { ServerResponse } from 'node:http';
import type { InboundModernRoute, ServerEventBus } from '@modelcontextprotocol/server';
import { UnsupportedProtocolVersionError } from '@modelcontextprotocol/server';
import type { McpServerFactory } from '../hosting/server-factory.js';
import { PostReply, type ReplyOptions, type RequestId } from '../http/post-reply.js';
import { GATEWAY_ERRORS } from '../errors.js';
import { writeRpcError } from '../http/json-response.js';
import { ListenRouter } from './listen-router.js';
import { MODERN_REVISION, ModernChannel } from './modern-channel.js';

export interface ModernEndpointOptions {
  readonly instances: 'shared' | 'per-request';
  readonly heartbeatMs: number;
  readonly handlerTimeoutMs: number;
  readonly headers: Record<string, string>;
  /** `headers` plus the JSON content type. */
  readonly jsonHeaders: Record<string, string>;
  readonly bus: ServerEventBus;
  readonly onError: (error: Error) => void;
}

export interface StandardHeaders {
  readonly protocolVersion: string | undefined;
  readonly method: string | undefined;
  readonly name: string | undefined;
}

/** Methods whose body value the `Mcp-Name` header must mirror (SEP-2243). */
const NAME_SOURCE: Readonly<Record<string, string>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

/**
 * Errors a modern request is refused with before any handler runs carry their
 * own HTTP status (2026-07-28): unknown method 404, bad envelope or headers 400.
 */
const LADDER_STATUS: Readonly<Record<number, number>> = { [-32700]: 400, [-32600]: 400, [-32601]: 404, [-32020]: 400, [-32021]: 400, [-32022]: 400 };

interface SharedChannel {
  channel: ModernChannel | undefined;
}

/** Open `subscriptions/listen` streams per process. */
const MAX_LISTENS = 1024;
/** Distinct resources watched for listeners; below the SDK's 1024 subscriptions per instance, leaving room for its own. */
const MAX_WATCHED_URIS = 512;

/** Serves the 2026-07-28 era: each request alone decides its answer. */
export class ModernEndpoint {
  private constructor(
    private readonly factory: McpServerFactory,
    /** The instance all modern requests share (`MODERN_INSTANCES=shared`), replaced if it ever closes. */
    private readonly shared: SharedChannel,
    private readonly listen: ListenRouter,
    /** Resource URIs some client listens for: per-request instances must report their updates too. */
    private readonly watchedUris: ReadonlyMap<string, number>,
    private readonly options: ModernEndpointOptions,
  ) {
    this.replyOptions = {
      heartbeatMs: options.heartbeatMs,
      headers: options.headers,
      jsonHeaders: options.jsonHeaders,
      errorStatus: (code) => LADDER_STATUS[code],
    };
  }

  private readonly replyOptions: Omit<ReplyOptions, 'onComplete'>;

  static async open(factory: McpServerFactory, options: ModernEndpointOptions): Promise<ModernEndpoint> {
    const { channel, discovery } = await ModernChannel.open(factory, options.bus, options.onError);
    const shared: SharedChannel = { channel: options.instances === 'shared' ? channel : undefined };
    if (shared.channel === undefined) await channel.shutdown();
    /** Resource URI -> how many open listens want its updates. */
    const interest = new Map<string, number>();
    const listen = new ListenRouter(options.bus, discovery, {
      heartbeatMs: options.heartbeatMs,
      headers: options.headers,
      maxSubscriptions: MAX_LISTENS,
      onResourceInterest: (uris) => {
        const fresh = uris.filter((uri) => !interest.has(uri));
        if (interest.size + fresh.length > MAX_WATCHED_URIS) return undefined;
        for (const uri of uris) {
          interest.set(uri, (interest.get(uri) ?? 0) + 1);
          shared.channel?.watch(uri);
        }
        return () => {
          for (const uri of uris) {
            const left = (interest.get(uri) ?? 1) - 1;
            if (left > 0) {
              interest.set(uri, left);
            } else {
              interest.delete(uri);
              shared.channel?.unwatch(uri);
            }
          }
        };
      },
    });
    return new ModernEndpoint(factory, shared, listen, interest, options);
  }

  async handle(res: ServerResponse, route: InboundModernRoute, headers: StandardHeaders): Promise<void> {
    const message = route.message;
    const id = route.messageKind === 'request' ? route.message.id : null;
    const revision = route.classification.revision;
    if (revision !== MODERN_REVISION) {
      const error = new UnsupportedProtocolVersionError({ supported: [MODERN_REVISION], requested: revision ?? 'unknown' });
      this.answer(res, 400, id, error.code, error.message, error.data);
      return;
    }
    if (route.messageKind === 'notification') {
      // Cancellation on this revision is the client closing its request's stream; a
      // per-request instance would be gone before a notification could matter to it.
      if (message.method !== 'notifications/cancelled' && this.shared.channel !== undefined) (await this.sharedChannel()).notify(message);
      res.writeHead(202, this.options.headers).end();
      return;
    }
    const request = route.message;
    const mismatch = headerMismatch(headers, request.method, request.params);
    if (mismatch !== undefined) {
      this.answer(res, 400, request.id, GATEWAY_ERRORS.HEADER_MISMATCH.rpc, `Bad Request: the request headers and body disagree: ${mismatch}`);
      return;
    }
    if (request.method === 'subscriptions/listen') {
      const refused = this.listen.serve(res, request.id, request.params);
      if (refused !== undefined) this.answer(res, 200, request.id, refused.code, refused.message);
      return;
    }
    const perRequest = this.shared.channel === undefined;
    const channel = perRequest ? await this.openChannel() : await this.sharedChannel();
    let channelId = 0;
    const reply = new PostReply(res, 1, false, {
      ...this.replyOptions,
      onComplete: () => {
        clearTimeout(timer);
        if (perRequest) void channel.shutdown();
      },
    });
    const timer = setTimeout(() => {
      channel.cancel(channelId, 'timed out');
      this.options.onError(new Error(`${request.method} did not answer within ${this.options.handlerTimeoutMs} ms`));
      reply.deliver({ id: request.id, error: { code: GATEWAY_ERRORS.HANDLER_TIMEOUT.rpc, message: GATEWAY_ERRORS.HANDLER_TIMEOUT.message } });
    }, this.options.handlerTimeoutMs);
    timer.unref();
    res.once('close', () => {
      if (!reply.complete) {
        clearTimeout(timer);
        channel.cancel(channelId, 'client disconnected');
        if (perRequest) void channel.shutdown();
      }
    });
    channelId = channel.dispatch(request as { jsonrpc: '2.0'; id: RequestId; method: string; params?: unknown }, reply);
  }

  /** Ends every subscription stream with its result, so clients re-listen elsewhere. */
  endStreamsForDrain(): void {
    this.listen.closeAll();
  }

  async close(): Promise<void> {
    this.listen.closeAll();
    await this.shared.channel?.shutdown();
  }

  /** The shared instance, opened anew (once, for all waiting requests) if the hosted server closed the last one. */
  private async sharedChannel(): Promise<ModernChannel> {
    const current = this.shared.channel as ModernChannel;
    if (!current.isClosed) return current;
    this.reopening ??= this.openChannel()
      .then((channel) => {
        this.shared.channel = channel;
        return channel;
      })
      .finally(() => {
        this.reopening = undefined;
      });
    return this.reopening;
  }

  private reopening: Promise<ModernChannel> | undefined;

  private async openChannel(): Promise<ModernChannel> {
    return (await ModernChannel.open(this.factory, this.options.bus, this.options.onError, this.watchedUris.keys())).channel;
  }

  private answer(res: ServerResponse, status: number, id: RequestId | null, code: number, message: string, data?: unknown): void {
    writeRpcError(res, status, this.options.jsonHeaders, id, { code, message, data });
  }
}

/**
 * The presence and `Mcp-Name` half of the standard-header rung (SEP-2243); the
 * SDK's classifier already checked the version and method headers against the
 * body. Returns what disagrees, or undefined.
 */
function headerMismatch(headers: StandardHeaders, method: string, params: unknown): string | undefined {
  if (headers.protocolVersion === undefined) return 'the required MCP-Protocol-Version header is absent';
  if (headers.method === undefined) return `the body names method ${method} but the required Mcp-Method header is absent`;
  const field = NAME_SOURCE[method];
  if (field === undefined) return undefined;
  const raw = (params as Record<string, unknown> | undefined)?.[field];
  const bodyValue = typeof raw === 'string' ? raw : undefined;
  if (headers.name === undefined) {
    return bodyValue === undefined ? undefined : `the body carries params.${field}="${bodyValue}" but the required Mcp-Name header is absent`;
  }
  const decoded = decodeParamValue(headers.name.trim());
  if (decoded === undefined) return 'the Mcp-Name header carries an invalid Base64 sentinel value';
  if (bodyValue !== undefined && decoded !== bodyValue) return `the body carries params.${field}="${bodyValue}" but the Mcp-Name header names "${decoded}"`;
  return undefined;
}

const BASE64_CANONICAL = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Header values that are not plain ASCII travel as `=?base64?<value>?=` (SEP-2243). */
function decodeParamValue(value: string): string | undefined {
  if (!(value.startsWith('=?base64?') && value.endsWith('?='))) return value;
  const encoded = value.slice(9, -2);
  if (!BASE64_CANONICAL.test(encoded)) return undefined;
  return Buffer.from(encoded, 'base64').toString('utf8');
}

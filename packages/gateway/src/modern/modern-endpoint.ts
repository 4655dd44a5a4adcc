import type { Principal } from '../auth/authenticator.js';
import type { InboundModernRoute, ServerEventBus } from '@modelcontextprotocol/server';
import { gatewayError, MODERN_LADDER_STATUS } from '../errors.js';
import type { HostedServer } from '../hosting/hosted-server.js';
import type { RequestBudget } from '../hosting/request-budget.js';
import type { InboundMessage, RequestId } from '../protocol/json-rpc.js';
import { headerMismatch, MODERN_REVISION, type StandardHeaders } from '../protocol/standard-headers.js';
import { PostReply, type ReplyOptions } from '../reply/post-reply.js';
import { fail, type ReplySink } from '../reply/reply-sink.js';
import type { StreamSlots } from '../reply/stream-slots.js';
import type { SessionRelay } from '../stores/session-relay.js';
import { ListenRouter } from './listen-router.js';
import { ModernChannel, type ModernChannelOptions } from './modern-channel.js';
import { ResourceWatches } from './resource-watches.js';

export interface ModernEndpointOptions {
  readonly server: HostedServer;
  readonly instances: 'shared' | 'per-request';
  readonly handlerTimeoutMs: number;
  readonly bus: ServerEventBus;
  /** The other tasks of a shared store: which resources their listeners want. */
  readonly relay: SessionRelay;
  readonly budget: RequestBudget;
  readonly slots: StreamSlots;
  readonly maxUriBytes: number;
  readonly error: (error: Error) => void;
}

interface SharedChannel {
  channel: ModernChannel | undefined;
}

/** Distinct resources watched for listeners; below the SDK's 1024 subscriptions per instance, leaving room for its own. */
const MAX_WATCHED_URIS = 512;

const LADDER_REPLY: Omit<ReplyOptions, 'onComplete'> = { errorStatus: (code) => MODERN_LADDER_STATUS[code] };

/** Serves the 2026-07-28 era: each request alone decides its answer. */
export class ModernEndpoint {
  private reopening: Promise<ModernChannel> | undefined;

  private constructor(
    /** The instance all modern requests share (`MODERN_INSTANCES=shared`), replaced if it ever closes. */
    private readonly shared: SharedChannel,
    private readonly listen: ListenRouter,
    /** Resource URIs some client listens for, here or on another task: every instance must report their updates. */
    private readonly watches: ResourceWatches,
    private readonly options: ModernEndpointOptions,
  ) {}

  static async open(options: ModernEndpointOptions): Promise<ModernEndpoint> {
    const { channel, discovery } = await ModernChannel.open(channelOptions(options));
    const shared: SharedChannel = { channel: options.instances === 'shared' ? channel : undefined };
    if (shared.channel === undefined) await channel.shutdown();
    const watches = new ResourceWatches(
      options.relay,
      { start: (uri) => shared.channel?.watch(uri), stop: (uri) => shared.channel?.unwatch(uri) },
      MAX_WATCHED_URIS,
    );
    const listen = new ListenRouter(options.bus, discovery, {
      slots: options.slots,
      maxUriBytes: options.maxUriBytes,
      onResourceInterest: (uris) => watches.add(uris),
    });
    return new ModernEndpoint(shared, listen, watches, options);
  }

  /** `principal` is who sent the request, when the path is protected: an in-process server's handlers see it as their auth info. */
  async handle(sink: ReplySink, route: InboundModernRoute, headers: StandardHeaders, principal?: Principal): Promise<void> {
    const message = route.message as InboundMessage;
    const id = route.messageKind === 'request' ? (route.message.id as RequestId) : null;
    const revision = route.classification.revision;
    if (revision !== MODERN_REVISION) {
      const requested = revision ?? 'unknown';
      sink.error(400, id, gatewayError('UNSUPPORTED_MODERN_REVISION', requested, { supported: [MODERN_REVISION], requested }));
      return;
    }
    if (route.messageKind === 'notification') {
      // Cancellation on this revision is the client closing its request's stream; a
      // per-request instance would be gone before a notification could matter to it.
      if (message.method !== 'notifications/cancelled' && this.shared.channel !== undefined) (await this.sharedChannel()).notify(message);
      sink.empty(202);
      return;
    }
    const request = message as InboundMessage & { id: RequestId; method: string };
    const mismatch = headerMismatch(headers, request.method, request.params);
    if (mismatch !== undefined) return fail(sink, 'HEADER_MISMATCH', request.id, mismatch);
    if (request.method === 'subscriptions/listen') {
      const refused = this.listen.serve(sink, request.id, request.params);
      if (refused !== undefined) fail(sink, refused.code, request.id, refused.detail);
      return;
    }
    if (!this.options.budget.fits(1)) return fail(sink, 'REQUESTS_FULL', request.id);
    const perRequest = this.shared.channel === undefined;
    const channel = perRequest ? await this.openChannel() : await this.sharedChannel();
    const reply = new PostReply(sink, 1, false, {
      ...LADDER_REPLY,
      onComplete: () => {
        if (perRequest) void channel.shutdown();
      },
    });
    const channelId = channel.dispatch(request, reply, principal === undefined ? undefined : { authInfo: principal.authInfo });
    sink.onClose(() => {
      if (reply.complete) return;
      channel.cancel(channelId, 'client disconnected');
      if (perRequest) void channel.shutdown();
    });
  }

  /** Ends every subscription stream with its result, so clients re-listen elsewhere. */
  endStreamsForDrain(): void {
    this.listen.closeAll();
  }

  async close(): Promise<void> {
    this.listen.closeAll();
    this.watches.close();
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

  private async openChannel(): Promise<ModernChannel> {
    return (await ModernChannel.open(channelOptions(this.options), this.watches.uris())).channel;
  }
}

function channelOptions(options: ModernEndpointOptions): ModernChannelOptions {
  return { server: options.server, bus: options.bus, handlerTimeoutMs: options.handlerTimeoutMs, budget: options.budget, error: options.error };
}

import { LATEST_PROTOCOL_VERSION, ProtocolError, Server, type ServerContext } from '@modelcontextprotocol/server';
import { gatewayError } from '../errors.js';
import type { InboundMessage, OutboundMessage, RequestId } from '../protocol/json-rpc.js';
import { type ConnectionEvents, type Era, type HostedConnection, type HostedServer, HostedServerError } from './hosted-server.js';
import { InProcessServer } from './in-process-server.js';
import type { RequestBudget } from './request-budget.js';
import { RpcChannel } from './rpc-channel.js';

export interface ModernBridgeOptions {
  /** Connections to the legacy-only server kept for 2026-07-28 requests. */
  readonly poolSize: number;
  readonly handlerTimeoutMs: number;
  readonly startTimeoutMs: number;
  readonly budget: RequestBudget;
  readonly version: string;
  readonly error: (error: Error) => void;
}

/** What a backend told the bridge about itself in its `initialize` answer. */
interface BackendIdentity {
  readonly serverInfo: { name: string; version: string };
  readonly capabilities: Record<string, unknown>;
  readonly instructions: string | undefined;
}

/** The client methods a 2025-era server can answer, and the capability each needs. */
const FORWARDED: readonly (readonly [string, string])[] = [
  ['tools/list', 'tools'],
  ['tools/call', 'tools'],
  ['resources/list', 'resources'],
  ['resources/templates/list', 'resources'],
  ['resources/read', 'resources'],
  ['prompts/list', 'prompts'],
  ['prompts/get', 'prompts'],
  ['completion/complete', 'completions'],
];

const CHANGE_NOTIFICATIONS: ReadonlySet<string> = new Set([
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/resources/list_changed',
  'notifications/resources/updated',
]);

/** The `_meta` keys of the 2026-07-28 envelope: a 2025-era server knows none of them. */
const ENVELOPE_KEY = /^io\.modelcontextprotocol\//;

/**
 * Serves 2026-07-28 requests from a server that speaks only the 2025 era
 * (every stdio server, every upstream and SDK v1 server today). An SDK v2
 * server stands in front: it answers `server/discover` from the backend's own
 * `initialize` answer and forwards every request, its envelope removed, to a
 * small pool of initialized legacy connections; what the backend sends while
 * it answers (progress, log messages) goes back on the request's stream, and
 * its list and resource changes reach `subscriptions/listen`. A backend that
 * asks the client something in the middle of a request (sampling,
 * elicitation, roots) is told the client cannot answer on this revision:
 * those features need a 2025-era session.
 */
export class ModernBridge implements HostedServer {
  readonly eras: ReadonlySet<Era> = new Set(['modern']);
  readonly description: string;
  private readonly pool: RpcChannel[] = [];
  private opening: Promise<RpcChannel> | undefined;
  private identity: BackendIdentity | undefined;
  private readonly front: InProcessServer;
  /** The SDK servers in front, one per modern connection: changes the backend announces go to each. */
  private readonly fronts = new Set<Server>();
  private nextToken = 1;

  constructor(
    private readonly backend: HostedServer,
    private readonly options: ModernBridgeOptions,
  ) {
    this.description = `${backend.description}, 2026-07-28 through the 2025 era`;
    this.front = new InProcessServer(() => this.frontServer(), this.description);
  }

  /** Connects the first backend connection: its `initialize` answer is what `server/discover` will say. */
  async start(): Promise<void> {
    await this.connection();
  }

  async connect(era: Era, events: ConnectionEvents, tag?: string): Promise<HostedConnection> {
    if (this.identity === undefined) await this.start();
    return this.front.connect(era, events, tag);
  }

  async close(): Promise<void> {
    await Promise.all(this.pool.splice(0).map((channel) => channel.close()));
  }

  private frontServer(): Server {
    const identity = this.identity as BackendIdentity;
    const server = new Server(identity.serverInfo, { capabilities: identity.capabilities, instructions: identity.instructions });
    for (const [method, capability] of FORWARDED) {
      if (identity.capabilities[capability] === undefined) continue;
      server.setRequestHandler(method as 'tools/list', (request, ctx) => this.forward(method, request.params, ctx) as never);
    }
    this.fronts.add(server);
    server.onclose = () => this.fronts.delete(server);
    return server;
  }

  /** One request, envelope removed and progress token the bridge's own, on the least busy backend connection. */
  private async forward(method: string, params: unknown, ctx: ServerContext): Promise<unknown> {
    const channel = await this.connection();
    const { _meta, ...rest } = (params ?? {}) as { _meta?: Record<string, unknown> };
    const meta = Object.fromEntries(Object.entries(_meta ?? {}).filter(([key]) => !ENVELOPE_KEY.test(key)));
    const clientToken = meta['progressToken'];
    // Two clients may choose one token: on a shared backend connection each must hear only its own progress.
    const token = clientToken === undefined ? undefined : `mcp-fargate-${this.nextToken++}`;
    if (token !== undefined) meta['progressToken'] = token;
    const answer = await new Promise<OutboundMessage>((resolve) => {
      const id = channel.request(
        { jsonrpc: '2.0', id: String(ctx.mcpReq.id), method, params: Object.keys(meta).length > 0 ? { ...rest, _meta: meta } : rest },
        {
          deliver: (message) => {
            if (message.method === undefined) resolve(message);
            else this.related(channel, message, ctx, clientToken);
          },
        },
        ctx.http?.authInfo === undefined ? undefined : { authInfo: ctx.http.authInfo },
      );
      ctx.mcpReq.signal.addEventListener('abort', () => channel.cancel(id, 'the client went away'), { once: true });
    });
    if (answer.error !== undefined) {
      const { code, message, data } = answer.error as { code: number; message: string; data?: unknown };
      throw new ProtocolError(code, message, data);
    }
    return answer.result;
  }

  /** What the backend sends while it answers: progress and log messages go to the client; questions are refused. */
  private related(channel: RpcChannel, message: OutboundMessage, ctx: ServerContext, clientToken: unknown): void {
    const params = (message.params ?? {}) as Record<string, unknown>;
    if (message.method === 'notifications/progress') {
      if (clientToken !== undefined) void ctx.mcpReq.notify({ method: 'notifications/progress', params: { ...params, progressToken: clientToken } } as never);
      return;
    }
    if (message.id !== undefined && message.id !== null) {
      channel.answer({
        jsonrpc: '2.0',
        id: message.id as RequestId,
        error: gatewayError('CLIENT_UNREACHABLE', `${message.method ?? ''} needs a 2025-era session with this server`),
      } as InboundMessage);
      return;
    }
    if (message.method !== undefined) void ctx.mcpReq.notify({ method: message.method, params } as never);
  }

  /** The least busy backend connection, opening one more while the pool is not full and every one is busy. */
  private async connection(): Promise<RpcChannel> {
    for (let i = this.pool.length - 1; i >= 0; i -= 1) if ((this.pool[i] as RpcChannel).isClosed) this.pool.splice(i, 1);
    const idle = this.pool.find((channel) => channel.inFlight === 0);
    if (idle !== undefined) return idle;
    if (this.pool.length + (this.opening === undefined ? 0 : 1) < this.options.poolSize) {
      this.opening ??= this.open().finally(() => {
        this.opening = undefined;
      });
      if (this.pool.length === 0) return this.opening;
    }
    if (this.pool.length === 0) return this.opening as Promise<RpcChannel>;
    return this.pool.reduce((least, channel) => (channel.inFlight < least.inFlight ? channel : least));
  }

  private async open(): Promise<RpcChannel> {
    const channel = await RpcChannel.open(
      this.backend,
      'legacy',
      {
        unrelated: (message) => this.unrelated(message),
        closed: (reason) => this.options.error(new Error(`a connection of the 2026-07-28 pool ended: ${reason}`)),
        error: this.options.error,
      },
      this.options.handlerTimeoutMs,
      this.options.budget,
      'modern-pool',
    );
    const answer = await channel.call(
      'initialize',
      { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'mcp-fargate', version: this.options.version } },
      this.options.startTimeoutMs,
    );
    const result = answer.result as { serverInfo?: BackendIdentity['serverInfo']; capabilities?: Record<string, unknown>; instructions?: string } | undefined;
    if (answer.error !== undefined || result?.serverInfo === undefined) {
      await channel.close();
      const timedOut = (answer.error as { data?: { code?: string } } | undefined)?.data?.code === 'HANDLER_TIMEOUT';
      throw new HostedServerError(
        timedOut
          ? `${this.backend.description} did not answer initialize within CHILD_START_TIMEOUT_MS (${this.options.startTimeoutMs} ms)`
          : `${this.backend.description} did not answer initialize: ${JSON.stringify(answer.error ?? answer.result)}`,
      );
    }
    this.identity ??= { serverInfo: result.serverInfo, capabilities: result.capabilities ?? {}, instructions: result.instructions };
    channel.notify({ jsonrpc: '2.0', method: 'notifications/initialized' });
    this.pool.push(channel);
    return channel;
  }

  /** The backend announced a change: every front server announces it, and the gateway's listen streams hear it. */
  private unrelated(message: OutboundMessage): void {
    if (message.method === undefined || !CHANGE_NOTIFICATIONS.has(message.method)) return;
    for (const server of this.fronts) void server.notification({ method: message.method, params: message.params } as never).catch(() => undefined);
  }
}

import {
  type AuthInfo,
  type JSONRPCMessage,
  type McpServerFactory,
  McpServer,
  type MessageExtraInfo,
  Server,
  type Transport,
  type TransportSendOptions,
} from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { InboundMessage, OutboundMessage } from '../protocol/json-rpc.js';
import { type ConnectionEvents, type Era, type HostedConnection, type HostedServer, HostedServerError, type SendExtra } from './hosted-server.js';

/**
 * The SDK sees an ordinary `Transport`; every message it sends goes to the
 * gateway with the id of the request it relates to, which only an in-process
 * server can give.
 */
class InProcessConnection implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined;
  closed = false;
  /** Closes what serves this connection (the server, or the SDK's serving entry). */
  shutdown: () => Promise<void> = async () => {};

  /**
   * The auth info of requests in progress on a modern connection, by id: the
   * SDK's `serveStdio` passes no per-message extras to the instance, so the
   * instance's transport takes them from here (see `withAuthInfo`). A legacy
   * connection hands them over with each message and keeps none.
   */
  readonly authByRequest: Map<unknown, AuthInfo> | undefined;

  constructor(
    private readonly events: ConnectionEvents,
    era: Era,
  ) {
    this.authByRequest = era === 'modern' ? new Map() : undefined;
  }

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.authByRequest !== undefined && 'id' in message && !('method' in message)) this.authByRequest.delete(message.id);
    this.events.message(message as OutboundMessage, options?.relatedRequestId);
  }

  /** Called by the SDK when the server closes, whoever asked it to. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.();
    this.events.closed('the server closed the connection');
  }

  deliver(message: InboundMessage, extra?: SendExtra): void {
    const closeSSEStream = extra?.closeSSEStream;
    const authInfo = extra?.authInfo;
    if (this.authByRequest !== undefined) {
      if (authInfo !== undefined && message.id !== undefined && message.method !== undefined) this.authByRequest.set(message.id, authInfo);
      // A cancelled request may never be answered: its entry goes with the cancellation.
      if (message.method === 'notifications/cancelled') this.authByRequest.delete((message.params as { requestId?: unknown } | undefined)?.requestId);
    }
    this.onmessage?.(
      message as JSONRPCMessage,
      closeSSEStream === undefined && authInfo === undefined
        ? undefined
        : { ...(closeSSEStream === undefined ? {} : { closeSSEStream }), ...(authInfo === undefined ? {} : { authInfo }) },
    );
  }

  async end(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.shutdown();
  }
}

/**
 * A server built by an SDK v2 factory in this process. A legacy connection is
 * one instance connected to the gateway's transport; a modern one is pinned
 * to 2026-07-28 through the SDK's own serving entry (`serveStdio` with a
 * custom transport), the public way to serve the modern era from a factory.
 */
export class InProcessServer implements HostedServer {
  constructor(
    private readonly factory: McpServerFactory,
    readonly description: string,
    readonly eras: ReadonlySet<Era> = new Set(['legacy', 'modern']),
  ) {}

  /**
   * Builds one instance to learn what the factory makes: an SDK v2 server
   * serves both eras; anything else with `connect` (an SDK v1 `McpServer`,
   * or a v2 server from another copy of the SDK) is served the 2025 era, and
   * 2026-07-28 requests reach it through a pool of legacy connections. A
   * factory that throws stops the gateway with its own message.
   */
  static async load(factory: McpServerFactory, description: string): Promise<InProcessServer> {
    let instance: unknown;
    try {
      instance = await factory({ era: 'legacy' });
    } catch (error) {
      throw new HostedServerError(`${description}: the factory threw: ${(error as Error).message}`);
    }
    if (instance instanceof McpServer || instance instanceof Server) {
      await instance.close();
      return new InProcessServer(factory, description);
    }
    if (typeof (instance as { connect?: unknown } | null)?.connect !== 'function') {
      throw new HostedServerError(`${description}: the factory returned ${typeof instance}, not an McpServer (SDK v2 or v1)`);
    }
    await (instance as { close?: () => Promise<void> }).close?.();
    return new InProcessServer(factory, `${description} (SDK v1)`, new Set(['legacy']));
  }

  async connect(era: Era, events: ConnectionEvents, _tag?: string): Promise<HostedConnection> {
    const transport = new InProcessConnection(events, era);
    if (era === 'legacy') {
      const server = await this.factory({ era: 'legacy' });
      await server.connect(transport);
      transport.shutdown = () => server.close();
    } else {
      const authByRequest = transport.authByRequest as Map<unknown, AuthInfo>;
      const factory: McpServerFactory = async (ctx) => withAuthInfo(await this.factory(ctx), authByRequest);
      const handle = serveStdio(factory, { transport, legacy: 'reject', onerror: (error) => events.error(error) });
      transport.shutdown = () => handle.close();
    }
    return {
      relates: true,
      get closed() {
        return transport.closed;
      },
      send: (message, extra) => transport.deliver(message, extra),
      close: () => transport.end(),
    };
  }

  async close(): Promise<void> {}
}

/**
 * Gives a modern instance's handlers the auth info of each request. The
 * instance is connected by `serveStdio` to a transport of its own, whose
 * inbound messages carry no extras; once connected, that transport's message
 * handler is wrapped to add the auth info the gateway recorded for the id.
 */
function withAuthInfo<T extends McpServer | Server>(server: T, authByRequest: ReadonlyMap<unknown, AuthInfo>): T {
  const connect = server.connect.bind(server);
  server.connect = async (transport: Transport) => {
    await connect(transport);
    const deliver = transport.onmessage;
    if (deliver === undefined) return;
    transport.onmessage = (message, extra) => {
      const authInfo = 'id' in message && 'method' in message ? authByRequest.get(message.id) : undefined;
      deliver(message, authInfo === undefined ? extra : { ...extra, authInfo });
    };
  };
  return server;
}

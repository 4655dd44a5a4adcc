import { type GatewayErrorCode, gatewayError } from '../errors.js';
import { type InboundMessage, isResponse, type OutboundMessage, type RequestId, type RpcSink } from '../protocol/json-rpc.js';
import type { Era, HostedConnection, HostedServer, SendExtra } from './hosted-server.js';
import type { RequestBudget } from './request-budget.js';

/** Server questions to the client remembered at once per channel. */
const MAX_ASKED = 256;

/** What the owner of a channel hears besides the answers it asked for. */
export interface ChannelEvents {
  /** A server message tied to no request in progress: notifications and server-initiated requests. */
  unrelated(message: OutboundMessage): void;
  /** The server ended the connection; every request in progress has been answered with an error. */
  closed(reason: string): void;
  error(error: Error): void;
}

interface Pending {
  readonly clientId: RequestId;
  readonly sink: RpcSink;
  readonly method: string;
  /** Undefined only for the gateway's own long-lived subscriptions, which end when the channel does. */
  readonly timer: NodeJS.Timeout | undefined;
  /** A client's request: it counts against the process's budget (the gateway's own requests do not). */
  readonly budgeted: boolean;
}

/** Collects the answer to one of the gateway's own requests; everything else related to it is dropped. */
class AnswerSink implements RpcSink {
  constructor(private readonly resolve: (message: OutboundMessage) => void) {}

  deliver(message: OutboundMessage): void {
    if (message.method === undefined) this.resolve(message);
  }
}

/**
 * One connection to a hosted server, with every request id rewritten to one
 * the channel issued and mapped back on the way out. Clients can never see
 * each other's answers whatever ids they choose (the failure behind
 * CVE-2026-25536), the gateway's own requests (replays, discovery) share the
 * id space without colliding, and a server outside the process, which cannot
 * say which request a message relates to, is correlated the same way.
 *
 * Every client request has a deadline that always fires: the server is told
 * to cancel, and the client gets a timeout error. Client requests in
 * progress count against the process's {@link RequestBudget}.
 */
export class RpcChannel {
  private readonly pending = new Map<number, Pending>();
  /** Client id -> channel id of its request in progress: a session's ids must be unique among its requests in progress. */
  private readonly byClientId = new Map<RequestId, number>();
  /** Progress token -> channel id, for a server that cannot say which request a progress notification belongs to. */
  private readonly byProgressToken = new Map<unknown, number>();
  /** Ids of the server's own requests to the client (sampling, elicitation, roots) still waiting for the client's answer. */
  private readonly asked = new Set<RequestId>();
  private nextId = 1;
  private ended = false;

  private constructor(
    private readonly events: ChannelEvents,
    private readonly deadlineMs: number,
    private readonly budget: RequestBudget,
  ) {}

  private connection: HostedConnection | undefined;

  static async open(server: HostedServer, era: Era, events: ChannelEvents, deadlineMs: number, budget: RequestBudget, tag?: string): Promise<RpcChannel> {
    const channel = new RpcChannel(events, deadlineMs, budget);
    channel.connection = await server.connect(
      era,
      {
        message: (message, related) => channel.route(message, related),
        closed: (reason) => channel.serverClosed(reason),
        error: (error) => events.error(error),
      },
      tag,
    );
    return channel;
  }

  /** Requests the server has not answered yet, whether or not their client is still connected. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** The server ended the connection, or the gateway closed it. */
  get isClosed(): boolean {
    return this.ended || this.connection?.closed === true;
  }

  /** Whether a client request with this id is in progress on this channel. */
  has(clientId: RequestId): boolean {
    return this.byClientId.has(clientId);
  }

  /** Whether the server asked the client something with this id and waits for the answer. */
  awaits(serverRequestId: RequestId): boolean {
    return this.asked.has(serverRequestId);
  }

  /** Hands one client request to the server; its answer and related messages go to `sink`. Returns the channel's id for it. */
  request(message: InboundMessage & { id: RequestId; method: string }, sink: RpcSink, extra?: SendExtra): number {
    if (this.isClosed) {
      sink.deliver({ jsonrpc: '2.0', id: message.id, error: gatewayError('SESSION_ENDED') });
      return 0;
    }
    const id = this.track(message.id, sink, message.method, this.deadlineMs, true);
    this.byClientId.set(message.id, id);
    if (this.connection?.relates === false) {
      const token = (message.params as { _meta?: { progressToken?: unknown } } | undefined)?._meta?.progressToken;
      if (token !== undefined) this.byProgressToken.set(token, id);
    }
    this.send({ ...message, id }, extra);
    return id;
  }

  /**
   * The gateway's own long-lived request (a `subscriptions/listen` of its
   * own): no deadline, its messages go to `sink` until `cancel` or the end of
   * the channel. Returns the channel's id for it.
   */
  subscribe(method: string, params: unknown, sink: RpcSink): number {
    const id = this.track(undefined, sink, method, undefined, false);
    this.send({ jsonrpc: '2.0', id, method, params });
    return id;
  }

  /** The gateway's own request: resolves with the server's answer, or a timeout error after `deadlineMs`. */
  call(method: string, params: unknown, deadlineMs = this.deadlineMs): Promise<OutboundMessage> {
    if (this.isClosed) return Promise.resolve({ jsonrpc: '2.0', id: null, error: gatewayError('SERVER_GONE', method) });
    return new Promise((resolve) => {
      const id = this.track(undefined, new AnswerSink(resolve), method, deadlineMs, false);
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  /**
   * A client notification. A cancellation names the client's id, which the
   * server knows by the channel's; the request is over for the gateway at once
   * (a server does not answer a cancelled request), so its place and budget
   * are free and its reply is closed with an answer the client ignores.
   */
  notify(message: InboundMessage): void {
    if (message.method === 'notifications/cancelled') {
      const params = message.params as { requestId?: RequestId } | undefined;
      const id = params?.requestId === undefined ? undefined : this.byClientId.get(params.requestId);
      const entry = id === undefined ? undefined : this.pending.get(id);
      if (id === undefined || entry === undefined) return;
      this.send({ ...message, params: { ...params, requestId: id } });
      this.settle(id, entry);
      entry.sink.deliver({ jsonrpc: '2.0', id: entry.clientId, error: gatewayError('REQUEST_CANCELLED') });
      return;
    }
    this.send(message);
  }

  /** A client's answer to a server-initiated request: the ids are the server's own, so it passes unchanged. */
  answer(message: InboundMessage): void {
    if (message.id !== undefined) this.asked.delete(message.id);
    this.send(message);
  }

  /** The client went away or the gateway stopped waiting: the handler's abort signal fires. */
  cancel(id: number, reason: string): void {
    const entry = this.pending.get(id);
    if (entry === undefined) return;
    this.settle(id, entry);
    this.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } });
  }

  /** Ends the connection; every request in progress is answered with `code`, never left hanging. */
  async close(code: GatewayErrorCode = 'SESSION_ENDED'): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.answerAll(code);
    await this.connection?.close();
  }

  private track(clientId: RequestId | undefined, sink: RpcSink, method: string, deadlineMs: number | undefined, budgeted: boolean): number {
    const id = this.nextId++;
    let timer: NodeJS.Timeout | undefined;
    if (deadlineMs !== undefined) {
      timer = setTimeout(() => this.expire(id, deadlineMs), deadlineMs);
      timer.unref();
    }
    this.pending.set(id, { clientId: clientId ?? id, sink, method, timer, budgeted });
    if (budgeted) this.budget.take();
    return id;
  }

  private send(message: InboundMessage, extra?: SendExtra): void {
    if (this.isClosed) return;
    this.connection?.send(message, extra);
  }

  private route(message: OutboundMessage, related: RequestId | undefined): void {
    if (isResponse(message)) {
      const id = message.id;
      const entry = typeof id === 'number' ? this.pending.get(id) : undefined;
      if (entry === undefined) return;
      this.settle(id as number, entry);
      entry.sink.deliver({ ...message, id: entry.clientId });
      return;
    }
    if (message.method !== undefined && message.id !== undefined && message.id !== null) this.rememberAsked(message.id);
    let entry = typeof related === 'number' ? this.pending.get(related) : undefined;
    if (entry === undefined && related === undefined && this.connection?.relates === false) entry = this.relatedByContent(message);
    if (entry !== undefined) entry.sink.deliver(message);
    else this.events.unrelated(message);
  }

  /**
   * The request a message from a server that cannot say belongs to: the one
   * whose progress token a progress notification carries, else the only
   * client request in progress, if there is exactly one.
   */
  private relatedByContent(message: OutboundMessage): Pending | undefined {
    if (message.method === 'notifications/progress') {
      const id = this.byProgressToken.get((message.params as { progressToken?: unknown } | undefined)?.progressToken);
      return id === undefined ? undefined : this.pending.get(id);
    }
    let only: Pending | undefined;
    for (const entry of this.pending.values()) {
      if (!entry.budgeted) continue;
      if (only !== undefined) return undefined;
      only = entry;
    }
    return only;
  }

  /** Remembers the server's question; the oldest is forgotten past a bound (a client that never answers). */
  private rememberAsked(id: RequestId): void {
    this.asked.add(id);
    if (this.asked.size > MAX_ASKED) this.asked.delete(this.asked.values().next().value as RequestId);
  }

  private expire(id: number, deadlineMs: number): void {
    const entry = this.pending.get(id);
    if (entry === undefined) return;
    this.events.error(new Error(`${entry.method} did not answer within ${deadlineMs} ms`));
    this.cancel(id, 'timed out');
    entry.sink.deliver({ jsonrpc: '2.0', id: entry.clientId, error: gatewayError('HANDLER_TIMEOUT') });
    // A server that has said nothing since is hung, not slow: the connection may end, and the next request starts anew.
    this.connection?.stalled?.(Date.now() - deadlineMs);
  }

  private settle(id: number, entry: Pending): void {
    clearTimeout(entry.timer);
    this.pending.delete(id);
    if (entry.budgeted) this.budget.give();
    if (this.byClientId.get(entry.clientId) === id) this.byClientId.delete(entry.clientId);
    if (this.byProgressToken.size > 0) {
      for (const [token, tokenId] of this.byProgressToken) if (tokenId === id) this.byProgressToken.delete(token);
    }
  }

  private serverClosed(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.answerAll('SERVER_GONE', reason);
    this.events.closed(reason);
  }

  private answerAll(code: GatewayErrorCode, detail?: string): void {
    for (const [id, entry] of [...this.pending]) {
      this.settle(id, entry);
      entry.sink.deliver({ jsonrpc: '2.0', id: entry.clientId, error: gatewayError(code, detail) });
    }
  }
}

import { gatewayError } from '../errors.js';
import type { Logger } from '../logger.js';
import { type InboundMessage, isRequest, type OutboundMessage, type RequestId } from '../protocol/json-rpc.js';
import type { ConnectionEvents, Era, HostedConnection, HostedServer } from './hosted-server.js';

/** An answer of the upstream, read once. */
export interface UpstreamResponse {
  readonly status: number;
  header(name: string): string | undefined;
  /** Hands the body to `chunk` as text as it arrives; resolves at its end. */
  read(chunk: (text: string) => void): Promise<void>;
  /** The body is not wanted: it is drained so the socket can carry the next call. */
  discard(): void;
}

/** How messages reach the upstream: the http layer provides it over keep-alive sockets (`http/upstream-client`). */
export interface UpstreamClient {
  post(headers: Readonly<Record<string, string>>, body: string): Promise<UpstreamResponse>;
  close(): void;
}

export interface UpstreamServerOptions {
  /** The hosted server's name, for logs. */
  readonly name: string;
  readonly url: string;
  readonly client: UpstreamClient;
  /** Added to every request to the upstream. */
  readonly headers: Readonly<Record<string, string>>;
  readonly logger: Logger;
}

/** How long the upstream's standalone stream waits before it is opened again after it dropped. */
const STREAM_RETRY_MS = 1000;
/** How long a DELETE of an upstream session may take when a connection closes. */
const DELETE_TIMEOUT_MS = 2000;

/**
 * An existing streamable-HTTP MCP server (a Python FastMCP app, a sidecar
 * container): each gateway connection is one upstream session, and the
 * gateway keeps its own session ids in front of it. An upstream session that
 * is gone (the upstream restarted, or the session was rebuilt on another
 * task) is made again by replaying what the connection sent it (initialize,
 * log level, subscriptions), and the request is sent again: the client never
 * sees the upstream's restarts. The upstream's deviations from the spec (400
 * for an unknown session, no Origin check) stop here.
 */
export class UpstreamHttpServer implements HostedServer {
  readonly eras: ReadonlySet<Era> = new Set(['legacy']);
  readonly description: string;
  private readonly connections = new Set<UpstreamConnection>();
  /** Why the last request could not reach the upstream, until one does again. */
  private readonly reach: { unreachable: string | undefined } = { unreachable: undefined };

  constructor(private readonly options: UpstreamServerOptions) {
    const url = new URL(options.url);
    // The URL may carry credentials or a token in its query: the description names host and path only.
    this.description = `upstream ${url.protocol}//${url.host}${url.pathname}`;
  }

  async connect(_era: Era, events: ConnectionEvents, tag?: string): Promise<HostedConnection> {
    const connection = new UpstreamConnection(this.options, events, tag, this.reach, () => this.connections.delete(connection));
    this.connections.add(connection);
    return connection;
  }

  async close(): Promise<void> {
    await Promise.all([...this.connections].map((connection) => connection.close()));
    this.options.client.close();
  }

  problem(): string | undefined {
    return this.reach.unreachable;
  }
}

/** What a lost upstream session is told again. */
interface Replay {
  initialize: unknown;
  logLevel: unknown;
  readonly subscriptions: Map<string, unknown>;
}

class UpstreamConnection implements HostedConnection {
  readonly relates = true;
  private ended = false;
  private sessionId: string | undefined;
  private protocolVersion: string | undefined;
  private readonly replay: Replay = { initialize: undefined, logLevel: undefined, subscriptions: new Map() };
  /** Set while the upstream session is being made (again): every send waits for it. */
  private ready: Promise<void> | undefined;
  private standalone: AbortController | undefined;
  private nextReplayId = 1;

  constructor(
    private readonly options: UpstreamServerOptions,
    private readonly events: ConnectionEvents,
    private readonly tag: string | undefined,
    private readonly reach: { unreachable: string | undefined },
    private readonly forget: () => void,
  ) {}

  get closed(): boolean {
    return this.ended;
  }

  send(message: InboundMessage): void {
    if (this.ended) return;
    void this.deliver(message).catch((error: unknown) => this.events.error(error as Error));
  }

  async close(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.forget();
    this.standalone?.abort();
    if (this.sessionId !== undefined) {
      await fetch(this.options.url, { method: 'DELETE', headers: this.headers(), signal: AbortSignal.timeout(DELETE_TIMEOUT_MS) }).then(
        (response) => response.body?.cancel(),
        () => undefined,
      );
    }
  }

  private async deliver(message: InboundMessage): Promise<void> {
    if (message.method === 'initialize') {
      this.replay.initialize = message.params;
      await this.post(message, true);
      return;
    }
    await this.ready;
    const outcome = await this.post(message, true);
    if (outcome === 'session-lost' && !this.ended) {
      this.options.logger.info({ session: this.tag }, 'upstream session lost: made again by replay');
      await this.reopen();
      await this.post(message, false);
    }
  }

  /**
   * POSTs one message; the answer (JSON, or an SSE stream of related
   * messages) goes to the gateway, related to the request it answers. A
   * failure is answered as the request's JSON-RPC error.
   */
  private async post(message: InboundMessage, mayRetry: boolean, relay = true): Promise<'done' | 'session-lost'> {
    const relatedId = isRequest(message) && relay ? message.id : undefined;
    let response: UpstreamResponse;
    try {
      response = await this.options.client.post(this.headers(true), JSON.stringify(message));
    } catch (error) {
      this.reach.unreachable = `the upstream server is unreachable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
      this.fail(relatedId, this.reach.unreachable);
      return 'done';
    }
    this.reach.unreachable = undefined;
    if (response.status === 202) {
      response.discard();
      if (message.method === 'notifications/initialized') this.openStandalone();
      this.remember(message, undefined);
      return 'done';
    }
    if (response.status < 200 || response.status >= 300) {
      const text = await textOf(response).catch(() => '');
      if (mayRetry && this.sessionId !== undefined && sessionLost(response.status, text)) return 'session-lost';
      this.fail(relatedId, `the upstream server answered HTTP ${response.status}${text === '' ? '' : `: ${text.slice(0, 200)}`}`);
      return 'done';
    }
    if (message.method === 'initialize') this.sessionId = response.header('mcp-session-id');
    const type = response.header('content-type') ?? '';
    let answered = false;
    const receive = (received: OutboundMessage): void => {
      if (received.id === message.id && received.method === undefined) {
        answered = true;
        this.remember(message, received);
      }
      if (relay) this.events.message(received, relatedId);
    };
    try {
      if (type.includes('text/event-stream')) await readEvents(response, receive);
      else {
        const text = await textOf(response);
        if (text !== '') for (const received of [JSON.parse(text)].flat() as OutboundMessage[]) receive(received);
      }
    } catch (error) {
      if (!answered) this.fail(relatedId, `the upstream server's answer broke off (${(error as Error).message})`);
      return 'done';
    }
    if (isRequest(message) && !answered && !this.ended) this.fail(relatedId, "the upstream server's stream ended before its answer");
    return 'done';
  }

  /** Keeps what a remade upstream session must be told again: the negotiated version, the log level, subscriptions. */
  private remember(message: InboundMessage, answer: OutboundMessage | undefined): void {
    if (answer?.error !== undefined) return;
    const params = message.params as { level?: unknown; uri?: unknown } | undefined;
    switch (message.method) {
      case 'initialize':
        this.protocolVersion = (answer?.result as { protocolVersion?: string } | undefined)?.protocolVersion;
        return;
      case 'logging/setLevel':
        this.replay.logLevel = params?.level;
        return;
      case 'resources/subscribe':
        if (typeof params?.uri === 'string') this.replay.subscriptions.set(params.uri, params);
        return;
      case 'resources/unsubscribe':
        if (typeof params?.uri === 'string') this.replay.subscriptions.delete(params.uri);
        return;
    }
  }

  /** A new upstream session, told what the lost one was told; sends wait for it. */
  private reopen(): Promise<void> {
    this.ready ??= (async () => {
      this.sessionId = undefined;
      this.standalone?.abort();
      const replay = async (method: string, params: unknown): Promise<void> => {
        await this.post({ jsonrpc: '2.0', id: `mcp-fargate-replay-${this.nextReplayId++}`, method, params }, false, false);
      };
      await replay('initialize', this.replay.initialize);
      await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' }, false, false);
      if (this.replay.logLevel !== undefined) await replay('logging/setLevel', { level: this.replay.logLevel });
      for (const params of this.replay.subscriptions.values()) await replay('resources/subscribe', params);
    })().finally(() => {
      this.ready = undefined;
    });
    return this.ready;
  }

  /** The upstream's standalone stream: server messages tied to no request, until the connection ends. */
  private openStandalone(): void {
    if (this.ended || this.standalone !== undefined) return;
    const controller = new AbortController();
    this.standalone = controller;
    void (async () => {
      while (!this.ended && !controller.signal.aborted) {
        try {
          const response = await fetch(this.options.url, { headers: { ...this.headers(), accept: 'text/event-stream' }, signal: controller.signal });
          // 405: the upstream offers no standalone stream, which the spec allows.
          if (response.status === 405 || !response.ok) {
            await response.body?.cancel();
            return;
          }
          await readStreamEvents(response, (message) => this.events.message(message, undefined));
        } catch {
          // dropped: opened again below unless the connection ended
        }
        await new Promise((resolve) => setTimeout(resolve, STREAM_RETRY_MS).unref());
      }
    })().finally(() => {
      if (this.standalone === controller) this.standalone = undefined;
    });
  }

  private headers(json = false): Record<string, string> {
    const headers: Record<string, string> = { ...this.options.headers, accept: 'application/json, text/event-stream' };
    if (json) headers['content-type'] = 'application/json';
    if (this.sessionId !== undefined) headers['mcp-session-id'] = this.sessionId;
    if (this.protocolVersion !== undefined) headers['mcp-protocol-version'] = this.protocolVersion;
    return headers;
  }

  /** Answers the request (if the message was one) with an error naming what went wrong upstream. */
  private fail(id: RequestId | undefined, reason: string): void {
    this.options.logger.warn({ session: this.tag }, reason);
    if (id !== undefined) this.events.message({ jsonrpc: '2.0', id, error: gatewayError('UPSTREAM_FAILED', reason) }, id);
  }
}

/** Whether the upstream no longer knows the session: 404 as the spec says, or the 400 some servers answer instead. */
function sessionLost(status: number, text: string): boolean {
  return status === 404 || (status === 400 && /session/i.test(text));
}

async function textOf(response: UpstreamResponse): Promise<string> {
  let text = '';
  await response.read((chunk) => {
    text += chunk;
  });
  return text;
}

/** Reads an SSE body, handing each message's data to `receive` as JSON-RPC (priming events carry none). */
async function readEvents(response: UpstreamResponse, receive: (message: OutboundMessage) => void): Promise<void> {
  let buffer = '';
  await response.read((chunk) => {
    buffer += chunk.includes('\r') ? chunk.replaceAll('\r\n', '\n') : chunk;
    for (let cut = buffer.indexOf('\n\n'); cut !== -1; cut = buffer.indexOf('\n\n')) {
      dispatchEvent(buffer.slice(0, cut), receive);
      buffer = buffer.slice(cut + 2);
    }
  });
  if (buffer.trim() !== '') dispatchEvent(buffer, receive);
}

/** Reads the standalone stream (a fetch body: it stays open for the connection's life and is not the hot path). */
async function readStreamEvents(response: Response, receive: (message: OutboundMessage) => void): Promise<void> {
  if (response.body === null) return;
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true }).replaceAll('\r\n', '\n');
    for (let cut = buffer.indexOf('\n\n'); cut !== -1; cut = buffer.indexOf('\n\n')) {
      dispatchEvent(buffer.slice(0, cut), receive);
      buffer = buffer.slice(cut + 2);
    }
  }
  if (buffer.trim() !== '') dispatchEvent(buffer, receive);
}

/** One SSE event: its data lines joined, parsed as JSON-RPC; an event without data (priming) carries nothing. */
function dispatchEvent(block: string, receive: (message: OutboundMessage) => void): void {
  const data = block
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5))
    .join('\n');
  if (data.trim() === '') return;
  try {
    receive(JSON.parse(data) as OutboundMessage);
  } catch {
    // not JSON-RPC: nothing to relay
  }
}

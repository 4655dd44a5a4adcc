/**
 * A raw MCP streamable-HTTP client for verify: plain fetch, so every check sees the status codes, the headers (the
 * serving task in `mcp-fargate-task`, cookies) and the body exactly as an agent platform's client would.
 */

export const LEGACY_VERSION = '2025-11-25';
export const MODERN_VERSION = '2026-07-28';
export const TASK_HEADER = 'mcp-fargate-task';
/** An origin no deployment allows: the Origin check must refuse it. */
export const HOSTILE_ORIGIN = 'https://verify.mcp-fargate.invalid';

const CLIENT_INFO = { name: 'mcp-fargate-verify', version: '0.1.0' };
/** No single probe request may hang a run: each has its own deadline. */
export const REQUEST_TIMEOUT_MS = 15_000;

export interface RpcAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly task: string | undefined;
  /** The JSON-RPC response in the body (JSON or SSE), if there was one. */
  readonly message: { result?: Record<string, unknown>; error?: { code: number; message: string } } | undefined;
  readonly text: string;
}

/** Cookies the way a browser-like client keeps them: name=value from Set-Cookie, sent back on every request. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const pair = line.split(';', 1)[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq > 0) this.#cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }

  header(): Record<string, string> {
    return this.#cookies.size === 0 ? {} : { cookie: [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  }

  get size(): number {
    return this.#cookies.size;
  }
}

export interface ProbeOptions {
  /** Headers every request carries (`--header`: credentials). */
  readonly headers: Readonly<Record<string, string>>;
  readonly jar?: CookieJar;
}

export class McpProbe {
  constructor(
    readonly url: string,
    readonly options: ProbeOptions,
  ) {}

  #headers(extra: Record<string, string>): Record<string, string> {
    return {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...this.options.headers,
      ...this.options.jar?.header(),
      ...extra,
    };
  }

  async #send(method: string, body: string | undefined, extra: Record<string, string>): Promise<RpcAnswer> {
    const response = await fetch(this.url, {
      method,
      headers: this.#headers(extra),
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      redirect: 'manual',
    });
    this.options.jar?.store(response.headers);
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      task: response.headers.get(TASK_HEADER) ?? undefined,
      message: parseRpc(response, text),
      text,
    };
  }

  /** A legacy `initialize`; the session id is in the answer's `mcp-session-id`. */
  initialize(extra: Record<string, string> = {}): Promise<RpcAnswer> {
    const body = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: LEGACY_VERSION, capabilities: {}, clientInfo: CLIENT_INFO } };
    return this.#send('POST', JSON.stringify(body), extra);
  }

  /** One message in a legacy session. */
  legacy(sessionId: string, message: Record<string, unknown>): Promise<RpcAnswer> {
    return this.#send('POST', JSON.stringify({ jsonrpc: '2.0', ...message }), { 'mcp-session-id': sessionId, 'mcp-protocol-version': LEGACY_VERSION });
  }

  /** Opens a legacy session: initialize, then notifications/initialized. */
  async open(): Promise<{ sessionId: string; answer: RpcAnswer }> {
    const answer = await this.initialize();
    const sessionId = answer.headers.get('mcp-session-id');
    if (answer.status !== 200 || sessionId === null || answer.message?.result === undefined) {
      throw new ProbeError(`initialize answered ${answer.status}${answer.message?.error ? ` (${answer.message.error.message})` : ''}`, answer);
    }
    await this.legacy(sessionId, { method: 'notifications/initialized' });
    return { sessionId, answer };
  }

  end(sessionId: string): Promise<RpcAnswer> {
    return this.#send('DELETE', undefined, { 'mcp-session-id': sessionId, 'mcp-protocol-version': LEGACY_VERSION });
  }

  /** A stateless 2026-07-28 request: the `_meta` envelope and the `Mcp-Method`/`Mcp-Name` headers. */
  modern(id: number, method: string, params: Record<string, unknown> = {}, name?: string): Promise<RpcAnswer> {
    const extra: Record<string, string> = { 'mcp-protocol-version': MODERN_VERSION, 'mcp-method': method };
    if (name !== undefined) extra['mcp-name'] = name;
    const meta = {
      'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
      'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    return this.#send('POST', JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: meta } }), extra);
  }

  /** Request headers for a stream opened outside this class (the idle-stream check). */
  streamHeaders(extra: Record<string, string>): Record<string, string> {
    return this.#headers(extra);
  }
}

export class ProbeError extends Error {
  constructor(
    message: string,
    readonly answer?: RpcAnswer,
  ) {
    super(message);
  }
}

function parseRpc(response: Response, text: string): RpcAnswer['message'] {
  const type = response.headers.get('content-type') ?? '';
  try {
    const messages: unknown[] = type.includes('text/event-stream')
      ? text
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => JSON.parse(line.slice(5)))
      : type.includes('json') && text !== ''
        ? [JSON.parse(text)]
        : [];
    return messages.find((m): m is NonNullable<RpcAnswer['message']> => typeof m === 'object' && m !== null && ('result' in m || 'error' in m));
  } catch {
    return undefined;
  }
}

/** Why a request failed to connect at all, in words (connection refused, DNS, TLS), from fetch's error cause. */
export function connectionProblem(error: unknown): { tls: boolean; text: string } {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (error as { code?: string }).code ?? '';
  const tls = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code);
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused: nothing listens on that host and port',
    ENOTFOUND: 'the host name does not resolve',
    ECONNRESET: 'the connection was reset',
    ETIMEDOUT: 'the connection timed out',
    UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  };
  const name = (error as Error).name;
  if (name === 'TimeoutError') return { tls: false, text: `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` };
  return { tls, text: words[code] ?? `${code === '' ? '' : `${code}: `}${cause?.message ?? (error as Error).message}` };
}

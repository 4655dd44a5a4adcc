import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, loadConfig, MemorySessionStore, startGateway, type Gateway, type GatewayOptions } from '../src/index.js';

/** The compiled entry point, as the container runs it. */
export const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

export const LEGACY_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
} as const;

export interface TestGateway {
  readonly gateway: Gateway;
  readonly url: string;
  /** Every log line the gateway wrote, as text. */
  readonly logs: () => string;
  close(): Promise<void>;
}

/** An in-process gateway on a free loopback port, logging into memory. */
export async function startTestGateway(env: Record<string, string> = {}, options: GatewayOptions = {}): Promise<TestGateway> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env });
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger(config, sink);
  const gateway = await startGateway(config, { logger, ...options });
  return {
    gateway,
    url: `http://127.0.0.1:${gateway.port}/mcp`,
    logs: () => lines.join(''),
    close: () => gateway.close(),
  };
}

/** A memory session store whose time only moves when the test says so. */
export interface ClockedStore {
  readonly store: MemorySessionStore;
  /** Lets `ms` pass for the store (and for nothing else in the gateway). */
  advance(ms: number): void;
}

/**
 * A session store on a hand-moved clock, for `startTestGateway(env, { store })`:
 * a test of session expiry moves the clock past the TTL instead of sleeping.
 * Limits not given are the configuration's defaults.
 */
export function clockedStore(options: { idleTtlMs: number; maxSessions?: number }): ClockedStore {
  const defaults = loadConfig({});
  let time = 1_700_000_000_000;
  const store = new MemorySessionStore({
    idleTtlMs: options.idleTtlMs,
    maxSessions: options.maxSessions ?? defaults.maxSessions,
    maxRecordBytes: defaults.maxRecordBytes,
    maxSubscriptions: defaults.maxSubscriptions,
    now: () => time,
  });
  return {
    store,
    advance: (ms) => {
      time += ms;
    },
  };
}

export interface SpawnedGateway {
  readonly child: ChildProcess;
  readonly url: string;
  readonly base: string;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
}

/** The gateway as its own process (what ECS runs), on a free port; resolves once `/healthz` answers 200. */
export async function spawnGateway(env: Record<string, string> = {}, timeoutMs = 10_000, nodeArgs: readonly string[] = []): Promise<SpawnedGateway> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, MAIN], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}: ${output}`);
    try {
      if ((await fetch(`${base}/healthz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
  if (Date.now() >= deadline) {
    child.kill('SIGKILL');
    throw new Error(`gateway did not become healthy in ${timeoutMs} ms: ${output}`);
  }
  return { child, url: `${base}/mcp`, base, output: () => output, exited, kill: () => child.kill('SIGKILL') };
}

export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, 'close');
  return port;
}

/** A raw legacy `initialize` over fetch, its answer unread (a test of refusals looks at its status). */
export function postInitialize(
  url: string,
  signal?: AbortSignal,
  protocolVersion = '2025-11-25',
  capabilities: Record<string, unknown> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: LEGACY_HEADERS,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion, capabilities, clientInfo: { name: 'test', version: '1' } },
    }),
    ...(signal === undefined ? {} : { signal }),
  });
}

/** A raw legacy `initialize` over fetch; returns the session id. */
export async function initializeSession(url: string, protocolVersion = '2025-11-25', capabilities: Record<string, unknown> = {}): Promise<string> {
  const response = await postInitialize(url, undefined, protocolVersion, capabilities);
  const sessionId = response.headers.get('mcp-session-id');
  await response.text();
  if (response.status !== 200 || sessionId === null) throw new Error(`initialize failed with ${response.status}`);
  await postJson(url, sessionId, { jsonrpc: '2.0', method: 'notifications/initialized' }, protocolVersion);
  return sessionId;
}

/** POSTs one message in an existing legacy session. */
export function postJson(
  url: string,
  sessionId: string,
  message: unknown,
  protocolVersion = '2025-11-25',
  extra: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { ...LEGACY_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': protocolVersion, ...extra },
    body: JSON.stringify(message),
  });
}

/** Modern (2026-07-28) request headers and body for one call. */
export function modernRequest(
  id: number | string,
  method: string,
  params: Record<string, unknown> = {},
  name?: string,
): { headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = {
    ...LEGACY_HEADERS,
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': method,
  };
  if (name !== undefined) headers['mcp-name'] = name;
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id,
    method,
    params: {
      ...params,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientInfo': { name: 'test', version: '1' },
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
  });
  return { headers, body };
}

/** Parses the `data:` lines of an SSE body into JSON-RPC messages. */
export function sseMessages(text: string): { id?: string; data: unknown }[] {
  const events: { id?: string; data: unknown }[] = [];
  for (const block of text.split('\n\n')) {
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    const joined = data.join('\n').trim();
    if (joined !== '') events.push(id === undefined ? { data: JSON.parse(joined) } : { id, data: JSON.parse(joined) });
  }
  return events;
}

/** A JSON-RPC message as it travels on the wire, loosely typed for assertions. */
export interface RpcMessage {
  readonly jsonrpc?: '2.0';
  readonly id?: string | number | null;
  readonly method?: string;
  readonly params?: Record<string, unknown>;
  readonly result?: Record<string, unknown>;
  readonly error?: { readonly code: number; readonly message: string; readonly data?: unknown };
}

/** Every JSON-RPC message of a response body, whether it came as JSON or as SSE (consumes the body). */
export async function rpcMessages(response: Response): Promise<RpcMessage[]> {
  const text = await response.text();
  if ((response.headers.get('content-type') ?? '').includes('text/event-stream')) {
    return sseMessages(text).map((event) => event.data as RpcMessage);
  }
  if (text === '') return [];
  const parsed = JSON.parse(text) as RpcMessage | RpcMessage[];
  return Array.isArray(parsed) ? parsed : [parsed];
}

/** The `_meta` envelope a 2026-07-28 request carries, plus any extra `_meta` keys (progressToken, log level). */
export function modernMeta(extra: Record<string, unknown> = {}, capabilities: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'test', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': capabilities,
    ...extra,
  };
}

/**
 * POSTs one 2026-07-28 request with the standard headers (`Mcp-Name` when given) and the envelope,
 * merging `meta` into `_meta`. The response is returned unread.
 */
export function modernPost(
  url: string,
  request: { id: number | string; method: string; params?: Record<string, unknown>; name?: string; meta?: Record<string, unknown> },
  signal?: AbortSignal,
): Promise<Response> {
  const headers: Record<string, string> = { ...LEGACY_HEADERS, 'mcp-protocol-version': '2026-07-28', 'mcp-method': request.method };
  if (request.name !== undefined) headers['mcp-name'] = request.name;
  const body = JSON.stringify({ jsonrpc: '2.0', id: request.id, method: request.method, params: { ...request.params, _meta: modernMeta(request.meta) } });
  return fetch(url, signal === undefined ? { method: 'POST', headers, body } : { method: 'POST', headers, body, signal });
}

/** An SSE response read as it arrives: the messages so far, and a bounded wait for the next one that matters. */
export interface SseReader {
  readonly messages: readonly RpcMessage[];
  /** Resolves with the first message (already received or yet to come) that matches; rejects after `timeoutMs`. */
  waitFor(predicate: (message: RpcMessage) => boolean, timeoutMs?: number): Promise<RpcMessage>;
  /** Resolves when the stream ends (server closed it, or `cancel`). */
  readonly ended: Promise<void>;
  cancel(): Promise<void>;
}

export function readSse(response: Response): SseReader {
  if (response.body === null) throw new Error(`response ${response.status} has no body`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const messages: RpcMessage[] = [];
  const waiters = new Set<{ predicate: (message: RpcMessage) => boolean; resolve: (message: RpcMessage) => void }>();
  let buffer = '';
  const ended = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true }).replaceAll('\r\n', '\n');
        for (let cut = buffer.indexOf('\n\n'); cut !== -1; cut = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, cut + 2);
          buffer = buffer.slice(cut + 2);
          for (const event of sseMessages(block)) {
            const message = event.data as RpcMessage;
            messages.push(message);
            for (const waiter of [...waiters]) {
              if (waiter.predicate(message)) {
                waiters.delete(waiter);
                waiter.resolve(message);
              }
            }
          }
        }
      }
    } catch {
      // cancelled or cut: the stream has ended either way
    }
  })();
  return {
    messages,
    ended,
    waitFor(predicate, timeoutMs = 5_000) {
      const seen = messages.find(predicate);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (message: RpcMessage) => {
            clearTimeout(timer);
            resolve(message);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching SSE message within ${timeoutMs} ms; received: ${JSON.stringify(messages)}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    async cancel() {
      await reader.cancel().catch(() => undefined);
      await ended;
    },
  };
}

/** One HTTP exchange a client made through {@link recordingFetch}. */
export interface RecordedExchange {
  readonly method: string;
  /** Request headers, lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed JSON request body, when there was one. */
  readonly body: unknown;
  readonly status: number;
  readonly contentType: string | null;
  readonly responseHeaders: Readonly<Record<string, string>>;
  /** The response body as text; an SSE body grows while the stream is open. */
  text: string;
}

/** A drop-in `fetch` for SDK client transports that records every exchange (request, status, response body). */
export function recordingFetch(): { fetch: (input: string | URL, init?: RequestInit) => Promise<Response>; exchanges: RecordedExchange[] } {
  const exchanges: RecordedExchange[] = [];
  const recorder = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const response = await fetch(input, init);
    let body: unknown;
    if (typeof init?.body === 'string') {
      try {
        body = JSON.parse(init.body);
      } catch {
        body = init.body;
      }
    }
    const exchange: RecordedExchange = {
      method: init?.method ?? 'GET',
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body,
      status: response.status,
      contentType: response.headers.get('content-type'),
      responseHeaders: Object.fromEntries(response.headers.entries()),
      text: '',
    };
    exchanges.push(exchange);
    if (response.body === null) return response;
    if (!(exchange.contentType ?? '').includes('text/event-stream')) {
      exchange.text = await response.clone().text();
      return response;
    }
    const [forClient, forRecord] = response.body.tee();
    void (async () => {
      const reader = forRecord.getReader();
      const decoder = new TextDecoder();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          exchange.text += decoder.decode(value, { stream: true });
        }
      } catch {
        // the client aborted the stream
      }
    })();
    return new Response(forClient, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return { fetch: recorder, exchanges };
}

/** Polls `check` every 10 ms until it returns true; fails after `timeoutMs` with `what`. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

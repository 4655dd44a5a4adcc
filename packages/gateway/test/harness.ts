import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, loadConfig, startGateway, type Gateway, type GatewayOptions } from '../src/index.js';

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

export interface SpawnedGateway {
  readonly child: ChildProcess;
  readonly url: string;
  readonly base: string;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
}

/** The gateway as its own process (what ECS runs), on a free port; resolves once `/healthz` answers 200. */
export async function spawnGateway(env: Record<string, string> = {}, timeoutMs = 10_000): Promise<SpawnedGateway> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env['PATH'] ?? '', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
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

/** A raw legacy `initialize` over fetch; returns the session id. */
export async function initializeSession(url: string, protocolVersion = '2025-11-25', capabilities: Record<string, unknown> = {}): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: LEGACY_HEADERS,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion, capabilities, clientInfo: { name: 'test', version: '1' } },
    }),
  });
  const sessionId = response.headers.get('mcp-session-id');
  await response.text();
  if (response.status !== 200 || sessionId === null) throw new Error(`initialize failed with ${response.status}`);
  await postJson(url, sessionId, { jsonrpc: '2.0', method: 'notifications/initialized' }, protocolVersion);
  return sessionId;
}

/** POSTs one message in an existing legacy session. */
export function postJson(url: string, sessionId: string, message: unknown, protocolVersion = '2025-11-25', extra: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { ...LEGACY_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': protocolVersion, ...extra },
    body: JSON.stringify(message),
  });
}

/** Modern (2026-07-28) request headers and body for one call. */
export function modernRequest(id: number | string, method: string, params: Record<string, unknown> = {}, name?: string): { headers: Record<string, string>; body: string } {
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

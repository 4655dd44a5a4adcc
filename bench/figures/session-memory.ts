// Memory the gateway holds per session, by what the session holds: a live server, an open standalone stream, and the
// worst a client can force on one session (a record at its cap, a live server, events kept up to the session's
// budget, an open stream). Each is measured in a fresh gateway process as the heap after gc over N such sessions.
import { errorText, type Harness, log } from '../harness.js';
import { fmtInt } from '../lib/text-table.js';
import type { MemoryRecord } from '../records.js';

const ACCEPT = 'application/json, text/event-stream';
const VERSION = '2025-11-25';

/** The caps the figures are set against: the gateway's defaults (packages/gateway/src/config.ts). */
export const MEMORY_CAPS = {
  'live session': { variable: 'MAX_LIVE_SERVERS', count: 1000 },
  'open stream': { variable: 'MAX_STREAMS', count: 1000 },
  'worst-case session': { variable: 'EVENT_STORE_BYTES / SESSION_EVENTS_BYTES', count: 64 },
} as const;

type Kind = keyof typeof MEMORY_CAPS;

interface Client {
  readonly url: string;
  /** Streams the figure keeps open until it has read the heap. */
  readonly open: AbortController[];
}

async function initialize(client: Client, clientInfoPadding = 0): Promise<string> {
  const response = await fetch(client.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 'bench', version: '1', description: 'd'.repeat(clientInfoPadding) } },
    }),
  });
  await response.text();
  const sessionId = response.headers.get('mcp-session-id');
  if (response.status !== 200 || sessionId === null) throw new Error(`initialize answered ${response.status}`);
  return sessionId;
}

function sessionHeaders(sessionId: string): Record<string, string> {
  return { 'content-type': 'application/json', accept: ACCEPT, 'mcp-session-id': sessionId, 'mcp-protocol-version': VERSION };
}

async function call(client: Client, sessionId: string, id: number, name: string, args: Record<string, unknown>, meta?: Record<string, unknown>): Promise<void> {
  const response = await fetch(client.url, {
    method: 'POST',
    headers: sessionHeaders(sessionId),
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, ...(meta === undefined ? {} : { _meta: meta }) } }),
  });
  if (response.status !== 200) throw new Error(`tools/call ${name} answered ${response.status}`);
  await response.text();
}

async function openStream(client: Client, sessionId: string): Promise<void> {
  const controller = new AbortController();
  const response = await fetch(client.url, { headers: { ...sessionHeaders(sessionId), accept: 'text/event-stream' }, signal: controller.signal });
  if (response.status !== 200) throw new Error(`GET stream answered ${response.status}`);
  client.open.push(controller);
}

/** A progress call whose stream the client cuts after the first bytes: the session keeps its events for a resume. */
async function cutProgressCall(client: Client, sessionId: string, id: number, tokenChars: number): Promise<void> {
  const controller = new AbortController();
  const response = await fetch(client.url, {
    method: 'POST',
    headers: sessionHeaders(sessionId),
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'test_tool_with_progress', arguments: {}, _meta: { progressToken: `${id}-${'p'.repeat(tokenChars)}` } },
    }),
    signal: controller.signal,
  });
  await (response.body as ReadableStream<Uint8Array>).getReader().read();
  controller.abort();
}

/** Builds one session holding what `kind` names. */
async function build(kind: Kind, client: Client, index: number): Promise<void> {
  switch (kind) {
    case 'live session': {
      const sessionId = await initialize(client);
      await call(client, sessionId, 2, 'echo', { text: `s${index}` });
      return;
    }
    case 'open stream':
      await openStream(client, await initialize(client));
      return;
    case 'worst-case session': {
      // A record close to MAX_RECORD_BYTES (8192), a live server, SESSION_EVENTS_BYTES (1 MiB) of events kept, a stream.
      const sessionId = await initialize(client, 7600);
      await call(client, sessionId, 2, 'echo', { text: `s${index}` });
      for (let i = 0; i < 4; i += 1) await cutProgressCall(client, sessionId, 10 + i, 100_000);
      await openStream(client, sessionId);
      return;
    }
  }
}

const SESSIONS: Record<Kind, number> = { 'live session': 500, 'open stream': 500, 'worst-case session': 32 };

export async function memoryFigures(harness: Harness): Promise<MemoryRecord[]> {
  const records: MemoryRecord[] = [];
  for (const kind of Object.keys(SESSIONS) as Kind[]) {
    const sessions = harness.options.quick ? Math.min(SESSIONS[kind], 50) : SESSIONS[kind];
    const record: MemoryRecord = { kind, sessions, capVariable: MEMORY_CAPS[kind].variable, capCount: MEMORY_CAPS[kind].count };
    records.push(record);
    // Room for every session the figure builds, and servers that stay live while it reads the heap.
    const gatewayDefaults = { MAX_LIVE_SERVERS: String(sessions + 10), LIVE_SERVER_IDLE_MS: '600000', MAX_STREAMS: String(sessions + 10) };
    const client: Client = { url: '', open: [] };
    try {
      await harness.withTarget('gateway', { gatewayDefaults }, async (target) => {
        const ready: Client = { url: target.mcpUrl, open: client.open };
        await build(kind, ready, -1);
        const before = await target.heap();
        log(`gateway memory: ${sessions} x ${kind}`);
        for (let i = 0; i < sessions; i += 1) await build(kind, ready, i);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const after = await target.heap();
        record.heapPerSession = (after.heapUsed - before.heapUsed) / sessions;
        record.rssPerSession = (after.rss - before.rss) / sessions;
        log(`gateway memory: ${fmtInt(record.heapPerSession)} B heap per ${kind}`);
      });
    } catch (error) {
      record.error = errorText(error);
    } finally {
      for (const controller of client.open) controller.abort();
    }
  }
  return records;
}

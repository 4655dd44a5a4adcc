/**
 * PRINCIPAL_FORWARD=meta: a stdio child (directly, and through the 2026-07-28 pool) and an upstream server learn who
 * called from `_meta`, set by the gateway and never the token; a principal a client writes there itself is replaced.
 * Without it they learn nothing. The Python fixture's `whoami` tool answers what it found in `_meta`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LEGACY_HEADERS, modernRequest, type SpawnedGateway, spawnGateway, sseMessages } from './harness.js';
import { PYTHON_FIXTURE } from './hosted-servers.js';

const KEY = 'k-principal-test-0123456789';
const AUTH = { authorization: `Bearer ${KEY}` };

async function answerOf(response: Response): Promise<{ result?: { content?: { text?: string }[] }; error?: unknown }> {
  const text = await response.text();
  const body = response.headers.get('content-type')?.startsWith('text/event-stream') ? sseMessages(text).at(-1)?.data : JSON.parse(text);
  return body as { result?: { content?: { text?: string }[] } };
}

/** A legacy session opened with the key; returns a caller of its `whoami` tool with the `_meta` the client sends. */
async function legacySession(url: string): Promise<(meta?: Record<string, unknown>) => Promise<unknown>> {
  const headers = { ...LEGACY_HEADERS, ...AUTH };
  const init = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    }),
  });
  assert.equal(init.status, 200, await init.clone().text());
  const session = { ...headers, 'mcp-session-id': init.headers.get('mcp-session-id') as string, 'mcp-protocol-version': '2025-11-25' };
  await (await fetch(url, { method: 'POST', headers: session, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).text();
  let id = 2;
  return async (meta) => {
    const params = { name: 'whoami', arguments: {}, ...(meta === undefined ? {} : { _meta: meta }) };
    const answer = await answerOf(
      await fetch(url, { method: 'POST', headers: session, body: JSON.stringify({ jsonrpc: '2.0', id: id++, method: 'tools/call', params }) }),
    );
    return JSON.parse(answer.result?.content?.[0]?.text ?? 'undefined');
  };
}

async function modernWhoami(url: string): Promise<unknown> {
  const { headers, body } = modernRequest(7, 'tools/call', { name: 'whoami', arguments: {} }, 'whoami');
  const answer = await answerOf(await fetch(url, { method: 'POST', headers: { ...headers, ...AUTH }, body }));
  return JSON.parse(answer.result?.content?.[0]?.text ?? 'undefined');
}

const principal = (seen: unknown) => seen as { sub: string; clientId: string; scopes: string[] } | null;

describe('PRINCIPAL_FORWARD=meta', () => {
  let stdio: SpawnedGateway;
  let upstream: SpawnedGateway;
  let front: SpawnedGateway;
  before(async () => {
    const keys = { AUTH_MODE: 'keys', AUTH_KEYS: KEY, PRINCIPAL_FORWARD: 'meta', MODERN_POOL_SIZE: '1' };
    stdio = await spawnGateway({ ...keys, MCP_SERVER_COMMAND: `python3 ${PYTHON_FIXTURE}` }, 30_000);
    // The upstream is itself a gateway (no auth, no forwarding) in front of the same fixture: what the front gateway
    // writes into `_meta` reaches the fixture as the upstream received it.
    upstream = await spawnGateway({ MCP_SERVER_COMMAND: `python3 ${PYTHON_FIXTURE}`, MODERN_POOL_SIZE: '1' }, 30_000);
    front = await spawnGateway({ ...keys, MCP_SERVER_URL: upstream.url }, 30_000);
  });
  after(() => {
    for (const gw of [stdio, upstream, front]) gw?.kill();
  });

  it('tells a stdio child in a legacy session who called: subject, client id and scopes, never the key', async () => {
    const whoami = await legacySession(stdio.url);
    const seen = principal(await whoami());
    assert.ok(seen !== null, 'the child saw a principal');
    assert.match(seen.sub, /^key-/);
    assert.equal(seen.clientId, seen.sub);
    assert.deepEqual(seen.scopes, []);
    assert.doesNotMatch(JSON.stringify(seen), new RegExp(KEY));
  });

  it("replaces a principal the client wrote into _meta itself with the gateway's", async () => {
    const whoami = await legacySession(stdio.url);
    const honest = principal(await whoami());
    const seen = principal(await whoami({ 'mcp-fargate/principal': { sub: 'admin', clientId: 'admin', scopes: ['*'] }, other: 1 }));
    assert.deepEqual(seen, honest);
  });

  it('tells a stdio child serving a 2026-07-28 request through the pool', async () => {
    const seen = principal(await modernWhoami(stdio.url));
    assert.ok(seen?.sub.startsWith('key-'), JSON.stringify(seen));
  });

  it('tells an upstream server, in a legacy session and in a 2026-07-28 request', async () => {
    const legacy = principal(await (await legacySession(front.url))());
    assert.ok(legacy?.sub.startsWith('key-'), JSON.stringify(legacy));
    const modern = principal(await modernWhoami(front.url));
    assert.ok(modern?.sub.startsWith('key-'), JSON.stringify(modern));
  });
});

describe('PRINCIPAL_FORWARD=none (the default)', () => {
  let gw: SpawnedGateway;
  before(async () => {
    gw = await spawnGateway({ AUTH_MODE: 'keys', AUTH_KEYS: KEY, MCP_SERVER_COMMAND: `python3 ${PYTHON_FIXTURE}`, MODERN_POOL_SIZE: '1' }, 30_000);
  });
  after(() => gw?.kill());

  it('tells a stdio child nothing of the caller', async () => {
    assert.equal(await (await legacySession(gw.url))(), null);
    assert.equal(await modernWhoami(gw.url), null);
  });
});

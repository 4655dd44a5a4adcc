import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import fc from 'fast-check';
import { McpServer } from '@modelcontextprotocol/server';
import * as z from 'zod/v4';
import { internalsOf } from '../src/gateway.js';
import { eventually, initializeSession, LEGACY_HEADERS, modernRequest, postJson, startTestGateway, type TestGateway } from './harness.js';

interface ErrorBody {
  id: unknown;
  error: { code: number; message: string; data?: { code?: string } };
}

async function expectError(response: Response, status: number, rpcCode: number): Promise<ErrorBody> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  const body = JSON.parse(text) as ErrorBody;
  assert.equal(body.error.code, rpcCode, text);
  assert.equal(typeof body.error.message, 'string');
  return body;
}

const post = (url: string, body: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { ...LEGACY_HEADERS, ...headers }, body });

/** A hosted server whose handlers misbehave in every way a handler can. */
function misbehavingServer(): McpServer {
  const server = new McpServer({ name: 'misbehaving', version: '1' });
  server.registerTool('throws', { description: 'throws synchronously' }, () => {
    throw new Error('boom');
  });
  server.registerTool('rejects', { description: 'rejects' }, async () => Promise.reject(new Error('async boom')));
  server.registerTool('hangs', { description: 'never answers' }, () => new Promise(() => {}));
  server.registerTool('echo', { description: 'echo', inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text }] }));
  return server;
}

describe('bad input: one case per row, a clear status and JSON-RPC error, never a crash', () => {
  let gw: TestGateway;
  let sessionId: string;
  before(async () => {
    gw = await startTestGateway({ MAX_BODY_BYTES: '2048' });
    sessionId = await initializeSession(gw.url);
  });
  after(async () => {
    const health = await fetch(gw.url.replace('/mcp', '/healthz'));
    assert.equal(health.status, 200, 'the gateway is still healthy after every bad request');
    await gw.close();
  });

  it('malformed JSON: 400, -32700', async () => {
    await expectError(await post(gw.url, '{"jsonrpc":"2.0",'), 400, -32700);
    await expectError(await post(gw.url, ''), 400, -32700);
  });

  it('wrong JSON-RPC shapes: 400, -32600', async () => {
    for (const body of ['{"foo":1}', '42', '"text"', 'null', '{"jsonrpc":"1.0","id":1,"method":"ping"}', '{"jsonrpc":"2.0","id":1,"method":7}', '[]']) {
      await expectError(await post(gw.url, body, { 'mcp-session-id': sessionId }), 400, -32600);
    }
  });

  it('absurd ids: objects, arrays and booleans are refused; huge numbers and long strings round-trip', async () => {
    for (const id of ['{"a":1}', '[1]', 'true']) {
      await expectError(await post(gw.url, `{"jsonrpc":"2.0","id":${id},"method":"ping"}`, { 'mcp-session-id': sessionId }), 400, -32600);
    }
    for (const id of [Number.MAX_SAFE_INTEGER, -1, 'x'.repeat(1000)]) {
      const response = await postJson(gw.url, sessionId, { jsonrpc: '2.0', id, method: 'ping' });
      assert.equal(response.status, 200);
      assert.deepEqual(((await response.json()) as { id: unknown }).id, id);
    }
  });

  it('oversized body: 413, declared or streamed', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x'.repeat(4096) } } });
    const declared = await postJson(gw.url, sessionId, JSON.parse(big));
    assert.equal(declared.headers.get('connection'), 'close', 'the unread rest of the body is not drained on a kept-alive connection');
    await expectError(declared, 413, -32000);
    const chunked = await fetch(gw.url, {
      method: 'POST',
      headers: { ...LEGACY_HEADERS, 'mcp-session-id': sessionId },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(big));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    await expectError(chunked, 413, -32000);
  });

  it('unknown methods: in-band -32601 on a session, 404 -32601 on a modern request', async () => {
    const legacy = await postJson(gw.url, sessionId, { jsonrpc: '2.0', id: 5, method: 'no/such' });
    const body = await expectError(legacy, 200, -32601);
    assert.equal(body.id, 5);
    const modern = modernRequest(6, 'no/such');
    await expectError(await post(gw.url, modern.body, modern.headers), 404, -32601);
  });

  it('wrong Content-Type: 415; wrong Accept: 406', async () => {
    await expectError(await post(gw.url, '{}', { 'content-type': 'text/plain' }), 415, -32000);
    await expectError(await post(gw.url, '{}', { accept: 'text/html' }), 406, -32000);
    const get = await fetch(gw.url, { headers: { accept: 'application/json', 'mcp-session-id': sessionId } });
    await expectError(get, 406, -32000);
  });

  it('session headers: missing id 400, unknown id 404 (never 400), unsupported version 400', async () => {
    await expectError(await post(gw.url, '{"jsonrpc":"2.0","id":1,"method":"ping"}'), 400, -32000);
    await expectError(await post(gw.url, '{"jsonrpc":"2.0","id":1,"method":"ping"}', { 'mcp-session-id': 'not-a-session' }), 404, -32001);
    await expectError(
      await post(gw.url, '{"jsonrpc":"2.0","id":1,"method":"ping"}', { 'mcp-session-id': sessionId, 'mcp-protocol-version': '1999-01-01' }),
      400,
      -32000,
    );
    await expectError(await fetch(gw.url, { method: 'DELETE' }), 400, -32000);
  });

  it('batches: refused on revisions that removed them, and empty ones always', async () => {
    const batch = JSON.stringify([
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: 2, method: 'ping' },
    ]);
    const body = await expectError(await post(gw.url, batch, { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' }), 400, -32600);
    assert.equal(body.error.data?.code, 'BATCH_NOT_SUPPORTED');
    const init = JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }]);
    await expectError(await post(gw.url, init), 400, -32600);
  });

  it('batches on a 2025-03-26 session: answered as an array', async () => {
    const old = await initializeSession(gw.url, '2025-03-26');
    const batch = JSON.stringify([
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    ]);
    const response = await post(gw.url, batch, { 'mcp-session-id': old, 'mcp-protocol-version': '2025-03-26' });
    assert.equal(response.status, 200);
    const answers = (await response.json()) as { id: number }[];
    assert.deepEqual(answers.map((answer) => answer.id).sort(), [1, 2]);
  });

  it('modern header garbage: -32020 for Mcp-Method or Mcp-Name that disagree with the body, or that are missing', async () => {
    const wrongName = modernRequest(1, 'tools/call', { name: 'echo', arguments: { text: 'x' } }, 'other');
    await expectError(await post(gw.url, wrongName.body, wrongName.headers), 400, -32020);
    const noName = modernRequest(1, 'tools/call', { name: 'echo', arguments: { text: 'x' } });
    await expectError(await post(gw.url, noName.body, noName.headers), 400, -32020);
    const wrongMethod = modernRequest(1, 'tools/list');
    await expectError(await post(gw.url, wrongMethod.body, { ...wrongMethod.headers, 'mcp-method': 'tools/call' }), 400, -32020);
    const noMethod = modernRequest(1, 'tools/list');
    const { 'mcp-method': _dropped, ...withoutMethod } = noMethod.headers;
    await expectError(await post(gw.url, noMethod.body, withoutMethod), 400, -32020);
    const badSentinel = modernRequest(1, 'tools/call', { name: 'echo', arguments: { text: 'x' } }, '=?base64?***?=');
    await expectError(await post(gw.url, badSentinel.body, badSentinel.headers), 400, -32020);
  });

  it('an unsupported modern revision: 400 naming the supported one', async () => {
    const future = modernRequest(1, 'tools/list');
    const body = future.body.replaceAll('2026-07-28', '2099-01-01');
    const answer = await expectError(await post(gw.url, body, { ...future.headers, 'mcp-protocol-version': '2099-01-01' }), 400, -32022);
    assert.match(JSON.stringify(answer), /2026-07-28/);
  });

  it('other HTTP methods: 405; other paths: 404', async () => {
    const put = await fetch(gw.url, { method: 'PUT', body: '{}' });
    assert.equal(put.headers.get('allow'), 'POST, GET, DELETE');
    await expectError(put, 405, -32000);
    await expectError(await fetch(gw.url.replace('/mcp', '/nope')), 404, -32601);
  });

  it('a request line or header the HTTP parser rejects: 400 with a JSON-RPC body', async () => {
    const port = new URL(gw.url).port;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\u0001: x\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString('utf8')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1.1 400/);
    assert.match(answer, /"code":-32600/);
  });

  it('a duplicate id while the first is still running: refused, the first still answered', async () => {
    const first = postJson(gw.url, sessionId, { jsonrpc: '2.0', id: 'dup', method: 'tools/call', params: { name: 'slow', arguments: { ms: 300 } } });
    await eventually(() => internalsOf(gw.gateway).sessions.pendingRequests > 0, 'the first request to reach the server');
    await expectError(await postJson(gw.url, sessionId, { jsonrpc: '2.0', id: 'dup', method: 'ping' }), 400, -32600);
    assert.match(await (await first).text(), /slept 300 ms/);
  });

  it('fuzzed bodies and headers never produce a 5xx', async () => {
    const headerValue = fc.string({ maxLength: 40 }).filter((value) => /^[\x20-\x7e]*$/.test(value));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.json(),
          fc.string({ maxLength: 200 }),
          fc.jsonValue().map((value) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: value })),
        ),
        fc.record({ 'mcp-protocol-version': headerValue, 'mcp-method': headerValue, 'mcp-name': headerValue }, { requiredKeys: [] }),
        fc.boolean(),
        async (body, headers, withSession) => {
          const response = await post(gw.url, body, { ...headers, ...(withSession ? { 'mcp-session-id': sessionId } : {}) });
          const text = await response.text();
          assert.ok(response.status < 500, `${response.status} for ${body} ${JSON.stringify(headers)}: ${text}`);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('a hosted server that throws, rejects or never answers', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ HANDLER_TIMEOUT_MS: '300' }, { factory: misbehavingServer });
  });
  after(() => gw.close());

  const call = (sessionId: string, id: number, name: string): Promise<Response> =>
    postJson(gw.url, sessionId, { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: name === 'echo' ? { text: 'still here' } : {} } });

  it('answers each failure for that request alone, and every other session carries on', async () => {
    const [broken, healthy] = await Promise.all([initializeSession(gw.url), initializeSession(gw.url)]);
    for (const [id, name] of [
      [2, 'throws'],
      [3, 'rejects'],
    ] as const) {
      const response = await call(broken, id, name);
      assert.equal(response.status, 200);
      const body = (await response.json()) as { id: number; result?: { isError?: boolean } };
      assert.equal(body.id, id);
      assert.equal(body.result?.isError, true);
    }
    const hung = call(broken, 4, 'hangs');
    const meanwhile = await call(healthy, 5, 'echo');
    assert.match(await meanwhile.text(), /still here/);
    const timedOut = await expectError(await hung, 200, -32001);
    assert.equal(timedOut.id, 4);
    assert.match(await (await call(broken, 6, 'echo')).text(), /still here/);
    const modern = modernRequest(7, 'tools/call', { name: 'hangs', arguments: {} }, 'hangs');
    await expectError(await post(gw.url, modern.body, modern.headers), 200, -32001);
  });
});

describe('Host and Origin', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw.close());

  const initialize = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
  });

  it('passes requests without Origin and loopback origins; refuses others with 403', async () => {
    assert.equal((await post(gw.url, initialize)).status, 200);
    assert.equal((await post(gw.url, initialize, { origin: 'http://localhost:5173' })).status, 200);
    await expectError(await post(gw.url, initialize, { origin: 'https://evil.example' }), 403, -32000);
  });

  it('refuses a Host that is not on the list with 403 (DNS rebinding)', async () => {
    const port = new URL(gw.url).port;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write(
          `POST /mcp HTTP/1.1\r\nHost: evil.example\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\ncontent-length: ${initialize.length}\r\nconnection: close\r\n\r\n${initialize}`,
        ),
      );
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString('utf8')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1.1 403/);
    assert.match(answer, /FORBIDDEN_HOST/);
  });

  it('takes configured allowlists', async (t) => {
    const custom = await startTestGateway({ ALLOWED_ORIGINS: 'https://agents.example.com' });
    t.after(() => custom.close());
    assert.equal((await post(custom.url, initialize, { origin: 'https://agents.example.com' })).status, 200);
    await expectError(await post(custom.url, initialize, { origin: 'http://localhost:3000' }), 403, -32000);
  });
});

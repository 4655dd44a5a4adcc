import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { initializeSession, postJson, startTestGateway } from './harness.js';

/** A raw connection to the gateway, collecting what it answers. */
async function rawConnection(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<number> }> {
  const started = Date.now();
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  socket.on('error', () => undefined);
  const closed = once(socket, 'close').then(() => Date.now() - started);
  return { socket, received: () => text, closed };
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await sleep(10);
}

describe('load-balancer fitness', () => {
  it('keeps idle connections 125 s by default, longer than the ALB idle timeout', async (t) => {
    const gw = await startTestGateway();
    t.after(() => gw.close());
    const response = await fetch(gw.url.replace('/mcp', '/healthz'));
    await response.text();
    assert.equal(response.headers.get('keep-alive'), 'timeout=125');
  });

  it('keeps a kept-alive connection usable after it idled longer than the headers timeout (Node 24 times them apart)', async (t) => {
    const gw = await startTestGateway({ KEEP_ALIVE_TIMEOUT_MS: '5000', HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '2000' });
    t.after(() => gw.close());
    const { socket, received } = await rawConnection(gw.gateway.port);
    t.after(() => socket.destroy());
    const request = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
    socket.write(request);
    await until(() => received().includes('"status":"ok"'), 2000);
    await sleep(1800);
    socket.write(request);
    await until(() => (received().match(/HTTP\/1\.1 200/g) ?? []).length === 2, 2000);
    assert.equal((received().match(/HTTP\/1\.1 200/g) ?? []).length, 2, received());
  });

  it('cuts a client that sends its headers slowly within a second of HEADERS_TIMEOUT_MS, with 408', async (t) => {
    const gw = await startTestGateway({ HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '2000' });
    t.after(() => gw.close());
    const { socket, received, closed } = await rawConnection(gw.gateway.port);
    socket.write('POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const trickle = setInterval(() => socket.writable && socket.write('x-slow: 1\r\n'), 200);
    t.after(() => clearInterval(trickle));
    const afterMs = await closed;
    assert.ok(afterMs < 2500, `cut after ${afterMs} ms`);
    assert.match(received(), /^HTTP\/1\.1 408 /);
  });

  it('cuts a request whose body stalls within a second of REQUEST_TIMEOUT_MS', async (t) => {
    const gw = await startTestGateway({ HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '1500' });
    t.after(() => gw.close());
    const { socket, closed } = await rawConnection(gw.gateway.port);
    socket.write(
      'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\ncontent-length: 100\r\n\r\n{"jsonrpc"',
    );
    const afterMs = await closed;
    assert.ok(afterMs < 3000, `cut after ${afterMs} ms`);
  });

  it('warns at start when the keep-alive would close connections before the ALB does', async (t) => {
    const gw = await startTestGateway({ KEEP_ALIVE_TIMEOUT_MS: '60000' });
    t.after(() => gw.close());
    assert.match(gw.logs(), /"level":40.*KEEP_ALIVE_TIMEOUT_MS is not above the load balancer's idle timeout \(LB_IDLE_TIMEOUT_MS, 120000 ms\)/);
    const quiet = await startTestGateway();
    t.after(() => quiet.close());
    assert.doesNotMatch(quiet.logs(), /KEEP_ALIVE_TIMEOUT_MS is not above/);
    // A stack with a 30 s idle timeout sets a 35 s keep-alive: no warning for what fits its own load balancer.
    const short = await startTestGateway({ KEEP_ALIVE_TIMEOUT_MS: '35000', LB_IDLE_TIMEOUT_MS: '30000' });
    t.after(() => short.close());
    assert.doesNotMatch(short.logs(), /KEEP_ALIVE_TIMEOUT_MS is not above/);
  });

  it('beats a comment heartbeat on SSE streams and turns proxy buffering off', async (t) => {
    const gw = await startTestGateway({ SSE_HEARTBEAT_MS: '100' });
    t.after(() => gw.close());
    const sessionId = await initializeSession(gw.url);
    const controller = new AbortController();
    const stream = await fetch(gw.url, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
      signal: controller.signal,
    });
    assert.equal(stream.headers.get('x-accel-buffering'), 'no');
    assert.match(stream.headers.get('mcp-fargate-task') ?? '', /^[0-9a-f]{12}$/);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const started = Date.now();
    while ((text.match(/: keepalive/g) ?? []).length < 2 && Date.now() - started < 3000) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    controller.abort();
    assert.ok((text.match(/: keepalive/g) ?? []).length >= 2, text);
  });

  it('leaves the task header off when asked', async (t) => {
    const gw = await startTestGateway({ TASK_HEADER: 'off' });
    t.after(() => gw.close());
    const sessionId = await initializeSession(gw.url);
    const response = await postJson(gw.url, sessionId, { jsonrpc: '2.0', id: 2, method: 'ping' });
    await response.text();
    assert.equal(response.headers.get('mcp-fargate-task'), null);
  });
});

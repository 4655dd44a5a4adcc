import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { initializeSession, LEGACY_HEADERS, modernRequest, postJson, spawnGateway } from './harness.js';

const FIXTURE_CUT_STREAM = fileURLToPath(new URL('./fixtures/cut-stream-server.js', import.meta.url));

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'drain', version: '1' } },
});

describe('drain on SIGTERM', () => {
  it('finishes in-flight requests, refuses new sessions, closes streams with a retry hint, and exits 0 in time', async (t) => {
    const gw = await spawnGateway({ DRAIN_TIMEOUT_MS: '10000' });
    t.after(() => gw.kill());
    const sessionId = await initializeSession(gw.url);
    const standalone = await fetch(gw.url, {
      method: 'GET',
      headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
    });
    assert.equal(standalone.status, 200);
    const standaloneText = standalone.text();

    const legacyCalls = [0, 1, 2].map((i) =>
      postJson(gw.url, sessionId, { jsonrpc: '2.0', id: 10 + i, method: 'tools/call', params: { name: 'slow', arguments: { ms: 1500 } } }),
    );
    const modern = modernRequest(99, 'tools/call', { name: 'slow', arguments: { ms: 1500 } }, 'slow');
    const modernCall = fetch(gw.url, { method: 'POST', headers: modern.headers, body: modern.body });
    await sleep(200);

    const signalledAt = Date.now();
    gw.child.kill('SIGTERM');
    await sleep(100);

    const health = await raw(gw.base, 'GET', '/healthz');
    assert.equal(health.status, 503);
    assert.equal((JSON.parse(health.body) as { status: string }).status, 'draining');

    const refused = await raw(gw.base, 'POST', '/mcp', INITIALIZE);
    assert.equal(refused.status, 503);
    assert.ok(Number(refused.headers['retry-after']) > 0);
    assert.equal(refused.headers['connection'], 'close');

    for (const call of legacyCalls) {
      const response = await call;
      assert.equal(response.status, 200);
      assert.match(await response.text(), /slept 1500 ms/);
    }
    const modernResponse = await modernCall;
    assert.equal(modernResponse.status, 200);
    assert.match(await modernResponse.text(), /slept 1500 ms/);
    assert.match(await standaloneText, /retry: \d+/);

    const exit = await gw.exited;
    assert.equal(exit.code, 0);
    assert.ok(Date.now() - signalledAt < 10_000, 'exits well inside the drain timeout');
    assert.match(gw.output(), /"msg":"drained"/);
  });

  it('waits for a request whose stream was cut, so its client can still resume it here', async (t) => {
    const gw = await spawnGateway({ DRAIN_TIMEOUT_MS: '10000', MCP_SERVER: FIXTURE_CUT_STREAM });
    t.after(() => gw.kill());
    const sessionId = await initializeSession(gw.url);
    const cut = await postJson(gw.url, sessionId, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'cut_then_work', arguments: {} } });
    const primed = await cut.text();
    const primeId = /id: ([^\n]+)\n/.exec(primed)?.[1];
    assert.ok(primeId, primed);
    gw.child.kill('SIGTERM');
    await sleep(100);
    const resumed = await raw(gw.base, 'GET', '/mcp', undefined, { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'last-event-id': primeId });
    assert.equal(resumed.status, 200);
    assert.match(resumed.body, /worked after the cut/);
    assert.equal((await gw.exited).code, 0);
  });

  it('exits at the drain timeout when a request never finishes', async (t) => {
    const gw = await spawnGateway({ DRAIN_TIMEOUT_MS: '500' });
    t.after(() => gw.kill());
    const sessionId = await initializeSession(gw.url);
    const stuck = callThatNeverEnds(gw.url, sessionId);
    await sleep(100);
    const signalledAt = Date.now();
    gw.child.kill('SIGTERM');
    const exit = await gw.exited;
    assert.equal(exit.code, 0);
    assert.ok(Date.now() - signalledAt < 3000);
    await stuck;
  });

  it('exits at once on a second signal', async (t) => {
    const gw = await spawnGateway({ DRAIN_TIMEOUT_MS: '20000' });
    t.after(() => gw.kill());
    const sessionId = await initializeSession(gw.url);
    const stuck = callThatNeverEnds(gw.url, sessionId);
    await sleep(100);
    gw.child.kill('SIGTERM');
    await sleep(200);
    const signalledAt = Date.now();
    gw.child.kill('SIGINT');
    const exit = await gw.exited;
    assert.notEqual(exit.code, 0);
    assert.ok(Date.now() - signalledAt < 2000);
    await stuck;
  });
});

/** A tools/call that outlives any drain; the caller awaits its (cut) end. */
function callThatNeverEnds(url: string, sessionId: string): Promise<unknown> {
  return postJson(url, sessionId, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'slow', arguments: { ms: 60000 } } }).catch(
    (error: unknown) => error,
  );
}

/**
 * A request on a fresh connection (a pooled keep-alive socket may be the one
 * the drain just closed), keeping the raw headers: fetch hides `connection`.
 */
function raw(
  base: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = LEGACY_HEADERS,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

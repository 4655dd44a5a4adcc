import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  type ClockedStore,
  clockedStore,
  eventually,
  initializeSession,
  LEGACY_HEADERS,
  postInitialize,
  postJson,
  sseMessages,
  startTestGateway,
  type TestGateway,
} from './harness.js';
import { internalsOf } from '../src/gateway.js';

async function callTool(
  url: string,
  sessionId: string,
  id: number,
  name: string,
  args: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<Response> {
  return postJson(url, sessionId, { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, ...extra } });
}

/** Every JSON-RPC message of a response, whether it came as JSON or as SSE. */
async function messagesOf(response: Response): Promise<Record<string, unknown>[]> {
  const text = await response.text();
  if ((response.headers.get('content-type') ?? '').includes('text/event-stream')) {
    return sseMessages(text).map((event) => event.data as Record<string, unknown>);
  }
  return [JSON.parse(text) as Record<string, unknown>];
}

/** The session TTL of the store the tests move by hand. */
const SESSION_TTL_MS = 1000;

describe('legacy session lifecycle', () => {
  // Live servers stay until a test evicts them (the default idle time is a minute); sessions expire when a test moves the store's clock.
  let gw: TestGateway;
  let clock: ClockedStore;
  before(async () => {
    clock = clockedStore({ idleTtlMs: SESSION_TTL_MS, maxSessions: 50 });
    gw = await startTestGateway({}, { store: clock.store });
  });
  after(() => gw.close());

  it('answers 404 after DELETE, and a new initialize works', async () => {
    const sessionId = await initializeSession(gw.url);
    const deleted = await fetch(gw.url, { method: 'DELETE', headers: { 'mcp-session-id': sessionId } });
    assert.equal(deleted.status, 200);
    const after = await callTool(gw.url, sessionId, 2, 'echo', { text: 'x' });
    assert.equal(after.status, 404);
    assert.equal(((await after.json()) as { error: { data: { code: string } } }).error.data.code, 'UNKNOWN_SESSION');
    const again = await fetch(gw.url, { method: 'DELETE', headers: { 'mcp-session-id': sessionId } });
    assert.equal(again.status, 404);
    const fresh = await initializeSession(gw.url);
    assert.notEqual(fresh, sessionId);
    assert.equal((await callTool(gw.url, fresh, 2, 'echo', { text: 'x' })).status, 200);
  });

  it('serves a session idle for exactly its TTL, answers 404 once the TTL has passed, and a new initialize works', async () => {
    const sessionId = await initializeSession(gw.url);
    clock.advance(SESSION_TTL_MS);
    const kept = await callTool(gw.url, sessionId, 2, 'echo', { text: 'x' });
    assert.equal(kept.status, 200);
    await kept.text();
    clock.advance(SESSION_TTL_MS + 1);
    const expired = await callTool(gw.url, sessionId, 2, 'echo', { text: 'x' });
    assert.equal(expired.status, 404);
    await expired.text();
    const fresh = await initializeSession(gw.url);
    assert.equal((await callTool(gw.url, fresh, 2, 'echo', { text: 'y' })).status, 200);
  });

  it('issues unguessable session ids of at least 128 bits', async () => {
    const ids = await Promise.all([1, 2, 3, 4].map(() => initializeSession(gw.url)));
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.ok(Buffer.from(id, 'base64url').length >= 16, id);
  });

  it('rebuilds an evicted live server with the same client capabilities, log level and subscriptions', async () => {
    const sessionId = await initializeSession(gw.url, '2025-11-25', { sampling: {} });
    const level = await postJson(gw.url, sessionId, { jsonrpc: '2.0', id: 2, method: 'logging/setLevel', params: { level: 'warning' } });
    assert.equal(level.status, 200);
    await level.text();
    const subscribe = await postJson(gw.url, sessionId, { jsonrpc: '2.0', id: 3, method: 'resources/subscribe', params: { uri: 'test://watched-resource' } });
    assert.equal(subscribe.status, 200);
    await subscribe.text();
    const rebuildsBefore = internalsOf(gw.gateway).sessions.rebuilds;
    assert.equal(internalsOf(gw.gateway).sessions.evict(sessionId), true);

    // The rebuilt server must still know the subscription...
    const update = await messagesOf(await callTool(gw.url, sessionId, 4, 'update_watched_resource'));
    assert.match(JSON.stringify(update.at(-1)), /Sent notifications\/resources\/updated/);
    assert.equal(internalsOf(gw.gateway).sessions.rebuilds, rebuildsBefore + 1);
    // ...the log level (info lines are below warning, so none may arrive)...
    const logged = await messagesOf(await callTool(gw.url, sessionId, 5, 'test_tool_with_logging'));
    assert.deepEqual(
      logged.filter((message) => message['method'] === 'notifications/message'),
      [],
    );
    // ...and the client's sampling capability: the server asks the client, on the tool call's stream.
    const sampling = await callTool(gw.url, sessionId, 6, 'test_sampling', { prompt: 'hi' });
    assert.match(sampling.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = sampling.body!.getReader();
    let text = '';
    while (!text.includes('sampling/createMessage')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    const request = sseMessages(text.slice(0, text.lastIndexOf('\n\n') + 2))
      .map((event) => event.data as { id: number; method?: string })
      .find((message) => message.method === 'sampling/createMessage');
    assert.ok(request, text);
    const answer = await postJson(gw.url, sessionId, {
      jsonrpc: '2.0',
      id: request.id,
      result: { role: 'assistant', content: { type: 'text', text: 'sampled' }, model: 'test', stopReason: 'endTurn' },
    });
    assert.equal(answer.status, 202);
    let rest = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += Buffer.from(value).toString('utf8');
    }
    assert.match(rest, /sampled/);
  });

  // On the wall clock: this is the sweeper's own timer at work (the boundaries are in session-manager.test.ts, on a fake clock).
  it('evicts idle live servers on its own and serves their sessions again', async (t) => {
    const idle = await startTestGateway({ LIVE_SERVER_IDLE_MS: '200' });
    t.after(() => idle.close());
    const sessionId = await initializeSession(idle.url);
    const built = await callTool(idle.url, sessionId, 2, 'echo', { text: 'built' });
    await built.text();
    assert.equal(internalsOf(idle.gateway).sessions.liveCount, 1);
    await eventually(() => internalsOf(idle.gateway).sessions.liveCount === 0, 'the idle live server to be evicted');
    const response = await callTool(idle.url, sessionId, 3, 'echo', { text: 'back' });
    assert.equal(response.status, 200);
    assert.match(await response.text(), /back/);
  });

  for (const evicted of [false, true]) {
    it(`resumes a cut stream from Last-Event-ID without losing a message${evicted ? ', after its live server was evicted' : ''}`, async () => {
      const sessionId = await initializeSession(gw.url);
      const response = await callTool(gw.url, sessionId, 7, 'test_tool_with_progress', {}, { _meta: { progressToken: 'p-1' } });
      assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
      const reader = response.body!.getReader();
      let text = '';
      // Read up to the first real event, then cut the connection mid-stream.
      while (!/id: [\w-]+\.\d+\.[1-9]\d*\n/.test(text)) {
        const { value, done } = await reader.read();
        assert.equal(done, false, 'the stream ended before its first event');
        text += Buffer.from(value).toString('utf8');
      }
      await reader.cancel();
      const seen = sseMessages(text.slice(0, text.lastIndexOf('\n\n') + 2));
      const lastId = seen.at(-1)?.id;
      assert.ok(lastId);
      // The call finishes while nobody listens: its events must wait for the resume.
      await eventually(() => internalsOf(gw.gateway).sessions.pendingRequests === 0, 'the tool call to finish');
      if (evicted) assert.equal(internalsOf(gw.gateway).sessions.evict(sessionId), true, 'the call has finished: its server may go');
      const resumed = await fetch(gw.url, {
        method: 'GET',
        headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25', 'last-event-id': lastId },
      });
      assert.equal(resumed.status, 200);
      const rest = sseMessages(await resumed.text());
      const all = [...seen, ...rest].map((event) => event.data as { method?: string; params?: { progress?: number }; result?: unknown });
      assert.deepEqual(
        all.filter((message) => message.method === 'notifications/progress').map((message) => message.params?.progress),
        [0, 50, 100],
      );
      assert.ok(all.at(-1)?.result, 'the tool result arrives after the resume');
      const ids = [...seen, ...rest].map((event) => event.id);
      assert.equal(new Set(ids).size, ids.length, 'no event is delivered twice');
    });
  }

  it('answers 400 (not 404: the session is fine) for a Last-Event-ID this session never issued', async () => {
    const sessionId = await initializeSession(gw.url);
    const response = await fetch(gw.url, {
      method: 'GET',
      headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'last-event-id': 'abcd.99.1' },
    });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: { data: { code: string } } }).error.data.code, 'UNKNOWN_EVENT_ID');
  });

  it('answers a request still running when its session is deleted, instead of leaving it hanging', async () => {
    const sessionId = await initializeSession(gw.url);
    const pending = callTool(gw.url, sessionId, 2, 'slow', { ms: 5000 });
    await eventually(() => internalsOf(gw.gateway).sessions.pendingRequests > 0, 'the slow call to reach the server');
    const deleted = await fetch(gw.url, { method: 'DELETE', headers: { 'mcp-session-id': sessionId } });
    assert.equal(deleted.status, 200);
    const answer = (await (await pending).json()) as { id: number; error?: { code: number; data?: { code?: string } } };
    assert.equal(answer.id, 2);
    assert.equal(answer.error?.code, -32000);
  });

  it('counts a session whose TTL has passed as gone when it decides the limit', async (t) => {
    const limitedClock = clockedStore({ idleTtlMs: SESSION_TTL_MS, maxSessions: 1 });
    const limited = await startTestGateway({}, { store: limitedClock.store });
    t.after(() => limited.close());
    await initializeSession(limited.url);
    await assert.rejects(initializeSession(limited.url), /initialize failed with 503/, 'the one session is live: the limit holds');
    limitedClock.advance(SESSION_TTL_MS + 1);
    await initializeSession(limited.url);
  });

  it('refuses a second standalone GET stream with 409 and delivers notifications on the first', async () => {
    const sessionId = await initializeSession(gw.url);
    const headers = { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    const controller = new AbortController();
    const stream = await fetch(gw.url, { method: 'GET', headers, signal: controller.signal });
    assert.equal(stream.status, 200);
    const second = await fetch(gw.url, { method: 'GET', headers });
    assert.equal(second.status, 409);
    await second.text();
    const subscribed = await postJson(gw.url, sessionId, { jsonrpc: '2.0', id: 2, method: 'resources/subscribe', params: { uri: 'test://watched-resource' } });
    await subscribed.text();
    await (await callTool(gw.url, sessionId, 3, 'update_watched_resource')).text();
    const reader = stream.body!.getReader();
    let text = '';
    while (!text.includes('notifications/resources/updated')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    controller.abort();
    assert.match(text, /test:\/\/watched-resource/);
  });
});

describe('session start', () => {
  it('lazy (default): initialize builds no server; the first request that needs one does', async (t) => {
    const gw = await startTestGateway();
    t.after(() => gw.close());
    const sessionId = await initializeSession(gw.url);
    assert.equal(internalsOf(gw.gateway).sessions.liveCount, 0);
    const answer = await callTool(gw.url, sessionId, 2, 'echo', { text: 'built now' });
    assert.match(await answer.text(), /built now/);
    assert.equal(internalsOf(gw.gateway).sessions.liveCount, 1);
  });

  it("lazy: initialize params the server would refuse get the server's own error, and no session", async (t) => {
    const gw = await startTestGateway();
    t.after(() => gw.close());
    await initializeSession(gw.url);
    const response = await fetch(gw.url, {
      method: 'POST',
      headers: LEGACY_HEADERS,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25' } }),
    });
    assert.equal(response.headers.get('mcp-session-id'), null);
    const body = (await response.json()) as { id: number; error?: { code: number; message: string } };
    assert.equal(body.id, 1);
    assert.ok(body.error !== undefined && body.error.code < 0, JSON.stringify(body));
    assert.equal(await internalsOf(gw.gateway).sessions.count(), 1);
  });

  it('eager: initialize builds the server at once', async (t) => {
    const gw = await startTestGateway({ SESSION_INIT: 'eager' });
    t.after(() => gw.close());
    const sessionId = await initializeSession(gw.url);
    assert.equal(internalsOf(gw.gateway).sessions.liveCount, 1);
    assert.match(await (await callTool(gw.url, sessionId, 2, 'echo', { text: 'eager' })).text(), /eager/);
  });
});

describe('bounded event store', () => {
  it('refuses a resume whose events were already dropped (400), rather than losing them silently', async (t) => {
    const gw = await startTestGateway({ EVENT_STORE_SIZE: '2' });
    t.after(() => gw.close());
    const sessionId = await initializeSession(gw.url);
    const response = await callTool(gw.url, sessionId, 2, 'test_tool_with_progress', {}, { _meta: { progressToken: 'p' } });
    const text = await response.text();
    const prime = /id: ([^\n]+\.0)\n/.exec(text)?.[1];
    assert.ok(prime, text);
    const resumed = await fetch(gw.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'last-event-id': prime } });
    assert.equal(resumed.status, 400);
    assert.equal(((await resumed.json()) as { error: { data: { code: string } } }).error.data.code, 'EVENT_GAP');
  });

  it('issues no event ids when resumption is off', async (t) => {
    const gw = await startTestGateway({ EVENT_STORE_SIZE: '0' });
    t.after(() => gw.close());
    const sessionId = await initializeSession(gw.url);
    const text = await (await callTool(gw.url, sessionId, 2, 'test_tool_with_progress', {}, { _meta: { progressToken: 'p' } })).text();
    assert.match(text, /notifications\/progress/);
    assert.doesNotMatch(text, /^id: /m);
  });
});

describe('session limits', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ MAX_SESSIONS: '2' });
  });
  after(() => gw.close());

  it('answers initialize with 503 and Retry-After once the maximum is reached', async () => {
    await initializeSession(gw.url);
    await initializeSession(gw.url);
    const full = await postInitialize(gw.url);
    assert.equal(full.status, 503);
    assert.ok(Number(full.headers.get('retry-after')) > 0);
    const body = (await full.json()) as { id: number; error: { data: { code: string } } };
    assert.equal(body.id, 1);
    assert.equal(body.error.data.code, 'SESSIONS_FULL');
  });
});

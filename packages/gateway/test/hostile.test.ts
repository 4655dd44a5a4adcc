import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { heapProbe, type HeapProbe } from './inspector.js';
import { initializeSession, LEGACY_HEADERS, modernMeta, type SpawnedGateway, spawnGateway } from './harness.js';

/**
 * What a hostile client can do to a real gateway process, with limits small
 * enough to reach in a test. Every answer is checked the same way: it comes
 * (never a hang), it is no 5xx but 503 load shedding, an error carries a
 * JSON-RPC error body, and the process neither crashes nor leaks: the heap
 * goes back to its baseline once the hostile work is over.
 *
 * `HOSTILE_LONG=1` (npm run test:hostile) runs the fuzzing long enough for
 * more than 100,000 requests.
 */
const LONG = process.env['HOSTILE_LONG'] === '1';
const FUZZ_RUNS = LONG ? 100_000 : 400;

const LIMITS = {
  MAX_SESSIONS: '300',
  MAX_LIVE_SERVERS: '20',
  MAX_STREAMS: '40',
  MAX_CONCURRENT_REQUESTS: '64',
  MAX_REQUESTS_PER_SESSION: '8',
  MAX_SUBSCRIPTIONS: '16',
  MAX_URI_BYTES: '512',
  MAX_RECORD_BYTES: '4096',
  MAX_BODY_BYTES: '262144',
  SESSION_EVENTS_BYTES: '65536',
  EVENT_STORE_BYTES: '1048576',
  HANDLER_TIMEOUT_MS: '3000',
  // Short enough to watch slow clients being cut, long enough that a loaded machine does not cut honest ones.
  HEADERS_TIMEOUT_MS: '2000',
  REQUEST_TIMEOUT_MS: '3000',
  SESSION_IDLE_TTL_MS: '600000',
  LIVE_SERVER_IDLE_MS: '500',
  SSE_HEARTBEAT_MS: '1000',
} as const;

/** How far above its baseline the heap may stay after hostile work, once that work is over. */
const HEAP_TOLERANCE_BYTES = 6 * 1024 * 1024;
/** An answer later than this is a hang. */
const ANSWER_WITHIN_MS = 15_000;

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** Sends and reads one request; a hang fails. */
async function send(url: string, init: RequestInit): Promise<Answer> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(ANSWER_WITHIN_MS) });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The invariants every answer keeps, whatever was sent. */
function checkAnswer(answer: Answer, sent: string): void {
  const what = `${answer.status} for ${sent.slice(0, 300)}: ${answer.text.slice(0, 300)}`;
  assert.ok(answer.status < 500 || answer.status === 503, `a 5xx other than load shedding: ${what}`);
  if (answer.status === 503 || answer.status === 429) assert.ok(answer.headers.get('retry-after'), `no Retry-After: ${what}`);
  if (answer.status >= 400) {
    const body = JSON.parse(answer.text) as { jsonrpc?: string; error?: { code?: unknown; message?: unknown } };
    assert.equal(body.jsonrpc, '2.0', what);
    assert.equal(typeof body.error?.code, 'number', what);
    assert.equal(typeof body.error?.message, 'string', what);
  }
}

function errorCode(answer: Answer): string | undefined {
  return (JSON.parse(answer.text) as { error?: { data?: { code?: string } } }).error?.data?.code;
}

const deep = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('hostile clients against a gateway process', () => {
  let gw: SpawnedGateway;
  let heap: HeapProbe;
  let baseline = 0;
  const figures: Record<string, number> = {};

  const post = (body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Answer> =>
    send(gw.url, { method: 'POST', headers: { ...LEGACY_HEADERS, ...headers }, body });
  const inSession = (sessionId: string, body: unknown, version = '2025-11-25'): Promise<Answer> =>
    post(JSON.stringify(body), { 'mcp-session-id': sessionId, 'mcp-protocol-version': version });
  const callTool = (sessionId: string, id: number | string, name: string, args: Record<string, unknown>, meta?: Record<string, unknown>): Promise<Answer> =>
    inSession(sessionId, { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, ...(meta === undefined ? {} : { _meta: meta }) } });
  const remove = async (sessionId: string): Promise<void> => {
    await send(gw.url, { method: 'DELETE', headers: { 'mcp-session-id': sessionId } });
  };
  const health = async (): Promise<{ liveServers: number; sessions: number }> =>
    (await (await fetch(`${gw.base}/healthz`)).json()) as { liveServers: number; sessions: number };
  /** The heap, after the gateway had a moment to let go of what the last case held. */
  const heapBackToBaseline = async (label: string): Promise<void> => {
    let used = await heap.usedAfterGc();
    for (let i = 0; i < 20 && used > baseline + HEAP_TOLERANCE_BYTES; i += 1) {
      await sleep(250);
      used = await heap.usedAfterGc();
    }
    figures[`heap after ${label} (KiB over baseline)`] = Math.round((used - baseline) / 1024);
    assert.ok(used <= baseline + HEAP_TOLERANCE_BYTES, `${label}: heap ${used} is more than ${HEAP_TOLERANCE_BYTES} above its baseline ${baseline}`);
  };

  before(async () => {
    gw = await spawnGateway({ ...LIMITS, LOG_LEVEL: 'warn' }, 10_000, ['--inspect=127.0.0.1:0']);
    heap = await heapProbe(gw);
    // Warm up every path once, so the baseline holds the code and caches a first request builds.
    const sessionId = await initializeSession(gw.url);
    await callTool(sessionId, 2, 'test_tool_with_progress', {}, { progressToken: 'warm' });
    await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: modernMeta() } }), {
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/list',
    });
    await remove(sessionId);
    baseline = await heap.usedAfterGc();
    figures['heap baseline (KiB)'] = Math.round(baseline / 1024);
  });

  after(async () => {
    heap?.close();
    const output = gw?.output() ?? '';
    gw?.kill();
    process.stdout.write(`# hostile figures: ${JSON.stringify(figures)}\n`);
    assert.doesNotMatch(output, /Unhandled|uncaught|ERR_UNHANDLED_REJECTION/i, 'no unhandled rejection or exception');
  });

  it('answers fuzzed bodies and headers (ids, nesting, invalid UTF-8, oversized fields, batches), both eras', async () => {
    const sessions = await Promise.all(['2025-11-25', '2025-03-26'].map((version) => initializeSession(gw.url, version)));
    const id = fc.oneof(
      fc.integer(),
      fc.double(),
      fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -1, -0, 1e308, 0.5, null, true, 'dup', ''),
      fc.string({ maxLength: 40 }),
      fc.array(fc.integer(), { maxLength: 2 }),
    );
    const method = fc.oneof(
      fc.constantFrom('ping', 'tools/list', 'tools/call', 'resources/subscribe', 'resources/read', 'logging/setLevel', 'initialize', 'prompts/get'),
      fc.string({ maxLength: 30 }),
    );
    const params = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.record({ name: fc.constantFrom('echo', 'slow', 'nope'), arguments: fc.record({ text: fc.string(), ms: fc.integer({ min: -5, max: 50 }) }) }),
      fc.record({ uri: fc.oneof(fc.string({ maxLength: 40 }), fc.constant('x'.repeat(600))) }),
      fc.record({ level: fc.constantFrom('debug', 'loud', '') }),
      fc.record({ huge: fc.constant('h'.repeat(120_000)) }),
    );
    const message = fc.record({ jsonrpc: fc.constantFrom('2.0', '1.0'), id, method, params }, { requiredKeys: ['jsonrpc'] });
    const body = fc.oneof(
      message.map((value) => JSON.stringify(value)),
      fc.array(message, { minLength: 1, maxLength: 4 }).map((values) => JSON.stringify(values)),
      message.map((value) => JSON.stringify([value, value])),
      fc.integer({ min: 60, max: 400 }).map(deep),
      fc.constant(deep(100_000)),
      fc.jsonValue({ maxDepth: 6 }).map((value) => JSON.stringify(value)),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"'), Buffer.from([0xff, 0xfe]), bytes])),
      fc.string({ maxLength: 100 }),
    );
    const header = fc.oneof(fc.constantFrom('2025-11-25', '2025-03-26', '2026-07-28', '1999-01-01', ''), fc.stringMatching(/^[\x21-\x7e]{0,40}$/));
    const headers = fc.record(
      {
        session: fc.constantFrom(...sessions, 'bogus', 'x'.repeat(2000)),
        'mcp-protocol-version': header,
        'mcp-method': header,
        'mcp-name': header,
        'content-type': fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/json, text/plain'),
      },
      { requiredKeys: ['content-type'] },
    );
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(body, headers, async (payload, { session, ...rest }) => {
        const sentHeaders: Record<string, string> = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== ''));
        if (session !== undefined) sentHeaders['mcp-session-id'] = session;
        sent += 1;
        checkAnswer(await post(payload, sentHeaders), typeof payload === 'string' ? payload : `<${payload.length} bytes>`);
      }),
      { numRuns: FUZZ_RUNS },
    );
    figures['fuzzed requests'] = sent;
    for (const sessionId of sessions) await remove(sessionId);
    await heapBackToBaseline('fuzzing');
  });

  it('answers session ids of every shape with 404 or 400, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.stringMatching(/^[\x21-\x7e]{0,200}$/), fc.constant('x'.repeat(8000))),
        fc.constantFrom('POST', 'GET', 'DELETE'),
        async (sessionId, method) => {
          const answer = await send(gw.url, {
            method,
            headers: { ...LEGACY_HEADERS, 'mcp-session-id': sessionId },
            ...(method === 'POST' ? { body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' } : {}),
          });
          checkAnswer(answer, `${method} ${sessionId}`);
          assert.ok([400, 404, 406].includes(answer.status), `${answer.status} for ${sessionId}`);
        },
      ),
      { numRuns: LONG ? 2000 : 150 },
    );
  });

  it('answers duplicate and conflicting headers (smuggling shapes included) with a clear 4xx', async () => {
    const requests = [
      'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{"a":1}',
      'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n',
      'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Type: text/plain\r\nAccept: application/json, text/event-stream\r\nContent-Length: 2\r\n\r\n{}',
      'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMcp-Session-Id: a\r\nMcp-Session-Id: b\r\nContent-Length: 40\r\n\r\n{"jsonrpc":"2.0","id":1,"method":"ping"}',
      'GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\nAccept: text/event-stream\r\n\r\n',
      `GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`,
    ];
    for (const request of requests) {
      const socket = connect(Number(new URL(gw.url).port), '127.0.0.1');
      await once(socket, 'connect');
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
      });
      socket.on('error', () => undefined);
      socket.write(request);
      const deadline = Date.now() + 5000;
      while (!/\r\n\r\n/.test(text) && Date.now() < deadline) await sleep(10);
      socket.destroy();
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
      assert.ok(status >= 400 && status < 500, `${status} for ${request.slice(0, 120)}: ${text.slice(0, 200)}`);
    }
  });

  it('refuses the stream past MAX_STREAMS with 503, a second stream of one session with 409, and frees every slot when streams close', async () => {
    const sessions = await Promise.all(Array.from({ length: Number(LIMITS.MAX_STREAMS) + 1 }, () => initializeSession(gw.url)));
    const controllers: AbortController[] = [];
    const open = async (sessionId: string): Promise<number> => {
      const controller = new AbortController();
      controllers.push(controller);
      const response = await fetch(gw.url, {
        headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
        signal: controller.signal,
      });
      if (response.status !== 200) await response.text();
      return response.status;
    };
    const statuses = [];
    for (const sessionId of sessions.slice(0, -1)) statuses.push(await open(sessionId));
    assert.deepEqual(new Set(statuses), new Set([200]));
    assert.equal(await open(sessions.at(-1) as string), 503);
    assert.equal(await open(sessions[0] as string), 409);
    for (const controller of controllers) controller.abort();
    await sleep(300);
    assert.equal(await open(sessions.at(-1) as string), 200, 'closed streams gave their slots back');
    for (const controller of controllers) controller.abort();
    for (const sessionId of sessions) await remove(sessionId);
    await heapBackToBaseline('streams');
  });

  it('holds MAX_LIVE_SERVERS under load: a session that needs one more gets 503 until one frees', async (t) => {
    const sessions = await Promise.all(Array.from({ length: Number(LIMITS.MAX_LIVE_SERVERS) + 1 }, () => initializeSession(gw.url)));
    const busy = sessions.slice(0, -1).map((sessionId) => callTool(sessionId, 2, 'slow', { ms: 1500 }));
    t.after(() => Promise.allSettled(busy));
    await sleep(400);
    assert.ok((await health()).liveServers <= Number(LIMITS.MAX_LIVE_SERVERS));
    const refused = await callTool(sessions.at(-1) as string, 2, 'echo', { text: 'x' });
    checkAnswer(refused, 'one live server too many');
    assert.equal(refused.status, 503);
    assert.equal(errorCode(refused), 'SERVERS_BUSY');
    for (const answer of await Promise.all(busy)) assert.match(answer.text, /slept 1500 ms/);
    const served = await callTool(sessions.at(-1) as string, 3, 'echo', { text: 'now' });
    assert.match(served.text, /now/);
    assert.ok((await health()).liveServers <= Number(LIMITS.MAX_LIVE_SERVERS));
    for (const sessionId of sessions) await remove(sessionId);
    await heapBackToBaseline('live servers');
  });

  it('holds MAX_REQUESTS_PER_SESSION (429) and MAX_CONCURRENT_REQUESTS (503), and answers everything it took', async (t) => {
    const perSession = Number(LIMITS.MAX_REQUESTS_PER_SESSION);
    const sessions = await Promise.all(Array.from({ length: Number(LIMITS.MAX_CONCURRENT_REQUESTS) / perSession }, () => initializeSession(gw.url)));
    const first = sessions[0] as string;
    // Long enough that every slow call is still running when the probes below look, on a loaded machine too.
    const slow = { ms: 2500 };
    const taken = Array.from({ length: perSession }, (_, i) => callTool(first, i + 10, 'slow', slow));
    t.after(() => Promise.allSettled(taken));
    await sleep(300);
    const overSession = await callTool(first, 99, 'echo', { text: 'x' });
    assert.equal(overSession.status, 429, overSession.text);
    assert.equal(errorCode(overSession), 'SESSION_BUSY');
    for (const sessionId of sessions.slice(1)) taken.push(...Array.from({ length: perSession }, (_, i) => callTool(sessionId, i + 10, 'slow', slow)));
    // An echo takes no slot for long: probe until every slow call has arrived and the next request is refused.
    let modern: Answer | undefined;
    const deadline = Date.now() + 2000;
    do {
      modern = await post(
        JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' }, _meta: modernMeta() } }),
        {
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/call',
          'mcp-name': 'echo',
        },
      );
    } while (modern.status === 200 && Date.now() < deadline);
    assert.equal(modern.status, 503, modern.text);
    assert.equal(errorCode(modern), 'REQUESTS_FULL');
    for (const answer of await Promise.all(taken)) assert.match(answer.text, /slept 2500 ms/);
    for (const sessionId of sessions) await remove(sessionId);
    await heapBackToBaseline('concurrent requests');
  });

  it('bounds what a session keeps: its record, its subscriptions and its events, whatever the client sends', async () => {
    const big = await post(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'n'.repeat(200_000), version: '1' } },
      }),
    );
    assert.equal(big.status, 400);
    assert.equal(errorCode(big), 'RECORD_TOO_LARGE');
    const sessionId = await initializeSession(gw.url);
    for (let i = 0; i < Number(LIMITS.MAX_SUBSCRIPTIONS); i += 1) {
      const answer = await inSession(sessionId, { jsonrpc: '2.0', id: i + 10, method: 'resources/subscribe', params: { uri: `test://${i}` } });
      assert.equal(answer.status, 200, answer.text);
    }
    const over = await inSession(sessionId, { jsonrpc: '2.0', id: 99, method: 'resources/subscribe', params: { uri: 'test://one-more' } });
    assert.equal(errorCode(over), 'SUBSCRIPTION_LIMIT');
    const long = await inSession(sessionId, { jsonrpc: '2.0', id: 98, method: 'resources/subscribe', params: { uri: `test://${'u'.repeat(600)}` } });
    assert.equal(errorCode(long), 'URI_TOO_LONG');
    // Progress events with 200 KB tokens on streams the client cuts: the session keeps at most SESSION_EVENTS_BYTES of them.
    const token = 't'.repeat(200_000);
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const controller = new AbortController();
        const response = await fetch(gw.url, {
          method: 'POST',
          headers: { ...LEGACY_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 200 + i,
            method: 'tools/call',
            params: { name: 'test_tool_with_progress', arguments: {}, _meta: { progressToken: `${token}${i}` } },
          }),
          signal: controller.signal,
        });
        await (response.body as ReadableStream<Uint8Array>).getReader().read();
        controller.abort();
      }),
    );
    await sleep(500);
    await heapBackToBaseline('records, subscriptions and cut streams');
    await remove(sessionId);
  });

  it('floods sessions past MAX_SESSIONS with 503 + Retry-After, and gives the memory back when they end', async () => {
    const created: string[] = [];
    let refused = 0;
    for (let i = 0; i < Number(LIMITS.MAX_SESSIONS) + 50; i += 1) {
      const answer = await post(
        JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'f', version: '1' } },
        }),
      );
      checkAnswer(answer, 'initialize flood');
      const sessionId = answer.headers.get('mcp-session-id');
      if (sessionId !== null) created.push(sessionId);
      else refused += 1;
    }
    assert.ok(created.length <= Number(LIMITS.MAX_SESSIONS));
    assert.ok(refused >= 50);
    figures['sessions refused in the flood'] = refused;
    for (const sessionId of created) await remove(sessionId);
    await heapBackToBaseline('session flood');
  });

  it('answers every request by its deadline: a batch with a duplicate id at once, a handler that overruns with -32001', async () => {
    const old = await initializeSession(gw.url, '2025-03-26');
    const duplicate = await inSession(
      old,
      [
        { jsonrpc: '2.0', id: 7, method: 'ping' },
        { jsonrpc: '2.0', id: 7, method: 'tools/list' },
      ],
      '2025-03-26',
    );
    assert.equal(duplicate.status, 400);
    assert.equal(errorCode(duplicate), 'DUPLICATE_REQUEST_ID');
    const started = Date.now();
    const overrun = await callTool(old, 8, 'slow', { ms: 20_000 });
    assert.ok(Date.now() - started < Number(LIMITS.HANDLER_TIMEOUT_MS) + 2000);
    assert.equal((JSON.parse(overrun.text) as { error?: { code?: number } }).error?.code, -32001);
    const deepAnswer = await inSession(
      old,
      JSON.parse(`{"jsonrpc":"2.0","id":9,"method":"logging/setLevel","params":{"level":"debug","x":${deep(70)}}}`),
      '2025-03-26',
    );
    assert.equal(errorCode(deepAnswer), 'TOO_DEEP');
    assert.match(
      (await inSession(old, { jsonrpc: '2.0', id: 10, method: 'resources/subscribe', params: { uri: 'test://after' } }, '2025-03-26')).text,
      /"result"/,
    );
    await remove(old);
  });

  it('cuts slow-header and stalled-body connections within a second of their timeouts', async () => {
    const port = Number(new URL(gw.url).port);
    const started = Date.now();
    const cut = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        // Read what the gateway answers (a 408), or its end never reaches this side.
        socket.resume();
        await once(socket, 'connect');
        socket.write(
          i % 2 === 0
            ? 'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n'
            : 'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\ncontent-length: 1000\r\n\r\n{',
        );
        await once(socket, 'close');
        return Date.now() - started;
      }),
    );
    figures['slowest slow-client cut (ms)'] = Math.max(...cut);
    assert.ok(Math.max(...cut) < Number(LIMITS.REQUEST_TIMEOUT_MS) + 1500, `cut after ${Math.max(...cut)} ms`);
    await heapBackToBaseline('slow clients');
  });
});

/**
 * Several gateway tasks behind a real HAProxy (the stand-in for the ALB), with the shared Redis store or the memory
 * store: what clients see when tasks are restarted one by one, crash, or lose their store, with and without cookie
 * stickiness and cookie jars. Every figure is printed (`# cluster figures`) and asserted. Official SDK v2 clients
 * keep no cookies: the hosting guide's stickiness does nothing for them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startCluster, type TestCluster } from './cluster-harness.js';
import { initializeSession, modernPost, postInitialize, postJson, readSse, sseMessages } from './harness.js';

/** A call that takes longer is a failure (a hang would otherwise only show as the test's own timeout). */
const CALL_TIMEOUT_MS = 15_000;

/** Cluster tests run one at a time: each starts several processes on a 2-core machine. */
const SERIAL = { concurrency: 1, timeout: 300_000 } as const;

interface Tally {
  calls: number;
  failures: string[];
  initializes: number;
  /** HTTP statuses of every answer the clients got, by status. */
  readonly statuses: Map<number, number>;
}

/** A fetch that counts, and optionally keeps cookies as a browser would (mcp-remote's jar, say). */
function countingFetch(tally: Tally, cookieJar: boolean): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
  let cookie: string | undefined;
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    if (cookieJar && cookie !== undefined) headers.set('cookie', cookie);
    if (typeof init?.body === 'string' && init.body.includes('"method":"initialize"')) tally.initializes += 1;
    const response = await fetch(input, { ...init, headers });
    tally.statuses.set(response.status, (tally.statuses.get(response.status) ?? 0) + 1);
    const set = response.headers.get('set-cookie');
    if (cookieJar && set !== null) cookie = set.split(';')[0];
    return response;
  };
}

interface Workload {
  readonly tally: Tally;
  /** Clients' session ids as first made: a client whose id changed had to start a session again. */
  readonly sessions: string[];
  /** Starts counting failures from now (the calls in flight during a crash are counted apart). */
  mark(): { failures: number; calls: number };
  /**
   * The failures of calls started at or after `time` (performance.now()). A call in flight on a task that is killed
   * can fail late: a reply stream the client resumes elsewhere ends without its answer, and the client times out.
   */
  failedSince(time: number): string[];
  stop(): Promise<void>;
}

/**
 * `count` official SDK clients, each in its own session, calling tools until stopped: mostly `echo`, every fifth a
 * call that streams progress, every seventh a sampling round trip. With `reconnect`, a client whose session is
 * gone (404) starts a new one and carries on, as the spec asks of clients.
 */
async function runClients(url: string, count: number, options: { cookieJar: boolean; reconnect: boolean }): Promise<Workload> {
  const tally: Tally = { calls: 0, failures: [], initializes: 0, statuses: new Map() };
  let running = true;
  const sessions: string[] = [];
  const failureStarts: number[] = [];
  const fail = (startedAt: number, message: string): void => {
    tally.failures.push(message);
    failureStarts.push(startedAt);
  };
  const connect = async (index: number): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> => {
    // A connect can fail too (without cookies its second request may reach a task that does not know the session).
    for (let attempt = 1; ; attempt += 1) {
      const client = new Client({ name: 'cluster-test', version: '1.0.0' }, { capabilities: { sampling: {} } });
      client.setRequestHandler('sampling/createMessage', () => ({
        model: 'm',
        role: 'assistant',
        content: { type: 'text', text: 'sampled' },
        stopReason: 'endTurn',
      }));
      const transport = new StreamableHTTPClientTransport(new URL(url), { fetch: countingFetch(tally, options.cookieJar) });
      const startedAt = performance.now();
      try {
        await client.connect(transport);
        return { client, transport };
      } catch (error) {
        fail(startedAt, `client ${index} connect ${attempt}: ${(error as Error).message.slice(0, 200)}`);
        await client.close().catch(() => undefined);
        if (attempt >= 20) throw error;
        await sleep(50);
      }
    }
  };
  const loops = await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      let { client, transport } = await connect(index);
      sessions[index] = transport.sessionId ?? '';
      // Wrapped: an async callback that returned the loop itself would make Promise.all wait for the loop to end.
      const loop = (async () => {
        for (let turn = 0; running; turn += 1) {
          const startedAt = performance.now();
          try {
            if (turn % 7 === 6) {
              const result = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'p' } }, { timeout: CALL_TIMEOUT_MS });
              assert.match(JSON.stringify(result), /LLM response: sampled/);
            } else if (turn % 5 === 4) {
              const progress: number[] = [];
              await client.callTool(
                { name: 'test_tool_with_progress', arguments: {} },
                { onprogress: (update) => progress.push(update.progress), timeout: CALL_TIMEOUT_MS },
              );
              assert.deepEqual(progress, [0, 50, 100]);
            } else {
              const result = await client.callTool({ name: 'echo', arguments: { text: `${index}-${turn}` } }, { timeout: CALL_TIMEOUT_MS });
              assert.match(JSON.stringify(result), new RegExp(`${index}-${turn}`));
            }
            tally.calls += 1;
          } catch (error) {
            fail(startedAt, `client ${index} turn ${turn}: ${(error as Error).message.slice(0, 200)}`);
            if (options.reconnect && /404|not found/i.test((error as Error).message)) {
              await client.close().catch(() => undefined);
              ({ client, transport } = await connect(index).catch(() => ({ client, transport })));
            }
          }
          await sleep(20);
        }
        await client.close().catch(() => undefined);
      })();
      return { loop };
    }),
  );
  const done = Promise.all(loops.map(({ loop }) => loop));
  return {
    tally,
    sessions,
    mark: () => ({ failures: tally.failures.length, calls: tally.calls }),
    failedSince: (time) => tally.failures.filter((_, index) => (failureStarts[index] as number) >= time),
    async stop() {
      running = false;
      await done;
    },
  };
}

const figures: Record<string, unknown> = {};
after(() => {
  process.stdout.write(`# cluster figures: ${JSON.stringify(figures)}\n`);
});

describe('three gateways behind a proxy with the Redis store, no stickiness, clients without cookies', SERIAL, () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster({ gateways: 3, store: 'redis', sticky: false });
  });
  after(() => cluster?.close());

  it('rolls every gateway twice under 50 clients: 0 failed calls, 0 lost sessions, 0 re-initializations', async () => {
    const load = await runClients(cluster.url, 50, { cookieJar: false, reconnect: false });
    for (let roll = 0; roll < 2; roll += 1) {
      for (const gateway of cluster.gateways) {
        await sleep(500);
        assert.equal(await gateway.stop(), 0, `${gateway.name} drained and exited 0`);
        await cluster.settled();
        await gateway.start();
        await cluster.settled();
      }
    }
    await sleep(500);
    await load.stop();
    figures['rolling restart'] = {
      calls: load.tally.calls,
      failures: load.tally.failures.length,
      initializes: load.tally.initializes,
      statuses: Object.fromEntries(load.tally.statuses),
    };
    assert.deepEqual(load.tally.failures, []);
    assert.equal(load.tally.initializes, 50, 'each client initialized exactly once');
    assert.ok(load.tally.calls > 300, `${load.tally.calls} calls`);
    assert.ok(![...load.tally.statuses.keys()].some((status) => status >= 500), JSON.stringify(Object.fromEntries(load.tally.statuses)));
  });

  it('a gateway killed under load fails only the calls in flight on it; afterwards 0 failures, every session carries on', async () => {
    const load = await runClients(cluster.url, 30, { cookieJar: false, reconnect: false });
    await sleep(1000);
    const before = load.mark();
    await (cluster.gateways[1] as (typeof cluster.gateways)[number]).kill();
    await cluster.settled();
    const killed = performance.now();
    const afterCrash = load.mark();
    await sleep(3000);
    const end = load.mark();
    await load.stop();
    await (cluster.gateways[1] as (typeof cluster.gateways)[number]).start();
    await cluster.settled();
    const failuresAfter = load.failedSince(killed);
    const failedInFlight = load.tally.failures.length - before.failures - failuresAfter.length;
    figures['crash'] = { failedInFlight, callsAfter: end.calls - afterCrash.calls, failuresAfter: failuresAfter.length };
    assert.equal(before.failures, 0, load.tally.failures.join('\n'));
    assert.deepEqual(failuresAfter, []);
    assert.ok(end.calls - afterCrash.calls > 50);
    assert.ok(failedInFlight <= 30, 'at most one call per client was in flight');
    assert.equal(load.tally.initializes, 30);
  });

  it('resumes a cut reply and the standalone stream on another task with Last-Event-ID: nothing lost, nothing twice', async () => {
    const [a, b] = cluster.gateways as [(typeof cluster.gateways)[number], (typeof cluster.gateways)[number]];
    const sessionId = await initializeSession(a.url);
    // A reply whose tool cuts its own stream (SEP-1699), resumed on task B while the call finishes on task A.
    const cut = await postJson(a.url, sessionId, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'test_reconnection', arguments: {} } });
    // The priming event carries the id to resume from, and no data.
    const lastId = [...(await cut.text()).matchAll(/^id: (\S+)$/gm)].at(-1)?.[1];
    assert.ok(lastId, 'the cut stream primed an event id');
    const resumed = await fetch(b.url, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25', 'last-event-id': lastId },
    });
    assert.equal(resumed.status, 200);
    const rest = sseMessages(await resumed.text()).map((event) => event.data as { id?: number; result?: unknown });
    assert.deepEqual(
      rest.filter((message) => message.id === 2).map((message) => JSON.stringify(message.result)),
      [JSON.stringify({ content: [{ type: 'text', text: 'Reconnection test completed successfully.' }] })],
    );
    // The standalone stream, opened on A; A dies; a change caused meanwhile on B is kept, and the resume on B gets it once.
    await postJson(b.url, sessionId, { jsonrpc: '2.0', id: 3, method: 'resources/subscribe', params: { uri: 'test://watched-resource' } }).then((r) =>
      r.text(),
    );
    const stream = await fetch(a.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' } });
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!/id: \S+\.0\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    const primed = (/id: (\S+\.0)\n/.exec(text) as RegExpExecArray)[1] as string;
    await reader.cancel();
    await a.kill();
    await cluster.settled();
    const fired = await postJson(b.url, sessionId, { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'update_watched_resource', arguments: {} } });
    assert.match(await fired.text(), /Sent notifications\/resources\/updated/);
    const controller = new AbortController();
    const again = await fetch(b.url, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25', 'last-event-id': primed },
      signal: controller.signal,
    });
    assert.equal(again.status, 200);
    const resumedStandalone = readSse(again);
    await resumedStandalone.waitFor((message) => message.method === 'notifications/resources/updated');
    await sleep(300);
    await resumedStandalone.cancel();
    assert.equal(resumedStandalone.messages.filter((message) => message.method === 'notifications/resources/updated').length, 1);
    await a.start();
    await cluster.settled();
    figures['resumption across tasks'] = { replyEventsAfterResume: rest.length };
  });

  it('cancels a call running on one task from a notifications/cancelled sent to another', async () => {
    const [a, b] = cluster.gateways as [(typeof cluster.gateways)[number], (typeof cluster.gateways)[number]];
    const sessionId = await initializeSession(a.url);
    const started = Date.now();
    const slow = postJson(a.url, sessionId, { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'slow', arguments: { ms: 20_000 } } }).then(
      async (response) => ({ status: response.status, body: (await response.json()) as { error?: { data?: { code?: string } } }, ms: Date.now() - started }),
    );
    await sleep(300);
    const cancel = await postJson(b.url, sessionId, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 5, reason: 'user' } });
    assert.equal(cancel.status, 202);
    const answered = await slow;
    figures['cancel across tasks'] = { answeredAfterMs: answered.ms };
    assert.equal(answered.body.error?.data?.code, 'REQUEST_CANCELLED', JSON.stringify(answered.body));
    assert.ok(answered.ms < 10_000, `answered ${answered.ms} ms after the call began, not at the tool's end`);
  });

  it("delivers on a task's open standalone stream a notification a request on another task caused", async () => {
    const [a, b] = cluster.gateways as [(typeof cluster.gateways)[number], (typeof cluster.gateways)[number]];
    const sessionId = await initializeSession(a.url);
    await postJson(a.url, sessionId, { jsonrpc: '2.0', id: 2, method: 'resources/subscribe', params: { uri: 'test://watched-resource' } }).then((r) =>
      r.text(),
    );
    const controller = new AbortController();
    const stream = await fetch(a.url, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
      signal: controller.signal,
    });
    assert.equal(stream.status, 200);
    const events = readSse(stream);
    const fired = await postJson(b.url, sessionId, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'update_watched_resource', arguments: {} } });
    assert.match(await fired.text(), /Sent notifications\/resources\/updated/);
    const update = await events.waitFor((message) => message.method === 'notifications/resources/updated');
    assert.deepEqual(update.params, { uri: 'test://watched-resource' });
    await events.cancel();
  });
});

describe('the hosting guide’s design: the memory store with cookie stickiness', SERIAL, () => {
  for (const cookieJar of [true, false]) {
    it(`clients ${cookieJar ? 'with' : 'without'} a cookie jar: ${cookieJar ? '0 failures until a gateway is stopped (a deploy), then 404 and a new session, no 5xx' : 'calls fail as the proxy spreads their sessions over tasks'}`, async () => {
      const cluster = await startCluster({ gateways: 3, store: 'memory', sticky: true });
      try {
        const load = await runClients(cluster.url, 12, { cookieJar, reconnect: true });
        await sleep(3000);
        const steady = load.mark();
        await (cluster.gateways[0] as (typeof cluster.gateways)[number]).stop();
        await cluster.settled();
        await sleep(3000);
        await load.stop();
        const statuses = Object.fromEntries(load.tally.statuses);
        figures[`memory + sticky, ${cookieJar ? 'cookie jar' : 'no cookies'}`] = {
          calls: load.tally.calls,
          failures: load.tally.failures.length,
          failuresBeforeCrash: steady.failures,
          failureRate: Math.round((load.tally.failures.length / Math.max(load.tally.calls + load.tally.failures.length, 1)) * 100) / 100,
          initializes: load.tally.initializes,
          statuses,
        };
        assert.ok(![...load.tally.statuses.keys()].some((status) => status >= 500), JSON.stringify(statuses));
        if (cookieJar) {
          assert.equal(steady.failures, 0, load.tally.failures.join('\n'));
          assert.ok((load.tally.statuses.get(404) ?? 0) > 0, 'clients of the stopped gateway were told their session is gone (404)');
          assert.ok(load.tally.initializes > 12, 'clients of the dead gateway started new sessions');
        } else {
          assert.ok(steady.failures > 0, 'without cookies the proxy spreads a session over tasks that do not know it');
        }
      } finally {
        await cluster.close();
      }
    });
  }

  it('the same clients without cookies, on the Redis store: 0 failures but the calls in flight on a killed task', async () => {
    const cluster = await startCluster({ gateways: 3, store: 'redis', sticky: true });
    try {
      const load = await runClients(cluster.url, 12, { cookieJar: false, reconnect: false });
      await sleep(3000);
      const before = load.mark();
      await (cluster.gateways[0] as (typeof cluster.gateways)[number]).kill();
      await cluster.settled();
      const killed = performance.now();
      await sleep(3000);
      await load.stop();
      const failedInFlight = load.tally.failures.length - before.failures - load.failedSince(killed).length;
      figures['redis + sticky, no cookies'] = {
        calls: load.tally.calls,
        failedInFlight,
        failuresAfter: load.failedSince(killed).length,
        initializes: load.tally.initializes,
      };
      assert.equal(before.failures, 0, load.tally.failures.join('\n'));
      assert.deepEqual(load.failedSince(killed), []);
      assert.ok(failedInFlight <= 12, 'at most one call per client was in flight on the killed task');
      assert.equal(load.tally.initializes, 12);
    } finally {
      await cluster.close();
    }
  });
});

describe('the Redis store stopped and started under load', SERIAL, () => {
  it('answers 503 with Retry-After (never a hang) while it is away, reports it in /healthz, and recovers without a restart', async () => {
    const cluster = await startCluster({ gateways: 2, store: 'redis', sticky: false, env: { STORE_TIMEOUT_MS: '500' } });
    try {
      const gateway = cluster.gateways[0] as (typeof cluster.gateways)[number];
      const sessionId = await initializeSession(gateway.url);
      await postJson(gateway.url, sessionId, { jsonrpc: '2.0', id: 2, method: 'ping' }).then((response) => response.text());
      await cluster.redis?.stop();
      const started = Date.now();
      const statuses: number[] = [];
      for (let i = 0; i < 10; i += 1) {
        const response = await postInitialize(cluster.url, AbortSignal.timeout(5000));
        statuses.push(response.status);
        if (response.status === 503) assert.ok(response.headers.get('retry-after'));
        await response.text();
      }
      const outageMs = Date.now() - started;
      // A session live on this task keeps working on what the task knows.
      const live = await postJson(gateway.url, sessionId, {
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'echo', arguments: { text: 'still here' } },
      });
      assert.match(await live.text(), /still here/);
      const health = (await (await fetch(`${gateway.base}/healthz`)).json()) as { store: { status: string } };
      assert.equal(health.store.status, 'unreachable');
      await cluster.redis?.start();
      let recovered = false;
      for (let i = 0; i < 100 && !recovered; i += 1) {
        await sleep(100);
        const again = await postInitialize(cluster.url);
        await again.text();
        recovered = again.status === 200;
      }
      figures['redis outage'] = { statuses, outageMs, recovered };
      assert.deepEqual([...new Set(statuses)], [503]);
      assert.ok(outageMs < 10 * 2000, `answered within the store timeout each: ${outageMs} ms for 10`);
      assert.ok(recovered, 'the gateways use the store again without a restart');
      for (const each of cluster.gateways) assert.doesNotMatch(each.output(), /Unhandled|uncaught/i);
    } finally {
      await cluster.close();
    }
  });
});

describe('2026-07-28 subscriptions/listen across tasks', SERIAL, () => {
  it('a listen stream on one task receives a change a request on another task caused', async () => {
    const cluster = await startCluster({ gateways: 2, store: 'redis', sticky: false });
    try {
      const [a, b] = cluster.gateways as [(typeof cluster.gateways)[number], (typeof cluster.gateways)[number]];
      const controller = new AbortController();
      const listen = await modernPost(
        a.url,
        { id: 'l-1', method: 'subscriptions/listen', params: { notifications: { resourceSubscriptions: ['test://watched-resource'] } } },
        controller.signal,
      );
      const stream = readSse(listen);
      await stream.waitFor((message) => message.method === 'notifications/subscriptions/acknowledged');
      const fired = await modernPost(b.url, {
        id: 'u-1',
        method: 'tools/call',
        name: 'update_watched_resource',
        params: { name: 'update_watched_resource', arguments: {} },
      });
      assert.equal(fired.status, 200);
      await fired.text();
      const update = await stream.waitFor((message) => message.method === 'notifications/resources/updated');
      assert.equal(update.params?.['uri'], 'test://watched-resource');
      await stream.cancel();
      figures['listen across tasks'] = 'received';
    } finally {
      await cluster.close();
    }
  });
});

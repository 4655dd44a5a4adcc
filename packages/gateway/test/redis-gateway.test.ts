/**
 * One gateway on the Redis store: a tampered record, the store's health in /healthz, and the hot path, where a request
 * to a session whose live server is cached on this task costs at most one store round trip. Measured at the server with MONITOR: the commands clients sent while the requests ran, a Lua script
 * counted once (the commands it runs inside are not round trips).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { initializeSession, postInitialize, postJson, type SpawnedGateway, spawnGateway } from './harness.js';
import { monitorCommands, startRedis, type TestRedis } from './redis-server.js';

const REQUESTS = 50;

describe('store round trips per request, Redis store, live server cached on this task', () => {
  let redis: TestRedis;
  let gw: SpawnedGateway;
  before(async () => {
    redis = await startRedis();
    gw = await spawnGateway({ SESSION_STORE: 'redis', REDIS_URL: redis.url });
  });
  after(async () => {
    gw?.kill();
    await redis?.close();
  });

  it(`makes at most one client call to the store per request over ${REQUESTS} tool calls`, async () => {
    const sessionId = await initializeSession(gw.url);
    // The first request builds the live server (a store read of the record): the hot path is what follows.
    await postJson(gw.url, sessionId, { jsonrpc: '2.0', method: 'notifications/initialized' }).then((r) => r.text());
    await postJson(gw.url, sessionId, { jsonrpc: '2.0', id: 1, method: 'tools/list' }).then((r) => r.text());
    const watch = await monitorCommands(redis);
    for (let id = 2; id < 2 + REQUESTS; id += 1) {
      const response = await postJson(gw.url, sessionId, { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text: `t${id}` } } });
      assert.match(await response.text(), new RegExp(`t${id}`));
    }
    const sent = await watch.stop();
    const byCommand = Object.fromEntries([...new Set(sent)].map((command) => [command, sent.filter((c) => c === command).length]));
    const total = sent.length;
    process.stdout.write(`# store round trips for ${REQUESTS} tool calls: ${total} ${JSON.stringify(byCommand)}\n`);
    assert.ok(total > 0, 'the watch saw the requests touch the store (a watch that sees nothing proves nothing)');
    assert.ok(total <= REQUESTS, `${total} store round trips for ${REQUESTS} requests: ${JSON.stringify(byCommand)}`);
  });
});

describe('a session record that is not what the gateway wrote', () => {
  let redis: TestRedis;
  let gw: SpawnedGateway;
  before(async () => {
    redis = await startRedis();
    gw = await spawnGateway({ SESSION_STORE: 'redis', REDIS_URL: redis.url });
  });
  after(async () => {
    gw?.kill();
    await redis?.close();
  });

  for (const [what, core] of [
    ['not JSON', '{"protocolVersion":'],
    ['JSON of the wrong shape', '{"protocolVersion":42,"initialize":"x"}'],
  ] as const) {
    it(`GIVEN a record whose core is ${what} THEN the session answers 404 (start a new one), and a new initialize works`, async () => {
      const sessionId = await initializeSession(gw.url);
      const keys = (await redis.cli('keys', '*:r')).trim().split('\n');
      for (const key of keys) await redis.cli('hset', key, 'core', core);
      const response = await postJson(gw.url, sessionId, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
      assert.equal(response.status, 404, await response.text());
      assert.ok((await initializeSession(gw.url)).length > 0);
      assert.doesNotMatch(gw.output(), /Unhandled|uncaught|"level":50/i);
    });
  }
});

describe('/healthz while the Redis store is away', () => {
  for (const requires of ['off', 'on'] as const) {
    it(`HEALTH_REQUIRES_STORE=${requires}: ${requires === 'on' ? '503, so the load balancer drains the task' : '200, the store reported unreachable in the body'}; 200 again once it is back`, async () => {
      const redis = await startRedis();
      const gw = await spawnGateway({ SESSION_STORE: 'redis', REDIS_URL: redis.url, HEALTH_REQUIRES_STORE: requires, STORE_TIMEOUT_MS: '300' });
      try {
        await redis.stop();
        let health: Response | undefined;
        let body: { store?: { status: string } } = {};
        for (let i = 0; i < 50 && body.store?.status !== 'unreachable'; i += 1) {
          health = await fetch(`${gw.base}/healthz`);
          body = (await health.json()) as typeof body;
          if (body.store?.status !== 'unreachable') await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.equal(body.store?.status, 'unreachable');
        assert.equal(health?.status, requires === 'on' ? 503 : 200);
        const initialize = await postInitialize(gw.url, AbortSignal.timeout(5000));
        assert.equal(initialize.status, 503);
        await redis.start();
        let status = 0;
        for (let i = 0; i < 100 && status !== 200; i += 1) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          const again = await fetch(`${gw.base}/healthz`);
          const recovered = (await again.json()) as typeof body;
          status = recovered.store?.status === 'ok' ? again.status : 0;
        }
        assert.equal(status, 200, 'healthy again without a restart');
      } finally {
        gw.kill();
        await redis.close();
      }
    });
  }
});

describe('a Redis store that speaks only TLS (rediss://, as ElastiCache Serverless does)', () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis({ tls: true });
  });
  after(() => redis?.close());

  it('serves sessions over TLS when the certificate is trusted', async () => {
    const gw = await spawnGateway({ SESSION_STORE: 'redis', REDIS_URL: redis.url, NODE_EXTRA_CA_CERTS: redis.caFile as string });
    try {
      const sessionId = await initializeSession(gw.url);
      const response = await postJson(gw.url, sessionId, {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'echo', arguments: { text: 'over tls' } },
      });
      assert.match(await response.text(), /over tls/);
      assert.match(await redis.cli('keys', '*:r'), /:r/);
    } finally {
      gw.kill();
    }
  });

  it('verifies the certificate: one it does not trust leaves the store unreachable, and no session is made', async () => {
    const gw = await spawnGateway({ SESSION_STORE: 'redis', REDIS_URL: redis.url, STORE_TIMEOUT_MS: '300' });
    try {
      const response = await postInitialize(gw.url, AbortSignal.timeout(5000));
      assert.equal(response.status, 503);
      const health = (await (await fetch(`${gw.base}/healthz`)).json()) as { store: { status: string } };
      assert.equal(health.store.status, 'unreachable');
    } finally {
      gw.kill();
    }
  });
});

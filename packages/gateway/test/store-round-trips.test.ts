/**
 * The hot path with the Redis store: a request to a session whose live server is cached on this task costs at most one
 * store round trip. Measured at the server with MONITOR: the commands clients sent while the requests ran, a Lua script
 * counted once (the commands it runs inside are not round trips).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { initializeSession, postJson, type SpawnedGateway, spawnGateway } from './harness.js';
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

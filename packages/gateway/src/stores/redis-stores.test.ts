/**
 * The Redis stores pass the same contract suites as the memory stores, against a real redis-server: a single node,
 * and a local three-node cluster (ElastiCache Serverless for Valkey is cluster mode only).
 */
import { after, before, describe } from 'node:test';
import { startRedis, type TestRedis } from '../../test/redis-server.js';
import { eventStoreContract } from './event-store.contract.js';
import { connectRedis, type RedisClient, storeReady } from './redis-connection.js';
import { RedisEventStore } from './redis-event-store.js';
import { RedisSessionStore } from './redis-session-store.js';
import { LocalRelay } from './session-relay.js';
import { sessionStoreContract, wallClock } from './session-store.contract.js';

for (const cluster of [false, true]) {
  describe(`Redis stores on ${cluster ? 'a 3-node cluster' : 'a single node'}`, () => {
    let redis: TestRedis;
    const clients: RedisClient[] = [];
    let prefixes = 0;
    const client = async (): Promise<RedisClient> => {
      const made = connectRedis({ url: redis.url, cluster, commandTimeoutMs: 2000, error: () => undefined });
      clients.push(made);
      await storeReady(made, 10_000);
      return made;
    };
    before(async () => {
      redis = await startRedis({ cluster });
    });
    after(async () => {
      for (const made of clients) made.disconnect();
      await redis.close();
    });

    sessionStoreContract(
      `redis${cluster ? ' cluster' : ''}`,
      async (options) => new RedisSessionStore(await client(), `t${prefixes++}:`, options, 2000),
      () => wallClock,
    );
    eventStoreContract(
      `redis${cluster ? ' cluster' : ''}`,
      async (options) => new RedisEventStore(await client(), `e${prefixes++}:`, new LocalRelay(), options, () => undefined, 2000),
      () => wallClock,
      false,
    );
  });
}

import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Cluster, Redis } from 'ioredis';
import { StoreUnavailableError } from './session-store.js';

/** One shared store: a Redis or Valkey server, single node or cluster, plain or TLS. */
export type RedisClient = Redis | Cluster;

export interface RedisConnectionOptions {
  /** `redis://` or `rediss://` (TLS), with credentials if the server needs them. */
  readonly url: string;
  /** A cluster (ElastiCache Serverless for Valkey is one): keys of one session share a slot through a hash tag. */
  readonly cluster: boolean;
  /** Longest a command may take before it fails (and the request that needed it gets 503). */
  readonly commandTimeoutMs: number;
  /** Errors of the connection (reported only: the client reconnects by itself). */
  readonly error: (error: Error) => void;
}

/** Reconnection backoff: doubling from 100 ms, at most this long between attempts. */
const MAX_RETRY_DELAY_MS = 5000;

/**
 * A connection to the shared store that never holds a request hostage: while
 * the store is away, a command fails after the command timeout at the latest,
 * so the gateway answers 503 with `Retry-After` instead of hanging, and the
 * client reconnects in the background with backoff.
 */
export function connectRedis(options: RedisConnectionOptions): RedisClient {
  // Loaded on first use: ioredis costs more at import than the rest of the gateway's own code, and the memory
  // store (the default) never needs it (start time, issue 13).
  const ioredis = createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
  const url = new URL(options.url);
  const tls = url.protocol === 'rediss:' ? { servername: url.hostname } : undefined;
  const common = {
    // A command waits for a connection being made at most commandTimeoutMs, then fails: bounded, never a hang.
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: Math.max(options.commandTimeoutMs, 1000),
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt: number) => Math.min(100 * 2 ** attempt, MAX_RETRY_DELAY_MS),
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
    ...(tls === undefined ? {} : { tls }),
  };
  const client: RedisClient = options.cluster
    ? new ioredis.Cluster([{ host: url.hostname, port: Number(url.port || 6379) }], {
        redisOptions: common,
        // While the cluster itself is down, commands fail at once rather than wait in a queue the timeout does not cover.
        enableOfflineQueue: false,
        clusterRetryStrategy: (attempt: number) => Math.min(100 * 2 ** attempt, MAX_RETRY_DELAY_MS),
        // ElastiCache hands out node addresses that only resolve inside the VPC and need TLS too.
        dnsLookup: (address, callback) => callback(null, address),
        slotsRefreshTimeout: Math.max(options.commandTimeoutMs, 1000),
      })
    : new ioredis.Redis(options.url, common);
  client.on('error', (error: Error) => options.error(error));
  return client;
}

/** Waits until the store answers, up to `ms`; false if it did not (the gateway starts degraded and keeps trying). */
export async function storeReady(client: RedisClient, ms: number): Promise<boolean> {
  if (client.status === 'ready') return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.off('ready', ready);
      resolve(false);
    }, ms);
    timer.unref();
    const ready = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    client.once('ready', ready);
  });
}

/**
 * Runs a store call, turning a failure or a call past `deadlineMs` into
 * {@link StoreUnavailableError}: a request never waits on the store longer,
 * whatever the client library does while the store is away.
 */
export async function reach<T>(call: () => Promise<T>, deadlineMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${deadlineMs} ms`)), deadlineMs);
  });
  try {
    return await Promise.race([call(), late]);
  } catch (error) {
    throw new StoreUnavailableError(`the session store is unavailable: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A Lua script run by its hash (EVALSHA), sent whole only when the server
 * does not know it yet (a restart, a new cluster node): every call after the
 * first costs the store no parsing and the wire a few bytes.
 */
export class LuaScript {
  private readonly sha: string;

  constructor(
    private readonly source: string,
    private readonly keyCount: number,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  run(client: RedisClient, ...keysThenArgs: (string | number)[]): Promise<unknown> {
    return client.evalsha(this.sha, this.keyCount, ...keysThenArgs).catch((error: Error) => {
      if (!error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.source, this.keyCount, ...keysThenArgs);
    });
  }
}

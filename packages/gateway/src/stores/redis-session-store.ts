import { createHash } from 'node:crypto';
import { LuaScript, reach, type RedisClient } from './redis-connection.js';
import { type ChangeOutcome, parseSessionRecord, recordSize, type SessionRecord, type StateChange, stateSize } from './session-record.js';
import type { SessionStore, SessionStoreOptions } from './session-store.js';

/**
 * Makes a session and counts it against the fleet's limit, in one step on the
 * index (a sorted set of session keys by when each was last seen, so entries
 * of sessions that expired fall out).
 * KEYS[1] index; ARGV: key, now, stale-before, max.
 */
const ADMIT = new LuaScript(
  `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1`,
  1,
);

/** KEYS[1] index; ARGV: stale-before. */
const COUNT = new LuaScript(
  `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZCARD', KEYS[1])`,
  1,
);

/**
 * Marks the session used: both keys live another TTL. Returns 0 when it is
 * gone, 2 when the index needs to hear it too (last told a quarter TTL ago), else 1.
 * KEYS[1] record, KEYS[2] subscriptions; ARGV: ttl, now, refresh-before.
 */
const TOUCH = new LuaScript(
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
if tonumber(redis.call('HGET', KEYS[1], 'seen') or '0') < tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'seen', ARGV[2])
  return 2
end
return 1`,
  2,
);

/** The record and its subscriptions in order, touched. KEYS[1] record, KEYS[2] subscriptions; ARGV: ttl. */
const READ = new LuaScript(
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return { redis.call('HGET', KEYS[1], 'core'), redis.call('HGET', KEYS[1], 'level') or '', redis.call('ZRANGE', KEYS[2], 0, -1) }`,
  2,
);

/**
 * One state change, all or nothing, within the record's limits; the record
 * keeps its size current so a change costs O(change).
 * KEYS[1] record, KEYS[2] subscriptions; ARGV: ttl, kind, value, value's size, max size, max subscriptions.
 */
const CHANGE = new LuaScript(
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'gone' end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
local size = tonumber(redis.call('HGET', KEYS[1], 'size'))
local kind = ARGV[2]
if kind == 'log-level' then
  local old = redis.call('HGET', KEYS[1], 'level')
  local oldSize = 0
  if old then oldSize = tonumber(redis.call('HGET', KEYS[1], 'levelSize')) end
  local next = size - oldSize + tonumber(ARGV[4])
  if next > tonumber(ARGV[5]) then return 'record-too-large' end
  redis.call('HSET', KEYS[1], 'level', ARGV[3], 'levelSize', ARGV[4], 'size', next)
  return 'applied'
end
if kind == 'subscribe' then
  if redis.call('ZSCORE', KEYS[2], ARGV[3]) then return 'applied' end
  if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[6]) then return 'too-many-subscriptions' end
  if size + tonumber(ARGV[4]) > tonumber(ARGV[5]) then return 'record-too-large' end
  local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
  redis.call('ZADD', KEYS[2], seq, ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[1])
  redis.call('HINCRBY', KEYS[1], 'size', ARGV[4])
  return 'applied'
end
if redis.call('ZREM', KEYS[2], ARGV[3]) == 1 then redis.call('HINCRBY', KEYS[1], 'size', -tonumber(ARGV[4])) end
return 'applied'`,
  2,
);

/**
 * Session records in Redis or Valkey, shared by every task of the service:
 * any task serves any session. One session's keys share a cluster slot (a
 * hash tag), so every change is one atomic script; keys name a hash of the
 * session id, never the id, so the store holds no credential. Reading a
 * record back checks its shape and sizes: a tampered or corrupt entry is a
 * session that does not exist (404), never a crash.
 */
export class RedisSessionStore implements SessionStore {
  private readonly index: string;
  private readonly now: () => number;

  constructor(
    private readonly client: RedisClient,
    /** Names this hosted server's keys (several servers may share one store). */
    private readonly prefix: string,
    private readonly options: SessionStoreOptions,
    /** Longest a store call may take before the request that needed it gets 503. */
    private readonly timeoutMs: number,
  ) {
    this.index = `${prefix}sessions`;
    this.now = options.now ?? Date.now;
  }

  async create(record: SessionRecord): Promise<'created' | 'full' | 'record-too-large'> {
    const size = recordSize(record);
    if (size > this.options.maxRecordBytes) return 'record-too-large';
    const { id, logLevel, subscriptions, ...core } = record;
    const key = hashOf(id);
    return reach(async () => {
      const admitted = await ADMIT.run(this.client, this.index, key, this.now(), this.staleBefore(), this.options.maxSessions);
      if (admitted === 0) return 'full';
      const { record: recordKey } = this.keys(id);
      try {
        await this.client
          .multi()
          .hset(recordKey, { core: JSON.stringify(core), size, seq: 0, seen: this.now() })
          .pexpire(recordKey, this.options.idleTtlMs)
          .exec();
      } catch (error) {
        await this.client.zrem(this.index, key).catch(() => undefined);
        throw error;
      }
      return 'created';
    }, this.timeoutMs);
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const { record, subscriptions } = this.keys(id);
    const found = (await reach(() => READ.run(this.client, record, subscriptions, this.options.idleTtlMs), this.timeoutMs)) as
      | [string | null, string, string[]]
      | null;
    if (found === null || found[0] === null) return undefined;
    let core: unknown;
    try {
      core = JSON.parse(found[0]);
    } catch {
      return undefined;
    }
    const whole = { ...(core as object), id, logLevel: found[1] === '' ? undefined : found[1], subscriptions: found[2] };
    return parseSessionRecord(JSON.stringify(whole), this.options);
  }

  async change(id: string, change: StateChange): Promise<ChangeOutcome> {
    const { record, subscriptions } = this.keys(id);
    const value = change.kind === 'log-level' ? change.level : change.uri;
    const outcome = await reach(
      () =>
        CHANGE.run(
          this.client,
          record,
          subscriptions,
          this.options.idleTtlMs,
          change.kind,
          value,
          stateSize(value),
          this.options.maxRecordBytes,
          this.options.maxSubscriptions,
        ),
      this.timeoutMs,
    );
    return outcome as ChangeOutcome;
  }

  async touch(id: string): Promise<boolean> {
    const { record, subscriptions } = this.keys(id);
    const now = this.now();
    const touched = await reach(
      () => TOUCH.run(this.client, record, subscriptions, this.options.idleTtlMs, now, now - this.options.idleTtlMs / 4),
      this.timeoutMs,
    );
    // The index hears of a busy session every quarter TTL, not on every request: one round trip per request.
    if (touched === 2) void this.client.zadd(this.index, now, hashOf(id)).catch(() => undefined);
    return touched !== 0;
  }

  async delete(id: string): Promise<boolean> {
    const { record, subscriptions } = this.keys(id);
    const deleted = await reach(() => this.client.del(record, subscriptions), this.timeoutMs);
    await reach(() => this.client.zrem(this.index, hashOf(id)), this.timeoutMs);
    return deleted > 0;
  }

  async count(): Promise<number> {
    return (await reach(() => COUNT.run(this.client, this.index, this.staleBefore()), this.timeoutMs)) as number;
  }

  /** The connection belongs to whoever made it. */
  async close(): Promise<void> {}

  /**
   * Index entries older than this are of sessions that expired: a busy
   * session tells the index at least every quarter TTL, so an entry older than
   * TTL and a quarter is stale (the count errs towards refusing early).
   */
  private staleBefore(): number {
    return this.now() - this.options.idleTtlMs * 1.25;
  }

  private keys(id: string): { record: string; subscriptions: string } {
    const tag = `${this.prefix}{${hashOf(id)}}`;
    return { record: `${tag}:r`, subscriptions: `${tag}:s` };
  }
}

/** A session's name in the store: a hash of its id (the id is a credential; the hash is not). */
export function hashOf(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('base64url').slice(0, 22);
}

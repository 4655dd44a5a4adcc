import { randomBytes } from 'node:crypto';
import type { EventStore, EventStoreOptions, Replay } from './event-store.js';
import { LuaScript, reach, type RedisClient } from './redis-connection.js';
import { hashOf } from './redis-session-store.js';
import type { SessionRelay } from './session-relay.js';

/**
 * Lua helpers shared by the scripts. One session's events live in three keys
 * of one cluster slot: KEYS[1] a meta hash (per stream `n:` last number, `f:`
 * first kept, `d:` dropped through, `c:` complete; `standalone`, `bytes`,
 * `seq`), KEYS[2] the events by `<stream>|<number>`, KEYS[3] the order they
 * were written in (a sorted set, oldest first, for the byte budget).
 */
const HELPERS = `
local function num(field) return tonumber(redis.call('HGET', KEYS[1], field) or '0') end
local function dropThrough(k, through)
  local first = math.max(num('f:' .. k), 1)
  for i = first, through do
    local field = k .. '|' .. i
    local size = redis.call('HSTRLEN', KEYS[2], field)
    if size > 0 then
      redis.call('HDEL', KEYS[2], field)
      redis.call('ZREM', KEYS[3], field)
      redis.call('HINCRBY', KEYS[1], 'bytes', -size)
    end
  end
  if through + 1 > first then redis.call('HSET', KEYS[1], 'f:' .. k, through + 1) end
  if through > num('d:' .. k) then redis.call('HSET', KEYS[1], 'd:' .. k, through) end
end
local function keep(k, no, data, perStream, maxBytes)
  redis.call('HSET', KEYS[1], 'n:' .. k, no)
  if string.len(data) > maxBytes then
    dropThrough(k, no)
    return
  end
  local field = k .. '|' .. no
  redis.call('HSET', KEYS[2], field, data)
  redis.call('ZADD', KEYS[3], redis.call('HINCRBY', KEYS[1], 'seq', 1), field)
  redis.call('HINCRBY', KEYS[1], 'bytes', string.len(data))
  if no > perStream then dropThrough(k, no - perStream) end
  while num('bytes') > maxBytes do
    local oldest = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
    if not oldest then break end
    local stream, n = string.match(oldest, '^(.*)|(%d+)$')
    dropThrough(stream, tonumber(n))
  end
end
local function live(ttl)
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
end
`;

/** ARGV: stream, number, data, per stream, max bytes, ttl. */
const APPEND = new LuaScript(
  `${HELPERS}
keep(ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]))
live(ARGV[6])
return 1`,
  3,
);

/** ARGV: data, per stream, max bytes, ttl. Returns {stream, number}, or false when the session has no standalone stream. */
const APPEND_STANDALONE = new LuaScript(
  `${HELPERS}
local k = redis.call('HGET', KEYS[1], 'standalone')
if not k then return false end
local no = num('n:' .. k) + 1
keep(k, no, ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
live(ARGV[4])
return { k, no }`,
  3,
);

/** ARGV: stream, ttl, standalone ('1' to make it the session's standalone stream). */
const OPEN = new LuaScript(
  `${HELPERS}
redis.call('HSETNX', KEYS[1], 'n:' .. ARGV[1], 0)
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'standalone', ARGV[1]) end
live(ARGV[2])
return 1`,
  3,
);

/** ARGV: stream. */
const FINISH = new LuaScript(
  `${HELPERS}
dropThrough(ARGV[1], num('n:' .. ARGV[1]))
return 1`,
  3,
);

/** ARGV: stream. */
const COMPLETE = new LuaScript(
  `redis.call('HSET', KEYS[1], 'c:' .. ARGV[1], 1)
return 1`,
  3,
);

/** ARGV: stream, number after which to replay, ttl. Returns {'unknown'}, {'gap'} or {'replay', complete, standalone, n1, d1, ...}. */
const REPLAY = new LuaScript(
  `${HELPERS}
local k, after = ARGV[1], tonumber(ARGV[2])
local last = redis.call('HGET', KEYS[1], 'n:' .. k)
if not last or after > tonumber(last) then return { 'unknown' } end
if num('d:' .. k) > after then return { 'gap' } end
dropThrough(k, after)
live(ARGV[3])
local out = { 'replay', num('c:' .. k), redis.call('HGET', KEYS[1], 'standalone') == k and 1 or 0 }
for i = after + 1, tonumber(last) do
  local data = redis.call('HGET', KEYS[2], k .. '|' .. i)
  if data then
    table.insert(out, i)
    table.insert(out, data)
  end
end
return out`,
  3,
);

/** Writers' own numbering of the reply streams they write, kept for this many streams at most. */
const NUMBERED_STREAMS = 10_000;

/**
 * SSE events in Redis or Valkey, so a client that lost its stream resumes it
 * on any task. A reply stream has one writer (the task answering the
 * request): it numbers its events itself, keeps them in the background in
 * order, and, when its client is away, relays each one after it is kept to
 * whichever task resumed the stream. The standalone stream may be written by
 * any task's copy of the session: the store numbers its events. Bounded per
 * stream (count), per session (bytes, oldest first) and in time (the TTL);
 * the whole is bounded by the server's own memory limits, not by this class.
 */
export class RedisEventStore implements EventStore {
  /** Names this process's streams: a key issued here is never issued by another task or a later process. */
  private readonly tag = randomBytes(6).toString('base64url');
  private nextStream = 1;
  /** The next number of each reply stream this task writes. */
  private readonly numbers = new Map<string, number>();
  /**
   * Each session's store calls from this task, one after another: a cluster
   * client may reorder commands to one slot (a redirect while a node
   * connection opens, or while slots move), and a stream's events must be kept
   * in the order they were written.
   */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
    private readonly relay: SessionRelay,
    private readonly options: EventStoreOptions,
    private readonly error: (error: Error) => void,
    /** Longest a store call may take before the request that needed it gets 503. */
    private readonly timeoutMs: number,
  ) {}

  openStream(_sessionId: string): string {
    const key = `${this.tag}.${this.nextStream.toString(36)}`;
    this.nextStream += 1;
    return key;
  }

  append(sessionId: string, streamKey: string, data: string, announce = false): string {
    const numbered = `${sessionId}\n${streamKey}`;
    const no = this.numbers.get(numbered) ?? 1;
    this.numbers.delete(numbered);
    this.numbers.set(numbered, no + 1);
    if (this.numbers.size > NUMBERED_STREAMS) this.numbers.delete(this.numbers.keys().next().value as string);
    const id = `${streamKey}.${no}`;
    const { perStream, maxBytes, ttl } = this.bounds();
    this.inOrder(sessionId, () => APPEND.run(this.client, ...this.keys(sessionId), streamKey, no, data, perStream, maxBytes, ttl)).then(
      () => {
        // Kept first, relayed after: a task that reads the store after it started listening misses nothing.
        if (announce) this.relay.publish({ kind: 'event', session: sessionId, stream: streamKey, id, data });
      },
      (error: unknown) => this.error(error as Error),
    );
    return id;
  }

  complete(sessionId: string, streamKey: string, announce = false): void {
    this.numbers.delete(`${sessionId}\n${streamKey}`);
    this.inOrder(sessionId, () => COMPLETE.run(this.client, ...this.keys(sessionId), streamKey)).then(
      () => {
        if (announce) this.relay.publish({ kind: 'end', session: sessionId, stream: streamKey });
      },
      (error: unknown) => this.error(error as Error),
    );
  }

  async openStandalone(sessionId: string): Promise<string> {
    const key = this.openStream(sessionId);
    await reach(() => this.inOrder(sessionId, () => OPEN.run(this.client, ...this.keys(sessionId), key, this.options.idleTtlMs, '1')), this.timeoutMs);
    return key;
  }

  async appendStandalone(sessionId: string, data: string): Promise<{ streamKey: string; id: string } | undefined> {
    const { perStream, maxBytes, ttl } = this.bounds();
    const kept = (await reach(
      () => this.inOrder(sessionId, () => APPEND_STANDALONE.run(this.client, ...this.keys(sessionId), data, perStream, maxBytes, ttl)),
      this.timeoutMs,
    )) as [string, number] | null;
    return kept === null ? undefined : { streamKey: kept[0], id: `${kept[0]}.${kept[1]}` };
  }

  primeId(sessionId: string, streamKey: string): string {
    this.inOrder(sessionId, () => OPEN.run(this.client, ...this.keys(sessionId), streamKey, this.options.idleTtlMs, '0')).catch((error: unknown) =>
      this.error(error as Error),
    );
    return `${streamKey}.0`;
  }

  finish(sessionId: string, streamKey: string): void {
    this.numbers.delete(`${sessionId}\n${streamKey}`);
    this.inOrder(sessionId, () => FINISH.run(this.client, ...this.keys(sessionId), streamKey)).catch((error: unknown) => this.error(error as Error));
  }

  async replayAfter(sessionId: string, lastEventId: string): Promise<Replay> {
    const cut = lastEventId.lastIndexOf('.');
    const streamKey = lastEventId.slice(0, cut);
    const eventText = lastEventId.slice(cut + 1);
    if (cut === -1 || !/^\d{1,15}$/.test(eventText)) return { kind: 'unknown' };
    const found = (await reach(
      () => this.inOrder(sessionId, () => REPLAY.run(this.client, ...this.keys(sessionId), streamKey, Number(eventText), this.options.idleTtlMs)),
      this.timeoutMs,
    )) as (string | number)[];
    if (found[0] !== 'replay') return { kind: found[0] === 'gap' ? 'gap' : 'unknown' };
    const events: { id: string; data: string }[] = [];
    for (let i = 3; i + 1 < found.length; i += 2) events.push({ id: `${streamKey}.${found[i]}`, data: String(found[i + 1]) });
    return { kind: 'replay', streamKey, events, complete: found[1] === 1, standalone: found[2] === 1 };
  }

  dropSession(sessionId: string): void {
    for (const numbered of this.numbers.keys()) if (numbered.startsWith(`${sessionId}\n`)) this.numbers.delete(numbered);
    this.inOrder(sessionId, () => this.client.del(...this.keys(sessionId))).catch((error: unknown) => this.error(error as Error));
  }

  /** The connection belongs to whoever made it. */
  async close(): Promise<void> {}

  /** Runs `call` after this task's earlier calls for the session have settled. */
  private inOrder<T>(sessionId: string, call: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(sessionId) ?? Promise.resolve();
    const next = previous.then(call, call);
    const tail = next.catch(() => undefined);
    this.queues.set(sessionId, tail);
    void tail.then(() => {
      if (this.queues.get(sessionId) === tail) this.queues.delete(sessionId);
    });
    return next;
  }

  private bounds(): { perStream: number; maxBytes: number; ttl: number } {
    return { perStream: this.options.eventsPerStream, maxBytes: this.options.maxSessionBytes, ttl: this.options.idleTtlMs };
  }

  private keys(sessionId: string): [string, string, string] {
    const tag = `${this.prefix}{${hashOf(sessionId)}}`;
    return [`${tag}:em`, `${tag}:ev`, `${tag}:eo`];
  }
}

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { ConnectionEvents, Era, HostedConnection, HostedServer } from '../hosting/hosted-server.js';
import { RequestBudget } from '../hosting/request-budget.js';
import type { InboundMessage, JsonRpcId, RpcError } from '../protocol/json-rpc.js';
import type { EventStream, ReplySink } from '../reply/reply-sink.js';
import { StreamSlots } from '../reply/stream-slots.js';
import { MemorySessionStore } from '../stores/memory-session-store.js';
import { LocalRelay } from '../stores/session-relay.js';
import type { LiveSession } from './live-session.js';
import { type Acquired, SessionManager, type SessionManagerOptions } from './session-manager.js';
import { SessionStreams } from './session-streams.js';

const LIVE_SERVER_IDLE_MS = 1000;
const SESSION_IDLE_TTL_MS = 60_000;

const INITIALIZE = { protocolVersion: '2025-11-25', capabilities: { sampling: {} }, clientInfo: { name: 'unit', version: '1' } };

/**
 * A hosted server that answers every request at once, except a `tools/call`
 * of the tool `hold`, which waits until the test releases it. It counts the
 * connections it opened and closed, and what each one received.
 */
class ScriptedServer implements HostedServer {
  readonly description = 'a scripted server';
  readonly eras: ReadonlySet<Era> = new Set(['legacy']);
  opened = 0;
  closed = 0;
  /** Every message each connection received, by connection number. */
  readonly received = new Map<number, InboundMessage[]>();
  private readonly held: (() => void)[] = [];

  async connect(_era: Era, events: ConnectionEvents): Promise<HostedConnection> {
    this.opened += 1;
    const number = this.opened;
    const received: InboundMessage[] = [];
    this.received.set(number, received);
    let closed = false;
    return {
      relates: true,
      get closed() {
        return closed;
      },
      send: (message) => {
        received.push(message);
        if (message.method === undefined || message.id === undefined) return;
        const id = message.id;
        const answer = (result: unknown): void => events.message({ jsonrpc: '2.0', id, result }, undefined);
        if (message.method === 'tools/call' && (message.params as { name?: unknown }).name === 'hold') {
          this.held.push(() => answer({ content: [] }));
        } else if (message.method === 'initialize') {
          const requested = (message.params as { protocolVersion?: unknown }).protocolVersion;
          answer({ protocolVersion: requested, capabilities: {}, serverInfo: { name: 'scripted', version: '1' } });
        } else {
          answer({});
        }
      },
      close: async () => {
        if (closed) return;
        closed = true;
        this.closed += 1;
      },
    };
  }

  async close(): Promise<void> {}

  /** Connections open now. */
  get live(): number {
    return this.opened - this.closed;
  }

  /** The methods the most recent connection received, in order. */
  lastReceived(): (string | undefined)[] {
    return (this.received.get(this.opened) ?? []).map((message) => message.method);
  }

  /** Answers every held request. */
  release(): void {
    for (const answer of this.held.splice(0)) answer();
  }
}

/** The client's side of a standalone stream; `close()` is the client going away. */
class FakeStream implements EventStream {
  open = true;
  private readonly listeners: (() => void)[] = [];

  onClosed(listener: () => void): void {
    this.listeners.push(listener);
  }

  prime(): void {}

  send(): void {}

  end(): void {
    this.open = false;
    for (const listener of this.listeners.splice(0)) listener();
  }
}

/** A reply sink that accepts an answer or a stream and keeps nothing. */
class QuietSink implements ReplySink {
  closed = false;
  readonly answers: number[] = [];

  onClose(): void {}

  json(status: number): void {
    this.answers.push(status);
  }

  error(status: number, _id: JsonRpcId, _error: RpcError): void {
    this.answers.push(status);
  }

  empty(status: number): void {
    this.answers.push(status);
  }

  stream(): EventStream | undefined {
    return new FakeStream();
  }

  noteRpcError(): void {}
}

interface Setup {
  readonly manager: SessionManager;
  readonly server: ScriptedServer;
  readonly clock: { time: number };
  readonly errors: Error[];
  /** Creates a session (a record only: init is lazy) and returns its id. */
  session(): Promise<string>;
  /** Acquires a session that must be there and unpins it, as the endpoint does once the request is handed over. */
  use(id: string): Promise<LiveSession>;
}

async function setup(t: TestContext, options: Partial<SessionManagerOptions> = {}): Promise<Setup> {
  const clock = { time: 1_700_000_000_000 };
  const now = (): number => clock.time;
  const server = new ScriptedServer();
  const errors: Error[] = [];
  const manager = new SessionManager({
    server,
    store: new MemorySessionStore({ idleTtlMs: SESSION_IDLE_TTL_MS, maxSessions: 100, maxRecordBytes: 4096, maxSubscriptions: 8, now }),
    events: undefined,
    streams: new SessionStreams(undefined, new StreamSlots(10), new LocalRelay(), now),
    relay: new LocalRelay(),
    budget: new RequestBudget(100),
    maxLiveServers: 2,
    liveServerIdleMs: LIVE_SERVER_IDLE_MS,
    sessionIdleTtlMs: SESSION_IDLE_TTL_MS,
    init: 'lazy',
    handlerTimeoutMs: 60_000,
    startTimeoutMs: 60_000,
    error: (error) => errors.push(error),
    now,
    ...options,
  });
  t.after(() => manager.close());
  return {
    manager,
    server,
    clock,
    errors,
    async session() {
      const created = await manager.create(INITIALIZE);
      assert.equal(created.kind, 'created');
      return (created as { id: string }).id;
    },
    async use(id) {
      const session = await manager.acquire(id);
      assert.equal(typeof session, 'object', `acquire(${id}) gave ${String(session)}`);
      (session as LiveSession).unpin();
      return session as LiveSession;
    },
  };
}

/** Starts a request that the scripted server holds, on `session`'s live server. */
function hold(session: LiveSession): QuietSink {
  const sink = new QuietSink();
  session.post(sink, [{ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'hold', arguments: {} } }], 1, false);
  return sink;
}

const isSession = (acquired: Acquired): acquired is LiveSession => typeof acquired === 'object';

describe('SessionManager: the live-server cache', () => {
  describe('acquire', () => {
    it('GIVEN an id no session has THEN acquire answers gone and opens no server', async (t) => {
      const { manager, server } = await setup(t);
      assert.equal(await manager.acquire('no-such-session'), 'gone');
      assert.equal(server.opened, 0);
      assert.equal(manager.rebuilds, 0);
    });

    it('GIVEN a lazy session WHEN it is first acquired THEN its server is rebuilt from the record, and counted', async (t) => {
      const { manager, server, session, use } = await setup(t);
      const id = await session();
      assert.equal(manager.isLive(id), false, 'a lazy session has no live server until a request needs one');
      const openedBefore = server.opened;
      const live = await use(id);
      assert.equal(live.id, id);
      assert.equal(manager.isLive(id), true);
      assert.equal(manager.rebuilds, 1);
      assert.equal(server.opened, openedBefore + 1);
      assert.deepEqual(server.lastReceived(), ['initialize', 'notifications/initialized']);
      assert.deepEqual(server.received.get(server.opened)?.[0]?.params, INITIALIZE);
    });

    it('GIVEN a cached session WHEN acquired again THEN the same server serves it, without a rebuild', async (t) => {
      const { manager, server, session, use } = await setup(t);
      const id = await session();
      const first = await use(id);
      const opened = server.opened;
      const second = await use(id);
      assert.equal(second, first);
      assert.equal(manager.rebuilds, 1);
      assert.equal(server.opened, opened);
    });

    it('GIVEN two requests for an uncached session at once THEN they share one rebuild', async (t) => {
      const { manager, session } = await setup(t);
      const id = await session();
      const [a, b] = await Promise.all([manager.acquire(id), manager.acquire(id)]);
      assert.ok(isSession(a) && isSession(b));
      assert.equal(a, b);
      assert.equal(manager.rebuilds, 1);
      a.unpin();
      b.unpin();
    });

    it('GIVEN a session with state WHEN its evicted server is rebuilt THEN the level and subscriptions are replayed in order, and the rebuild counted', async (t) => {
      const { manager, server, session, use } = await setup(t);
      const id = await session();
      await use(id);
      assert.equal(await manager.change(id, { kind: 'subscribe', uri: 'test://b' }), 'applied');
      assert.equal(await manager.change(id, { kind: 'log-level', level: 'error' }), 'applied');
      assert.equal(await manager.change(id, { kind: 'subscribe', uri: 'test://a' }), 'applied');
      assert.equal(manager.evict(id), true);
      assert.equal(server.live, 0, 'the evicted server is closed');
      await use(id);
      assert.equal(manager.rebuilds, 2);
      const replayed = server.received.get(server.opened) ?? [];
      assert.deepEqual(
        replayed.map((message) => [message.method, message.params]),
        [
          ['initialize', INITIALIZE],
          ['notifications/initialized', undefined],
          ['logging/setLevel', { level: 'error' }],
          ['resources/subscribe', { uri: 'test://b' }],
          ['resources/subscribe', { uri: 'test://a' }],
        ],
      );
    });

    it('GIVEN a cached session whose record expired THEN acquire answers gone and closes its server', async (t) => {
      const { manager, server, clock, session, use } = await setup(t);
      const id = await session();
      await use(id);
      clock.time += SESSION_IDLE_TTL_MS + 1;
      assert.equal(await manager.acquire(id), 'gone');
      assert.equal(manager.isLive(id), false);
      assert.equal(server.live, 0);
    });
  });

  describe('the cap on live servers (maxLiveServers 2)', () => {
    it('GIVEN the cache is full WHEN another session needs a server THEN the least recently used idle one goes', async (t) => {
      const { manager, server, session, use } = await setup(t);
      const [a, b, c] = [await session(), await session(), await session()];
      await use(a);
      await use(b);
      await use(a); // a is now the most recently used
      await use(c);
      assert.deepEqual([manager.isLive(a), manager.isLive(b), manager.isLive(c)], [true, false, true]);
      assert.equal(manager.liveCount, 2);
      assert.equal(server.live, 2, 'the evicted server was closed');
    });

    it('GIVEN every live server pinned (a request between lookup and hand-over) THEN another session is told busy', async (t) => {
      const { manager, session, use } = await setup(t);
      const [a, b, c] = [await session(), await session(), await session()];
      const pinnedA = await manager.acquire(a);
      const pinnedB = await manager.acquire(b);
      assert.equal(await manager.acquire(c), 'busy');
      assert.ok(isSession(pinnedA) && isSession(pinnedB));
      assert.deepEqual([manager.isLive(a), manager.isLive(b)], [true, true]);
      pinnedA.unpin();
      await use(c);
      assert.deepEqual([manager.isLive(a), manager.isLive(b), manager.isLive(c)], [false, true, true]);
      pinnedB.unpin();
    });

    it('GIVEN every live server pinned WHEN a request names a session that does not exist THEN it is told gone, not busy', async (t) => {
      const { manager, session } = await setup(t);
      const pinned = [await manager.acquire(await session()), await manager.acquire(await session())];
      t.after(() => {
        for (const live of pinned) if (isSession(live)) live.unpin();
      });
      assert.equal(await manager.acquire('no-such-session'), 'gone');
    });

    it('GIVEN every live server working on a request THEN another session is told busy, until one is answered', async (t) => {
      const { manager, server, session, use } = await setup(t);
      const [a, b, c] = [await session(), await session(), await session()];
      const answerA = hold(await use(a));
      hold(await use(b));
      assert.equal(await manager.acquire(c), 'busy');
      server.release();
      assert.deepEqual(answerA.answers, [200]);
      await use(c);
      assert.equal(manager.isLive(c), true);
      assert.equal(manager.liveCount, 2);
    });

    it('GIVEN idle sessions with and without a standalone stream WHEN the cap needs a place THEN one without a stream goes first, even if used more recently', async (t) => {
      const { manager, session, use } = await setup(t);
      const [a, b, c] = [await session(), await session(), await session()];
      await use(a);
      assert.equal(await manager.openStandalone(a, new QuietSink(), false), 'opened');
      await use(b);
      await use(c);
      assert.deepEqual([manager.isLive(a), manager.isLive(b), manager.isLive(c)], [true, false, true]);
    });

    it('GIVEN the only idle live server has an open standalone stream WHEN the cap needs its place THEN it goes, and the stream stays open', async (t) => {
      const { manager, session, use } = await setup(t, { maxLiveServers: 1 });
      const [a, b] = [await session(), await session()];
      await use(a);
      assert.equal(await manager.openStandalone(a, new QuietSink(), false), 'opened');
      await use(b);
      assert.deepEqual([manager.isLive(a), manager.isLive(b)], [false, true]);
      assert.equal(await manager.openStandalone(a, new QuietSink(), false), 'conflict', 'the stream belongs to the session, not to its server');
    });

    it('GIVEN eager sessions WHEN every live server is busy THEN a new session is refused busy and opens nothing', async (t) => {
      const { manager, server } = await setup(t, { init: 'eager', maxLiveServers: 1 });
      const first = await manager.create(INITIALIZE);
      assert.equal(first.kind, 'created');
      const pinned = await manager.acquire((first as { id: string }).id);
      const opened = server.opened;
      assert.deepEqual(await manager.create(INITIALIZE), { kind: 'busy' });
      assert.equal(server.opened, opened);
      assert.ok(isSession(pinned));
      pinned.unpin();
    });
  });

  describe('the idle sweep (liveServerIdleMs 1000 on the injected clock)', () => {
    it('GIVEN an idle live server WHEN exactly liveServerIdleMs has passed THEN it stays, and one millisecond later it goes', async (t) => {
      const { manager, server, clock, session, use } = await setup(t);
      const id = await session();
      await use(id);
      clock.time += LIVE_SERVER_IDLE_MS;
      manager.sweep();
      assert.equal(manager.isLive(id), true);
      clock.time += 1;
      manager.sweep();
      assert.equal(manager.isLive(id), false);
      assert.equal(server.live, 0);
    });

    it('GIVEN a session used again WHEN the sweep runs THEN its idle time counts from the last use', async (t) => {
      const { manager, clock, session, use } = await setup(t);
      const id = await session();
      await use(id);
      clock.time += 800;
      await use(id);
      clock.time += 800;
      manager.sweep();
      assert.equal(manager.isLive(id), true);
    });

    it('GIVEN an evicted session WHEN a request needs it again THEN it is rebuilt and counted', async (t) => {
      const { manager, clock, session, use } = await setup(t);
      const id = await session();
      await use(id);
      clock.time += LIVE_SERVER_IDLE_MS + 1;
      manager.sweep();
      await use(id);
      assert.equal(manager.isLive(id), true);
      assert.equal(manager.rebuilds, 2);
    });

    it('GIVEN a pinned session THEN the sweep never evicts it, however long it waits', async (t) => {
      const { manager, clock, session } = await setup(t);
      const id = await session();
      const pinned = await manager.acquire(id);
      assert.ok(isSession(pinned));
      clock.time += LIVE_SERVER_IDLE_MS * 100;
      manager.sweep();
      assert.equal(manager.isLive(id), true);
      pinned.unpin();
      manager.sweep();
      assert.equal(manager.isLive(id), false);
    });

    it('GIVEN a session working on a request THEN the sweep never evicts it; once answered it can go', async (t) => {
      const { manager, server, clock, session, use } = await setup(t);
      const id = await session();
      hold(await use(id));
      clock.time += LIVE_SERVER_IDLE_MS * 100;
      manager.sweep();
      assert.equal(manager.isLive(id), true);
      assert.equal(manager.pendingRequests, 1);
      server.release();
      manager.sweep();
      assert.equal(manager.isLive(id), false);
    });

    it('GIVEN an idle session with an open standalone stream THEN the sweep keeps it; once the stream closes it can go', async (t) => {
      const { manager, clock, session, use } = await setup(t);
      const id = await session();
      await use(id);
      const sink = new QuietSink();
      let stream: EventStream | undefined;
      sink.stream = () => {
        stream = new FakeStream();
        return stream;
      };
      assert.equal(await manager.openStandalone(id, sink, false), 'opened');
      clock.time += LIVE_SERVER_IDLE_MS * 100;
      manager.sweep();
      assert.equal(manager.isLive(id), true);
      stream?.end();
      manager.sweep();
      assert.equal(manager.isLive(id), false);
    });
  });
});

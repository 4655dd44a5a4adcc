import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { InboundMessage, OutboundMessage, RequestId, RpcSink } from '../protocol/json-rpc.js';
import type { ConnectionEvents, Era, HostedConnection, HostedServer, SendExtra } from './hosted-server.js';
import { RequestBudget } from './request-budget.js';
import { type ChannelEvents, RpcChannel } from './rpc-channel.js';

const DEADLINE_MS = 1000;

/** One connection of the fake server: what the gateway sent, and a way to speak as the server. */
class FakeConnection implements HostedConnection {
  closed = false;
  readonly relates = true;
  closeCalls = 0;
  readonly sent: { message: InboundMessage; extra: SendExtra | undefined }[] = [];

  constructor(
    readonly era: Era,
    private readonly events: ConnectionEvents,
  ) {}

  send(message: InboundMessage, extra?: SendExtra): void {
    this.sent.push({ message, extra });
  }

  async close(): Promise<void> {
    this.closeCalls += 1;
    this.closed = true;
  }

  /** The last request the server received with this method. */
  received(method: string): InboundMessage & { id: RequestId } {
    const found = this.sent.findLast((entry) => entry.message.method === method && entry.message.id !== undefined);
    assert.ok(found, `the server never received ${method}: ${JSON.stringify(this.sent)}`);
    return found.message as InboundMessage & { id: RequestId };
  }

  /** The server answers the request it knows as `id`. */
  answer(id: RequestId, result: unknown = { answered: id }): void {
    this.events.message({ jsonrpc: '2.0', id, result }, undefined);
  }

  /** The server sends a message, saying (or not) which request it relates to. */
  emit(message: OutboundMessage, related?: RequestId): void {
    this.events.message(message, related);
  }

  /** The server ends the connection on its side. */
  end(reason: string): void {
    this.closed = true;
    this.events.closed(reason);
  }
}

/** A hosted server that hands out fake connections and answers nothing on its own. */
class FakeServer implements HostedServer {
  readonly description = 'a fake server';
  readonly eras: ReadonlySet<Era> = new Set(['legacy', 'modern']);
  readonly connections: FakeConnection[] = [];

  async connect(era: Era, events: ConnectionEvents): Promise<HostedConnection> {
    const connection = new FakeConnection(era, events);
    this.connections.push(connection);
    return connection;
  }

  async close(): Promise<void> {}
}

/** Counts every take and give, so a double give or a missed one shows even when the totals balance. */
class CountingBudget extends RequestBudget {
  takes = 0;
  gives = 0;

  override take(): void {
    this.takes += 1;
    super.take();
  }

  override give(): void {
    this.gives += 1;
    super.give();
  }
}

/** Collects what is delivered to one client's reply. */
class Collector implements RpcSink {
  readonly messages: OutboundMessage[] = [];

  deliver(message: OutboundMessage): void {
    this.messages.push(message);
  }
}

interface Setup {
  readonly channel: RpcChannel;
  readonly connection: FakeConnection;
  readonly budget: CountingBudget;
  readonly unrelated: OutboundMessage[];
  readonly closedReasons: string[];
  readonly errors: Error[];
}

async function open(t: TestContext, era: Era = 'legacy'): Promise<Setup> {
  const server = new FakeServer();
  const budget = new CountingBudget(100);
  const unrelated: OutboundMessage[] = [];
  const closedReasons: string[] = [];
  const errors: Error[] = [];
  const events: ChannelEvents = {
    unrelated: (message) => unrelated.push(message),
    closed: (reason) => closedReasons.push(reason),
    error: (error) => errors.push(error),
  };
  const channel = await RpcChannel.open(server, era, events, DEADLINE_MS, budget);
  t.after(() => channel.close());
  const connection = server.connections[0] as FakeConnection;
  return { channel, connection, budget, unrelated, closedReasons, errors };
}

const request = (id: RequestId, method = 'tools/call', params: unknown = { name: 'echo' }) => ({ jsonrpc: '2.0' as const, id, method, params });
const errorCodeOf = (message: OutboundMessage | undefined): unknown => (message?.error as { data?: { code?: unknown } } | undefined)?.data?.code;

describe('RpcChannel', () => {
  describe('request ids', () => {
    it('GIVEN a connection THEN it is opened in the era asked for', async (t) => {
      const { connection } = await open(t, 'modern');
      assert.equal(connection.era, 'modern');
    });

    it('GIVEN a client request WHEN it reaches the server THEN its id is the channel’s own, and the answer carries the client’s id', async (t) => {
      const { channel, connection } = await open(t);
      const sink = new Collector();
      const id = channel.request(request('client-a'), sink);
      const sent = connection.received('tools/call');
      assert.equal(sent.id, id);
      assert.notEqual(sent.id, 'client-a');
      assert.deepEqual(sent.params, { name: 'echo' }, 'everything but the id passes unchanged');
      connection.answer(id, { content: [] });
      assert.deepEqual(sink.messages, [{ jsonrpc: '2.0', id: 'client-a', result: { content: [] } }]);
    });

    it('GIVEN two requests with the same client id WHEN the server answers them in reverse THEN each sink gets its own answer', async (t) => {
      const { channel, connection } = await open(t);
      const first = new Collector();
      const second = new Collector();
      const firstId = channel.request(request(7), first);
      const secondId = channel.request(request(7), second);
      assert.notEqual(firstId, secondId);
      connection.answer(secondId, 'second');
      connection.answer(firstId, 'first');
      assert.deepEqual(first.messages, [{ jsonrpc: '2.0', id: 7, result: 'first' }]);
      assert.deepEqual(second.messages, [{ jsonrpc: '2.0', id: 7, result: 'second' }]);
    });

    it('GIVEN the same client id twice WHEN the first is answered THEN the second is still in progress under that id', async (t) => {
      const { channel, connection } = await open(t);
      const firstId = channel.request(request(7), new Collector());
      const secondId = channel.request(request(7), new Collector());
      connection.answer(firstId);
      assert.equal(channel.has(7), true);
      connection.answer(secondId);
      assert.equal(channel.has(7), false);
    });

    it('GIVEN a client request THEN has() and inFlight follow it until it is answered', async (t) => {
      const { channel, connection } = await open(t);
      const id = channel.request(request(1), new Collector());
      assert.equal(channel.has(1), true);
      assert.equal(channel.has(2), false);
      assert.equal(channel.inFlight, 1);
      connection.answer(id);
      assert.equal(channel.has(1), false);
      assert.equal(channel.inFlight, 0);
    });

    it('GIVEN an answer to no request in progress (unknown, a string id, or a second answer) THEN it is dropped', async (t) => {
      const { channel, connection, unrelated } = await open(t);
      const sink = new Collector();
      const id = channel.request(request(1), sink);
      connection.answer(id);
      connection.answer(id, 'again');
      connection.answer(999);
      connection.answer(String(id));
      assert.equal(sink.messages.length, 1);
      assert.deepEqual(unrelated, []);
    });

    it('GIVEN extras for a request THEN the connection receives them', async (t) => {
      const { channel, connection } = await open(t);
      const closeSSEStream = (): void => {};
      channel.request(request(1), new Collector(), { closeSSEStream });
      assert.equal(connection.sent[0]?.extra?.closeSSEStream, closeSSEStream);
    });
  });

  describe('server messages', () => {
    it('GIVEN messages related to a request in progress THEN they go to that request’s sink, unchanged', async (t) => {
      const { channel, connection, unrelated } = await open(t);
      const a = new Collector();
      const b = new Collector();
      const aId = channel.request(request('a'), a);
      const bId = channel.request(request('b'), b);
      const progress: OutboundMessage = { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'p', progress: 1 } };
      const sampling: OutboundMessage = { jsonrpc: '2.0', id: 50, method: 'sampling/createMessage', params: {} };
      connection.emit(progress, bId);
      connection.emit(sampling, aId);
      assert.deepEqual(a.messages, [sampling]);
      assert.deepEqual(b.messages, [progress]);
      assert.deepEqual(unrelated, []);
    });

    it('GIVEN messages related to no request in progress THEN they go to unrelated', async (t) => {
      const { channel, connection, unrelated } = await open(t);
      const sink = new Collector();
      const id = channel.request(request(1), sink);
      connection.answer(id);
      const updated: OutboundMessage = { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'test://a' } };
      connection.emit(updated);
      connection.emit(updated, id);
      connection.emit(updated, 'not-a-channel-id');
      assert.deepEqual(unrelated, [updated, updated, updated]);
      assert.equal(sink.messages.length, 1);
    });

    it('GIVEN the client answers a server request THEN the answer passes unchanged (its id is the server’s own)', async (t) => {
      const { channel, connection } = await open(t);
      const answer: InboundMessage = { jsonrpc: '2.0', id: 50, result: { role: 'assistant' } };
      channel.answer(answer);
      assert.deepEqual(connection.sent.at(-1)?.message, answer);
    });
  });

  describe('client notifications', () => {
    it('GIVEN notifications/cancelled for a request in progress THEN the server is told the channel’s id, the rest unchanged', async (t) => {
      const { channel, connection } = await open(t);
      const id = channel.request(request('c-1'), new Collector());
      channel.notify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'c-1', reason: 'user' } });
      assert.deepEqual(connection.sent.at(-1)?.message, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'user' } });
    });

    it('GIVEN a client cancels its request WHEN the server, as the SDK does, never answers a cancelled request THEN its budget and place are given back before the deadline', async (t) => {
      t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
      const { channel, budget, errors } = await open(t);
      channel.request(request('c-1'), new Collector());
      channel.notify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'c-1', reason: 'user' } });
      assert.equal(budget.inFlight, 0, 'the budget is given back at once');
      assert.equal(channel.inFlight, 0);
      assert.equal(channel.has('c-1'), false, 'the client may reuse its id');
      t.mock.timers.tick(DEADLINE_MS);
      assert.deepEqual(errors, [], 'no timeout is reported for a request the client cancelled');
    });

    it('GIVEN notifications/cancelled for no request in progress THEN nothing reaches the server', async (t) => {
      const { channel, connection } = await open(t);
      const id = channel.request(request('c-1'), new Collector());
      connection.answer(id);
      const before = connection.sent.length;
      channel.notify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'c-1' } });
      channel.notify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id } });
      channel.notify({ jsonrpc: '2.0', method: 'notifications/cancelled' });
      assert.equal(connection.sent.length, before);
    });

    it('GIVEN any other notification THEN it passes unchanged', async (t) => {
      const { channel, connection } = await open(t);
      const initialized: InboundMessage = { jsonrpc: '2.0', method: 'notifications/initialized' };
      channel.notify(initialized);
      assert.deepEqual(connection.sent.at(-1)?.message, initialized);
    });
  });

  describe('deadline', () => {
    it('GIVEN a client request the server never answers WHEN the deadline passes THEN the client gets HANDLER_TIMEOUT and the server a cancellation', async (t) => {
      t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
      const { channel, connection, budget, errors } = await open(t);
      const sink = new Collector();
      const id = channel.request(request('slow'), sink);
      t.mock.timers.tick(DEADLINE_MS - 1);
      assert.equal(sink.messages.length, 0, 'not before the deadline');
      t.mock.timers.tick(1);
      assert.equal(sink.messages.length, 1);
      assert.equal(sink.messages[0]?.id, 'slow');
      assert.equal(errorCodeOf(sink.messages[0]), 'HANDLER_TIMEOUT');
      assert.deepEqual(connection.sent.at(-1)?.message, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'timed out' } });
      assert.match(errors[0]?.message ?? '', /tools\/call did not answer within 1000 ms/);
      assert.equal(channel.has('slow'), false);
      assert.equal(budget.inFlight, 0);

      connection.answer(id, 'too late');
      assert.equal(sink.messages.length, 1, 'a late answer is dropped');
    });

    it('GIVEN an answer before the deadline THEN the deadline never fires', async (t) => {
      t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
      const { channel, connection, errors } = await open(t);
      const sink = new Collector();
      const id = channel.request(request(1), sink);
      connection.answer(id);
      t.mock.timers.tick(DEADLINE_MS * 2);
      assert.equal(sink.messages.length, 1);
      assert.deepEqual(errors, []);
      assert.equal(
        connection.sent.some((entry) => entry.message.method === 'notifications/cancelled'),
        false,
      );
    });

    it('GIVEN a call of the gateway’s own the server never answers WHEN the deadline passes THEN it resolves with HANDLER_TIMEOUT', async (t) => {
      t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
      const { channel } = await open(t);
      const answer = channel.call('logging/setLevel', { level: 'info' });
      t.mock.timers.tick(DEADLINE_MS);
      assert.equal(errorCodeOf(await answer), 'HANDLER_TIMEOUT');
    });

    it('GIVEN a subscription of the gateway’s own THEN it has no deadline: its messages keep coming', async (t) => {
      t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
      const { channel, connection } = await open(t);
      const sink = new Collector();
      const id = channel.subscribe('subscriptions/listen', { notifications: {} }, sink);
      t.mock.timers.tick(DEADLINE_MS * 10);
      assert.deepEqual(sink.messages, []);
      const changed: OutboundMessage = { jsonrpc: '2.0', method: 'notifications/tools/list_changed' };
      connection.emit(changed, id);
      assert.deepEqual(sink.messages, [changed]);
      assert.equal(channel.inFlight, 1);
    });
  });

  describe('the end of the connection', () => {
    it('GIVEN requests in progress WHEN the server closes THEN each is answered SERVER_GONE, the owner hears why, and nothing more is sent', async (t) => {
      const { channel, connection, closedReasons, budget } = await open(t);
      const a = new Collector();
      const b = new Collector();
      channel.request(request('a'), a);
      channel.request(request('b'), b);
      const own = channel.call('resources/subscribe', { uri: 'test://a' });
      const before = connection.sent.length;
      connection.end('the child exited');
      assert.equal(a.messages[0]?.id, 'a');
      assert.equal(errorCodeOf(a.messages[0]), 'SERVER_GONE');
      assert.match(JSON.stringify(a.messages[0]?.error), /the child exited/);
      assert.equal(b.messages[0]?.id, 'b');
      assert.equal(errorCodeOf(b.messages[0]), 'SERVER_GONE');
      assert.equal(errorCodeOf(await own), 'SERVER_GONE');
      assert.deepEqual(closedReasons, ['the child exited']);
      assert.equal(channel.isClosed, true);
      assert.equal(channel.inFlight, 0);
      assert.equal(budget.inFlight, 0);
      assert.equal(connection.sent.length, before);
    });

    it('GIVEN the server closed WHEN a client asks THEN it is answered SESSION_ENDED at once, the gateway’s own call SERVER_GONE, and nothing is sent', async (t) => {
      const { channel, connection, budget } = await open(t);
      connection.end('gone');
      const sink = new Collector();
      channel.request(request(3), sink);
      assert.deepEqual(
        sink.messages.map((message) => [message.id, errorCodeOf(message)]),
        [[3, 'SESSION_ENDED']],
      );
      assert.equal(errorCodeOf(await channel.call('ping', {})), 'SERVER_GONE');
      channel.notify({ jsonrpc: '2.0', method: 'notifications/initialized' });
      channel.answer({ jsonrpc: '2.0', id: 50, result: {} });
      assert.equal(connection.sent.length, 0, 'nothing is written to an ended connection');
      assert.equal(budget.takes, 0);
    });

    it('GIVEN requests in progress WHEN the gateway closes the channel THEN each is answered SESSION_ENDED and the connection closes, once', async (t) => {
      const { channel, connection, closedReasons } = await open(t);
      const sink = new Collector();
      channel.request(request('x'), sink);
      const own = channel.call('ping', {});
      await channel.close();
      await channel.close();
      assert.deepEqual(
        sink.messages.map((message) => [message.id, errorCodeOf(message)]),
        [['x', 'SESSION_ENDED']],
      );
      assert.equal(errorCodeOf(await own), 'SESSION_ENDED');
      assert.equal(connection.closeCalls, 1);
      assert.equal(channel.isClosed, true);
      assert.deepEqual(closedReasons, [], 'the owner closed it: nothing to tell the owner');
    });

    it('GIVEN a code WHEN the gateway closes the channel THEN pending requests are answered with it', async (t) => {
      const { channel } = await open(t);
      const sink = new Collector();
      channel.request(request('x'), sink);
      await channel.close('SERVER_GONE');
      assert.equal(errorCodeOf(sink.messages[0]), 'SERVER_GONE');
    });

    it('GIVEN the client went away WHEN the gateway cancels its request THEN the server is told, the sink hears nothing, and a late answer is dropped', async (t) => {
      const { channel, connection } = await open(t);
      const sink = new Collector();
      const id = channel.request(request('gone'), sink);
      channel.cancel(id, 'client disconnected');
      assert.deepEqual(connection.sent.at(-1)?.message, {
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: id, reason: 'client disconnected' },
      });
      connection.answer(id);
      assert.deepEqual(sink.messages, []);
      assert.equal(channel.has('gone'), false);
      const sent = connection.sent.length;
      channel.cancel(id, 'again');
      assert.equal(connection.sent.length, sent, 'a second cancel sends nothing');
    });
  });

  describe('request budget', () => {
    it('GIVEN a client request WHEN it is answered THEN the budget is taken once and given back once, whatever follows', async (t) => {
      const { channel, connection, budget } = await open(t);
      const id = channel.request(request(1), new Collector());
      assert.deepEqual([budget.takes, budget.gives, budget.inFlight], [1, 0, 1]);
      connection.answer(id);
      connection.answer(id);
      channel.cancel(id, 'late');
      await channel.close();
      assert.deepEqual([budget.takes, budget.gives, budget.inFlight], [1, 1, 0]);
    });

    it('GIVEN a client request WHEN it times out and is answered late THEN the budget is given back once', async (t) => {
      t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
      const { channel, connection, budget } = await open(t);
      const id = channel.request(request(1), new Collector());
      t.mock.timers.tick(DEADLINE_MS);
      connection.answer(id);
      await channel.close();
      assert.deepEqual([budget.takes, budget.gives], [1, 1]);
    });

    it('GIVEN a client request WHEN it is cancelled THEN the budget is given back once', async (t) => {
      const { channel, connection, budget } = await open(t);
      const id = channel.request(request(1), new Collector());
      channel.cancel(id, 'gone');
      connection.answer(id);
      connection.end('closed');
      assert.deepEqual([budget.takes, budget.gives], [1, 1]);
    });

    it('GIVEN client requests in progress WHEN the server closes, then the gateway closes THEN each is given back once', async (t) => {
      const { channel, connection, budget } = await open(t);
      channel.request(request(1), new Collector());
      channel.request(request(2), new Collector());
      connection.end('closed');
      await channel.close();
      assert.deepEqual([budget.takes, budget.gives, budget.inFlight], [2, 2, 0]);
    });

    it('GIVEN the gateway’s own call and subscribe THEN the budget is never touched, whether answered, timed out or closed', async (t) => {
      t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
      const { channel, connection, budget } = await open(t);
      const answered = channel.call('initialize', {});
      connection.answer(connection.received('initialize').id);
      await answered;
      const timedOut = channel.call('ping', {});
      t.mock.timers.tick(DEADLINE_MS);
      await timedOut;
      channel.subscribe('subscriptions/listen', {}, new Collector());
      assert.equal(channel.inFlight, 1);
      await channel.close();
      assert.deepEqual([budget.takes, budget.gives], [0, 0]);
    });
  });
});

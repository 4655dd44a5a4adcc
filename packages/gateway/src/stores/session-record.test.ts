import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { MemorySessionStore } from './memory-session-store.js';
import {
  initializeParamsOf,
  parseSessionRecord,
  type RecordLimits,
  recordSize,
  replayedRequests,
  STATE_CHANGING_METHODS,
  type SessionRecord,
  type StateChange,
  stateChangeOf,
  stateSize,
} from './session-record.js';

const LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

const record = (extra: Partial<SessionRecord> = {}): SessionRecord => ({
  id: 'session-1',
  protocolVersion: '2025-11-25',
  initialize: { protocolVersion: '2025-11-25', capabilities: { sampling: {} }, clientInfo: { name: 'unit', version: '1' } },
  createdAt: 1_700_000_000_000,
  subscriptions: [],
  ...extra,
});

describe('stateChangeOf', () => {
  it('GIVEN logging/setLevel with each syslog level THEN the level is recorded', () => {
    for (const level of LEVELS) assert.deepEqual(stateChangeOf('logging/setLevel', { level }), { kind: 'log-level', level });
  });

  it('GIVEN logging/setLevel with a level that is no syslog level, or none THEN nothing is recorded (the server refuses it)', () => {
    for (const params of [{ level: 'loud' }, { level: 'INFO' }, { level: 3 }, {}, undefined, null]) {
      assert.equal(stateChangeOf('logging/setLevel', params), undefined, JSON.stringify(params));
    }
  });

  it('GIVEN resources/subscribe and unsubscribe with a string uri THEN the subscription change is recorded', () => {
    assert.deepEqual(stateChangeOf('resources/subscribe', { uri: 'test://a' }), { kind: 'subscribe', uri: 'test://a' });
    assert.deepEqual(stateChangeOf('resources/unsubscribe', { uri: 'test://a' }), { kind: 'unsubscribe', uri: 'test://a' });
  });

  it('GIVEN a subscription change without a string uri THEN nothing is recorded', () => {
    for (const method of ['resources/subscribe', 'resources/unsubscribe']) {
      for (const params of [{ uri: 7 }, { uri: ['test://a'] }, {}, undefined, null]) {
        assert.equal(stateChangeOf(method, params), undefined, `${method} ${JSON.stringify(params)}`);
      }
    }
  });

  it('GIVEN any other method THEN nothing is recorded, whatever its params', () => {
    for (const method of ['tools/call', 'resources/read', 'initialize', 'notifications/initialized', 'logging/setlevel']) {
      assert.equal(stateChangeOf(method, { level: 'info', uri: 'test://a' }), undefined, method);
    }
  });

  it('GIVEN the record keeps only what the state-changing methods set THEN every one of them, and no other, yields a change', () => {
    const wellFormed = { level: 'info', uri: 'test://a' };
    for (const method of STATE_CHANGING_METHODS) assert.notEqual(stateChangeOf(method, wellFormed), undefined, method);
    assert.equal(STATE_CHANGING_METHODS.size, 3);
  });

  it('GIVEN extra params THEN only the level or uri is kept', () => {
    assert.deepEqual(stateChangeOf('resources/subscribe', { uri: 'test://a', _meta: { x: 1 }, level: 'info' }), { kind: 'subscribe', uri: 'test://a' });
  });
});

describe('initializeParamsOf', () => {
  it('GIVEN initialize params with more keys THEN only protocolVersion, capabilities and clientInfo are kept, unchanged', () => {
    const capabilities = { sampling: {}, elicitation: { form: {} }, experimental: { deep: { a: [1, 2] } } };
    const clientInfo = { name: 'c', version: '1', title: 'T' };
    const kept = initializeParamsOf({ protocolVersion: '2025-06-18', capabilities, clientInfo, _meta: { secret: 'x' }, extra: 'dropped' });
    assert.deepEqual(kept, { protocolVersion: '2025-06-18', capabilities, clientInfo });
    assert.deepEqual(Object.keys(kept).sort(), ['capabilities', 'clientInfo', 'protocolVersion']);
  });

  it('GIVEN missing or empty params THEN the three keys are there, undefined', () => {
    for (const params of [undefined, null, {}]) {
      assert.deepEqual(initializeParamsOf(params), { protocolVersion: undefined, capabilities: undefined, clientInfo: undefined });
    }
  });
});

describe('replayedRequests', () => {
  it('GIVEN a record with no state THEN a rebuild replays nothing after initialize', () => {
    assert.deepEqual(replayedRequests(record()), []);
  });

  it('GIVEN a level and subscriptions THEN the level is replayed first, then each subscription in the order made', () => {
    assert.deepEqual(replayedRequests(record({ logLevel: 'warning', subscriptions: ['test://b', 'test://a'] })), [
      { method: 'logging/setLevel', params: { level: 'warning' } },
      { method: 'resources/subscribe', params: { uri: 'test://b' } },
      { method: 'resources/subscribe', params: { uri: 'test://a' } },
    ]);
  });

  it('GIVEN each replayed request THEN it is one stateChangeOf records (a replay never sends what the record would refuse)', () => {
    const replay = replayedRequests(record({ logLevel: 'debug', subscriptions: ['test://a'] }));
    for (const { method, params } of replay) assert.notEqual(stateChangeOf(method, params), undefined, method);
  });
});

describe('recordSize and stateSize', () => {
  it('GIVEN a piece of state THEN it adds its JSON and one separator', () => {
    assert.equal(stateSize('info'), '"info"'.length + 1);
    assert.equal(stateSize('test://"quoted"'), JSON.stringify('test://"quoted"').length + 1);
  });

  it('GIVEN a record THEN its size is the record without its state serialized, plus each piece of state', () => {
    const { subscriptions: _, ...core } = record();
    const withState = record({ logLevel: 'info', subscriptions: ['test://a', 'test://b'] });
    assert.equal(recordSize(record()), JSON.stringify(core).length);
    assert.equal(recordSize(withState), JSON.stringify(core).length + stateSize('info') + stateSize('test://a') + stateSize('test://b'));
  });

  /** A memory store whose record limit is exactly `maxRecordBytes`, closed after the test. */
  function store(t: TestContext, maxRecordBytes: number): MemorySessionStore {
    const opened = new MemorySessionStore({ idleTtlMs: 60_000, maxSessions: 10, maxRecordBytes, maxSubscriptions: 10, now: () => 0 });
    t.after(() => opened.close());
    return opened;
  }

  it('GIVEN a record of exactly the limit THEN the memory store takes it, and refuses it one character lower', async (t) => {
    const created = record();
    assert.equal(await store(t, recordSize(created)).create(created), 'created');
    assert.equal(await store(t, recordSize(created) - 1).create(created), 'record-too-large');
  });

  it('GIVEN a sequence of changes THEN the memory store counts the result as recordSize does, to the character', async (t) => {
    const changes: StateChange[] = [
      { kind: 'subscribe', uri: 'test://a' },
      { kind: 'unsubscribe', uri: 'test://a' },
      { kind: 'log-level', level: 'info' },
      { kind: 'subscribe', uri: 'test://bb' },
      { kind: 'subscribe', uri: 'test://bb' },
    ];
    const final = record({ logLevel: 'info', subscriptions: ['test://bb'] });
    // The limit leaves no room beyond the final record: had the store counted one change differently, one would be refused or one more would fit.
    const exact = store(t, recordSize(final));
    assert.equal(await exact.create(record()), 'created');
    for (const change of changes) assert.equal(await exact.change('session-1', change), 'applied', JSON.stringify(change));
    assert.deepEqual(await exact.get('session-1'), final);
    assert.equal(recordSize((await exact.get('session-1')) as SessionRecord), recordSize(final));
    assert.equal(await exact.change('session-1', { kind: 'subscribe', uri: 'x' }), 'record-too-large');
    assert.equal(await exact.change('session-1', { kind: 'log-level', level: 'debug' }), 'record-too-large', 'debug is one character longer than info');

    const roomy = store(t, recordSize(final) + 1);
    assert.equal(await roomy.create(record()), 'created');
    for (const change of changes) await roomy.change('session-1', change);
    assert.equal(await roomy.change('session-1', { kind: 'log-level', level: 'debug' }), 'applied');
  });
});

describe('parseSessionRecord', () => {
  const limits: RecordLimits = { maxRecordBytes: 4096, maxSubscriptions: 4 };
  const good = record({ logLevel: 'notice', subscriptions: ['test://a', 'test://b'] });
  const tampered = (patch: Record<string, unknown>): string => JSON.stringify({ ...good, ...patch });

  it('GIVEN a record as a store wrote it THEN it reads back equal', () => {
    assert.deepEqual(parseSessionRecord(JSON.stringify(good), limits), good);
  });

  it('GIVEN a record without a log level THEN it reads back with none', () => {
    const plain = record();
    assert.deepEqual(parseSessionRecord(JSON.stringify(plain), limits), { ...plain, logLevel: undefined });
  });

  it('GIVEN extra keys at the top or in initialize THEN they are not kept', () => {
    const parsed = parseSessionRecord(JSON.stringify({ ...good, principal: 'admin', initialize: { ...good.initialize, _meta: { injected: true } } }), limits);
    assert.deepEqual(parsed, good);
    assert.equal(Object.hasOwn(parsed as object, 'principal'), false);
  });

  const refused: [string, string][] = [
    ['not JSON', '{"id": "session-1",'],
    ['null', 'null'],
    ['an array', JSON.stringify([good])],
    ['a string', JSON.stringify('session-1')],
    ['no id', tampered({ id: undefined })],
    ['a numeric id', tampered({ id: 1 })],
    ['no protocol version', tampered({ protocolVersion: undefined })],
    ['a numeric protocol version', tampered({ protocolVersion: 20251125 })],
    ['a string createdAt', tampered({ createdAt: '2026-01-01' })],
    ['initialize null', tampered({ initialize: null })],
    ['initialize an array', tampered({ initialize: [] })],
    ['initialize a string', tampered({ initialize: 'initialize' })],
    ['a level that is no syslog level', tampered({ logLevel: 'verbose' })],
    ['a numeric level', tampered({ logLevel: 3 })],
    ['a null level', tampered({ logLevel: null })],
    ['no subscriptions', tampered({ subscriptions: undefined })],
    ['subscriptions not an array', tampered({ subscriptions: 'test://a' })],
    ['a subscription that is no string', tampered({ subscriptions: ['test://a', 7] })],
    ['more subscriptions than the limit', tampered({ subscriptions: ['test://1', 'test://2', 'test://3', 'test://4', 'test://5'] })],
  ];
  for (const [what, json] of refused) {
    it(`GIVEN ${what} THEN it is refused`, () => {
      assert.equal(parseSessionRecord(json, limits), undefined);
    });
  }

  it('GIVEN exactly the subscription limit THEN it is accepted', () => {
    const full = record({ subscriptions: ['test://1', 'test://2', 'test://3', 'test://4'] });
    assert.deepEqual(parseSessionRecord(JSON.stringify(full), limits)?.subscriptions, full.subscriptions);
  });

  it('GIVEN a text longer than the limit allows THEN it is refused before it is parsed', () => {
    const small: RecordLimits = { maxRecordBytes: 300, maxSubscriptions: 4 };
    const padded = record({ initialize: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x'.repeat(600), version: '1' } } });
    assert.equal(parseSessionRecord(JSON.stringify(padded), small), undefined);
  });

  it('GIVEN the largest record a store accepts THEN its whole serialization is still accepted (the slack covers the key names)', async (t) => {
    const maxRecordBytes = 1024;
    const store = new MemorySessionStore({ idleTtlMs: 60_000, maxSessions: 1, maxRecordBytes, maxSubscriptions: 4, now: () => 0 });
    t.after(() => store.close());
    assert.equal(await store.create(record()), 'created');
    assert.equal(await store.change('session-1', { kind: 'log-level', level: 'emergency' }), 'applied');
    // Fill the record to the character with subscriptions.
    for (let index = 1; index <= 4; index += 1) {
      const current = (await store.get('session-1')) as SessionRecord;
      const room = maxRecordBytes - recordSize(current);
      const prefix = `test://${index}/`;
      const uri = index < 4 ? `${prefix}${'u'.repeat(Math.floor(room / 4))}` : `${prefix}${'u'.repeat(room - stateSize(prefix))}`;
      assert.equal(await store.change('session-1', { kind: 'subscribe', uri }), 'applied');
    }
    const largest = (await store.get('session-1')) as SessionRecord;
    assert.equal(recordSize(largest), maxRecordBytes);
    assert.deepEqual(parseSessionRecord(JSON.stringify(largest), { maxRecordBytes, maxSubscriptions: 4 }), largest);
  });
});

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SessionRecord } from './session-record.js';
import type { SessionStore, SessionStoreOptions } from './session-store.js';

/** Time as a store under test sees it: a fake clock where the store takes one, the wall clock otherwise. */
export interface ContractClock {
  /** Passed to the store as `now` (a store that keeps its own time ignores it). */
  readonly now: () => number;
  /** Lets `ms` pass for the store. */
  advance(ms: number): Promise<void>;
}

/** A clock the test moves by hand. */
export function manualClock(start = 1_700_000_000_000): ContractClock {
  let time = start;
  return {
    now: () => time,
    advance: async (ms) => {
      time += ms;
    },
  };
}

/** The wall clock, for stores that keep their own time (a Redis TTL). */
export const wallClock: ContractClock = { now: Date.now, advance: (ms) => sleep(ms) };

const LIMITS = { maxSessions: 10, maxRecordBytes: 2048, maxSubscriptions: 4 };

/**
 * The behaviour every `SessionStore` must have. Each implementation's test
 * file calls this with a factory; the memory store and shared stores run the
 * same cases.
 */
export function sessionStoreContract(
  name: string,
  makeStore: (options: SessionStoreOptions) => Promise<SessionStore> | SessionStore,
  clock: () => ContractClock = manualClock,
): void {
  const record = (id: string, extra: Partial<SessionRecord> = {}): SessionRecord => ({
    id,
    protocolVersion: '2025-11-25',
    initialize: { protocolVersion: '2025-11-25', capabilities: { sampling: {} }, clientInfo: { name: 'contract', version: '1' } },
    createdAt: 1_700_000_000_000,
    subscriptions: [],
    ...extra,
  });

  describe(`SessionStore contract: ${name}`, () => {
    const stores: SessionStore[] = [];
    const open = async (overrides: Partial<SessionStoreOptions> = {}): Promise<{ store: SessionStore; time: ContractClock }> => {
      const time = clock();
      const store = await makeStore({ idleTtlMs: 60_000, ...LIMITS, now: time.now, ...overrides });
      stores.push(store);
      return { store, time };
    };
    after(async () => {
      await Promise.all(stores.map((store) => store.close()));
    });

    it('returns a created record unchanged', async () => {
      const { store } = await open();
      const created = record('a-1');
      assert.equal(await store.create(created), 'created');
      assert.deepEqual(await store.get('a-1'), { ...created, logLevel: undefined });
    });

    it('answers undefined, false and gone for an unknown id', async () => {
      const { store } = await open();
      assert.equal(await store.get('nope'), undefined);
      assert.equal(await store.touch('nope'), false);
      assert.equal(await store.change('nope', { kind: 'log-level', level: 'debug' }), 'gone');
      assert.equal(await store.delete('nope'), false);
    });

    it('refuses a record past the maximum and counts what it holds', async () => {
      const { store } = await open({ maxSessions: 2 });
      assert.equal(await store.create(record('b-1')), 'created');
      assert.equal(await store.create(record('b-2')), 'created');
      assert.equal(await store.create(record('b-3')), 'full');
      assert.equal(await store.count(), 2);
      assert.equal(await store.get('b-3'), undefined);
    });

    it('refuses a record larger than maxRecordBytes', async () => {
      const { store } = await open();
      const big = record('b-big', { initialize: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x'.repeat(4096), version: '1' } } });
      assert.equal(await store.create(big), 'record-too-large');
      assert.equal(await store.get('b-big'), undefined);
    });

    it('keeps the latest log level and the subscriptions in the order they were made', async () => {
      const { store } = await open();
      await store.create(record('c-1'));
      assert.equal(await store.change('c-1', { kind: 'log-level', level: 'debug' }), 'applied');
      assert.equal(await store.change('c-1', { kind: 'subscribe', uri: 'test://b' }), 'applied');
      assert.equal(await store.change('c-1', { kind: 'subscribe', uri: 'test://a' }), 'applied');
      assert.equal(await store.change('c-1', { kind: 'subscribe', uri: 'test://b' }), 'applied');
      assert.equal(await store.change('c-1', { kind: 'log-level', level: 'error' }), 'applied');
      assert.equal(await store.change('c-1', { kind: 'unsubscribe', uri: 'test://c' }), 'applied');
      const read = await store.get('c-1');
      assert.equal(read?.logLevel, 'error');
      assert.deepEqual(read?.subscriptions, ['test://b', 'test://a']);
      await store.change('c-1', { kind: 'unsubscribe', uri: 'test://b' });
      assert.deepEqual((await store.get('c-1'))?.subscriptions, ['test://a']);
    });

    it('refuses a subscription past maxSubscriptions or maxRecordBytes, and the record stays as it was', async () => {
      const { store } = await open();
      await store.create(record('c-2'));
      for (const uri of ['test://1', 'test://2', 'test://3', 'test://4']) assert.equal(await store.change('c-2', { kind: 'subscribe', uri }), 'applied');
      assert.equal(await store.change('c-2', { kind: 'subscribe', uri: 'test://5' }), 'too-many-subscriptions');
      await store.change('c-2', { kind: 'unsubscribe', uri: 'test://4' });
      assert.equal(await store.change('c-2', { kind: 'subscribe', uri: `test://${'u'.repeat(3000)}` }), 'record-too-large');
      assert.deepEqual((await store.get('c-2'))?.subscriptions, ['test://1', 'test://2', 'test://3']);
      assert.equal(await store.change('c-2', { kind: 'subscribe', uri: 'test://4' }), 'applied');
    });

    it('applies concurrent changes to one session without losing any', async () => {
      const { store } = await open({ maxSubscriptions: 50 });
      await store.create(record('c-3'));
      const uris = Array.from({ length: 40 }, (_, i) => `test://concurrent/${i}`);
      const outcomes = await Promise.all(uris.map((uri) => store.change('c-3', { kind: 'subscribe', uri })));
      assert.ok(outcomes.every((outcome) => outcome === 'applied'));
      assert.deepEqual(new Set((await store.get('c-3'))?.subscriptions), new Set(uris));
    });

    it('forgets a deleted record', async () => {
      const { store } = await open();
      await store.create(record('d-1'));
      assert.equal(await store.delete('d-1'), true);
      assert.equal(await store.get('d-1'), undefined);
      assert.equal(await store.touch('d-1'), false);
      assert.equal(await store.count(), 0);
    });

    it('expires a record left idle past the TTL, and keeps one that is touched or changed', async () => {
      const { store, time } = await open({ idleTtlMs: 1000 });
      await store.create(record('e-idle'));
      await store.create(record('e-busy'));
      await store.create(record('e-changed'));
      for (let i = 0; i < 4; i += 1) {
        await time.advance(400);
        assert.equal(await store.touch('e-busy'), true);
        assert.equal(await store.change('e-changed', { kind: 'log-level', level: 'info' }), 'applied');
      }
      assert.equal(await store.get('e-idle'), undefined);
      assert.ok(await store.get('e-busy'));
      assert.ok(await store.get('e-changed'));
    });

    it('does not count expired records, and frees their room for new ones', async () => {
      const { store, time } = await open({ idleTtlMs: 1000, maxSessions: 1 });
      await store.create(record('g-1'));
      await time.advance(1500);
      assert.equal(await store.count(), 0);
      assert.equal(await store.create(record('g-2')), 'created');
    });
  });
}

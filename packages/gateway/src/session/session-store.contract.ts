import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SessionRecord } from './session-record.js';
import type { SessionStore } from './session-store.js';

/**
 * The behaviour every `SessionStore` must have. Each implementation's test
 * file calls this with a factory; the memory store and shared stores run the
 * same cases.
 */
export function sessionStoreContract(name: string, makeStore: (idleTtlMs: number) => Promise<SessionStore> | SessionStore): void {
  const record = (id: string, extra: Partial<SessionRecord> = {}): SessionRecord => ({
    id,
    protocolVersion: '2025-11-25',
    initialize: { protocolVersion: '2025-11-25', capabilities: { sampling: {} }, clientInfo: { name: 'contract', version: '1' } },
    replay: [],
    createdAt: 1_700_000_000_000,
    ...extra,
  });

  describe(`SessionStore contract: ${name}`, () => {
    const stores: SessionStore[] = [];
    const open = async (idleTtlMs = 60_000): Promise<SessionStore> => {
      const store = await makeStore(idleTtlMs);
      stores.push(store);
      return store;
    };
    after(async () => {
      await Promise.all(stores.map((store) => store.close()));
    });

    it('returns a created record unchanged', async () => {
      const store = await open();
      const created = record('a-1', { replay: [{ method: 'logging/setLevel', params: { level: 'debug' } }] });
      assert.equal(await store.create(created, 10), 'created');
      assert.deepEqual(await store.get('a-1'), created);
    });

    it('answers undefined and false for an unknown id', async () => {
      const store = await open();
      assert.equal(await store.get('nope'), undefined);
      assert.equal(await store.touch('nope'), false);
      assert.equal(await store.update(record('nope')), false);
      assert.equal(await store.delete('nope'), false);
    });

    it('refuses a record past the maximum and counts what it holds', async () => {
      const store = await open();
      assert.equal(await store.create(record('b-1'), 2), 'created');
      assert.equal(await store.create(record('b-2'), 2), 'created');
      assert.equal(await store.create(record('b-3'), 2), 'full');
      assert.equal(await store.count(), 2);
      assert.equal(await store.get('b-3'), undefined);
    });

    it('replaces the replay list on update', async () => {
      const store = await open();
      await store.create(record('c-1'), 10);
      const updated = record('c-1', { replay: [{ method: 'resources/subscribe', params: { uri: 'test://x' } }] });
      assert.equal(await store.update(updated), true);
      assert.deepEqual(await store.get('c-1'), updated);
    });

    it('forgets a deleted record', async () => {
      const store = await open();
      await store.create(record('d-1'), 10);
      assert.equal(await store.delete('d-1'), true);
      assert.equal(await store.get('d-1'), undefined);
      assert.equal(await store.touch('d-1'), false);
      assert.equal(await store.count(), 0);
    });

    it('expires a record left idle past the TTL, and keeps one that is touched', async () => {
      const store = await open(300);
      await store.create(record('e-idle'), 10);
      await store.create(record('e-busy'), 10);
      for (let i = 0; i < 4; i += 1) {
        await sleep(120);
        assert.equal(await store.touch('e-busy'), true);
      }
      assert.equal(await store.get('e-idle'), undefined);
      assert.ok(await store.get('e-busy'));
    });

    it('does not count expired records', async () => {
      const store = await open(200);
      await store.create(record('g-1'), 10);
      await sleep(350);
      assert.equal(await store.count(), 0);
    });

    it('frees the room of expired records for new ones', async () => {
      const store = await open(200);
      await store.create(record('f-1'), 1);
      await sleep(350);
      assert.equal(await store.create(record('f-2'), 1), 'created');
    });
  });
}

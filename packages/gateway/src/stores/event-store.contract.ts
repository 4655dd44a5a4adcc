import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { EventStore, EventStoreOptions, Replay } from './event-store.js';
import { type ContractClock, manualClock } from './session-store.contract.js';

const LIMITS: EventStoreOptions = { eventsPerStream: 5, maxSessionBytes: 1000, maxTotalBytes: 2500, idleTtlMs: 60_000 };

function events(replay: Replay): string[] {
  assert.equal(replay.kind, 'replay', JSON.stringify(replay));
  return replay.kind === 'replay' ? replay.events.map((event) => event.data) : [];
}

/**
 * The behaviour every `EventStore` must have: exact replays, ids that only
 * ever replay their own stream of their own session, and bounds that turn
 * into a clean gap rather than a silently incomplete replay.
 */
export function eventStoreContract(
  name: string,
  makeStore: (options: EventStoreOptions) => Promise<EventStore> | EventStore,
  clock: () => ContractClock = manualClock,
  /** Whether the store holds all sessions to `maxTotalBytes` (a shared store leaves its total to the server's own limits). */
  totalBudget = true,
): void {
  describe(`EventStore contract: ${name}`, () => {
    const stores: EventStore[] = [];
    const open = async (overrides: Partial<EventStoreOptions> = {}): Promise<{ store: EventStore; time: ContractClock }> => {
      const time = clock();
      const store = await makeStore({ ...LIMITS, now: time.now, ...overrides });
      stores.push(store);
      return { store, time };
    };
    after(async () => {
      await Promise.all(stores.map((store) => store.close()));
    });

    it('replays every event after the priming id, then only those after a later id', async () => {
      const { store } = await open();
      const key = store.openStream('s1');
      const ids = ['a', 'b', 'c'].map((data) => store.append('s1', key, data));
      assert.equal(new Set(ids).size, 3);
      assert.deepEqual(events(await store.replayAfter('s1', store.primeId('s1', key))), ['a', 'b', 'c']);
      assert.deepEqual(events(await store.replayAfter('s1', ids[1] as string)), ['c']);
    });

    it('never replays another stream or another session', async () => {
      const { store } = await open();
      const mine = store.openStream('s1');
      const theirs = store.openStream('s2');
      assert.notEqual(mine, theirs);
      const id = store.append('s1', mine, 'mine');
      store.append('s2', theirs, 'theirs');
      assert.deepEqual(await store.replayAfter('s2', id), { kind: 'unknown' });
      assert.deepEqual(await store.replayAfter('s2', store.primeId('s1', mine)), { kind: 'unknown' });
      assert.deepEqual(events(await store.replayAfter('s2', store.primeId('s2', theirs))), ['theirs']);
    });

    it('answers unknown for ids it never issued', async () => {
      const { store } = await open();
      const key = store.openStream('s1');
      store.append('s1', key, 'a');
      for (const id of ['', 'garbage', `${key}.99`, `${key}.x`, `${key}.-1`, `${key}.1.2`, `nope.${key}.1`]) {
        assert.deepEqual(await store.replayAfter('s1', id), { kind: 'unknown' }, id);
      }
    });

    it('issues stream keys no other store issues (no two tasks name a stream alike)', async () => {
      const { store: first } = await open();
      const { store: second } = await open();
      assert.notEqual(first.openStream('s1'), second.openStream('s1'));
    });

    it('drops the oldest events past eventsPerStream, and a resume from before them is a gap', async () => {
      const { store } = await open();
      const key = store.openStream('s1');
      const ids = Array.from({ length: 7 }, (_, i) => store.append('s1', key, `e${i}`));
      assert.deepEqual(await store.replayAfter('s1', store.primeId('s1', key)), { kind: 'gap' });
      assert.deepEqual(events(await store.replayAfter('s1', ids[1] as string)), ['e2', 'e3', 'e4', 'e5', 'e6']);
    });

    it('holds a session to maxSessionBytes, oldest first across its streams', async () => {
      const { store } = await open({ eventsPerStream: 100 });
      const first = store.openStream('s1');
      const second = store.openStream('s1');
      const early = store.append('s1', first, 'x'.repeat(400));
      store.append('s1', second, 'y'.repeat(400));
      const late = store.append('s1', first, 'z'.repeat(400));
      assert.deepEqual(await store.replayAfter('s1', store.primeId('s1', first)), { kind: 'gap' });
      assert.deepEqual(events(await store.replayAfter('s1', early)), ['z'.repeat(400)]);
      assert.equal(events(await store.replayAfter('s1', store.primeId('s1', second))).length, 1);
      assert.ok(late);
    });

    it('holds all sessions to maxTotalBytes, taking from the least recently written session first', {
      skip: totalBudget ? false : `${name} leaves its total to the store server`,
    }, async () => {
      const { store } = await open({ eventsPerStream: 100 });
      const [k1, k2, k3] = ['s1', 's2', 's3'].map((session) => store.openStream(session)) as [string, string, string];
      store.append('s1', k1, 'a'.repeat(900));
      store.append('s2', k2, 'a'.repeat(900));
      store.append('s1', k1, 'b'.repeat(10));
      store.append('s3', k3, 'a'.repeat(900));
      assert.deepEqual(await store.replayAfter('s2', store.primeId('s2', k2)), { kind: 'gap' });
      assert.equal(events(await store.replayAfter('s1', store.primeId('s1', k1))).length, 2);
      assert.equal(events(await store.replayAfter('s3', store.primeId('s3', k3))).length, 1);
    });

    it('keeps no event larger than a session may hold, and a resume from before it is a gap', async () => {
      const { store } = await open();
      const key = store.openStream('s1');
      const before = store.append('s1', key, 'small');
      store.append('s1', key, 'x'.repeat(5000));
      assert.deepEqual(await store.replayAfter('s1', before), { kind: 'gap' });
    });

    it('drops a finished stream: a resume from its last id finds nothing missing, one from earlier is a gap', async () => {
      const { store } = await open();
      const key = store.openStream('s1');
      const first = store.append('s1', key, 'a');
      const last = store.append('s1', key, 'b');
      store.finish('s1', key);
      assert.deepEqual(events(await store.replayAfter('s1', last)), []);
      assert.deepEqual(await store.replayAfter('s1', first), { kind: 'gap' });
    });

    it('forgets what a resume acknowledged', async () => {
      const { store } = await open();
      const key = store.openStream('s1');
      const first = store.append('s1', key, 'a');
      const second = store.append('s1', key, 'b');
      store.append('s1', key, 'c');
      assert.deepEqual(events(await store.replayAfter('s1', second)), ['c']);
      assert.deepEqual(await store.replayAfter('s1', first), { kind: 'gap' });
    });

    it('forgets a dropped session, and one idle past the TTL', async () => {
      const { store, time } = await open({ idleTtlMs: 1000 });
      const dropped = store.openStream('s1');
      const droppedPrime = store.primeId('s1', dropped);
      store.append('s1', dropped, 'a');
      store.dropSession('s1');
      assert.deepEqual(await store.replayAfter('s1', droppedPrime), { kind: 'unknown' });
      const idle = store.openStream('s2');
      const idlePrime = store.primeId('s2', idle);
      store.append('s2', idle, 'a');
      await time.advance(5000);
      assert.deepEqual(await store.replayAfter('s2', idlePrime), { kind: 'unknown' });
    });

    it('resumes a primed stream that has no events yet with nothing', async () => {
      const { store } = await open();
      const key = store.openStream('s1');
      assert.deepEqual(events(await store.replayAfter('s1', store.primeId('s1', key))), []);
      store.append('s1', key, 'later');
      assert.deepEqual(events(await store.replayAfter('s1', store.primeId('s1', key))), ['later']);
    });

    it('marks a reply complete, so a resume replays what is left and knows it ends there', async () => {
      const { store } = await open();
      const key = store.openStream('s1');
      const first = store.append('s1', key, 'a', true);
      store.append('s1', key, 'b', true);
      let replay = await store.replayAfter('s1', first);
      assert.equal(replay.kind === 'replay' && replay.complete, false);
      store.complete('s1', key, true);
      replay = await store.replayAfter('s1', first);
      assert.deepEqual(events(replay), ['b']);
      assert.equal(replay.kind === 'replay' && replay.complete, true);
      assert.equal(replay.kind === 'replay' && replay.standalone, false);
    });

    it('writes standalone events to the stream the session opened last, numbered by the store', async () => {
      const { store } = await open();
      assert.equal(await store.appendStandalone('s1', 'nobody listens'), undefined);
      const firstKey = await store.openStandalone('s1');
      const one = await store.appendStandalone('s1', 'one');
      const two = await store.appendStandalone('s1', 'two');
      assert.equal(one?.streamKey, firstKey);
      assert.notEqual(one?.id, two?.id);
      const replay = await store.replayAfter('s1', store.primeId('s1', firstKey));
      assert.deepEqual(events(replay), ['one', 'two']);
      assert.equal(replay.kind === 'replay' && replay.standalone, true);
      const secondKey = await store.openStandalone('s1');
      assert.notEqual(secondKey, firstKey);
      assert.equal((await store.appendStandalone('s1', 'three'))?.streamKey, secondKey);
    });

    it('never forgets the standalone stream to make room for replies', async () => {
      const { store } = await open();
      const standalone = await store.openStandalone('s1');
      const kept = await store.appendStandalone('s1', 'kept');
      for (let i = 0; i < 40; i += 1) store.append('s1', store.openStream('s1'), `reply ${i}`);
      assert.deepEqual(events(await store.replayAfter('s1', store.primeId('s1', standalone))), ['kept']);
      assert.ok(kept);
    });
  });
}

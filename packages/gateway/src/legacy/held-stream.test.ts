import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordingStream } from '../../test/recording-stream.js';
import { HeldStream } from './held-stream.js';

describe('HeldStream', () => {
  describe('before release', () => {
    it('GIVEN events written while the replay is read THEN the stream counts as open (the writer keeps writing)', () => {
      const held = new HeldStream();
      held.send('a', 'k.1');
      assert.equal(held.open, true);
    });

    it('GIVEN held events WHEN released after the last replayed id THEN only the later ones are passed on, in order', () => {
      const held = new HeldStream();
      for (const no of [1, 2, 3, 4]) held.send(`event ${no}`, `k.${no}`);
      const target = new RecordingStream();
      held.release(target, 'k.2');
      assert.deepEqual(target.sent, [
        { data: 'event 3', id: 'k.3' },
        { data: 'event 4', id: 'k.4' },
      ]);
    });

    it('GIVEN event numbers of different lengths THEN they compare as numbers, not text', () => {
      const held = new HeldStream();
      held.send('ninth', 'k.9');
      held.send('tenth', 'k.10');
      held.send('eleventh', 'k.11');
      const target = new RecordingStream();
      held.release(target, 'k.9');
      assert.deepEqual(target.ids(), ['k.10', 'k.11']);
    });

    it('GIVEN a stream key with dots of its own THEN the number after the last dot counts', () => {
      const held = new HeldStream();
      held.send('old', 'tag.s1.5');
      held.send('new', 'tag.s1.6');
      const target = new RecordingStream();
      held.release(target, 'tag.s1.5');
      assert.deepEqual(target.ids(), ['tag.s1.6']);
    });

    it('GIVEN no replayed id WHEN released THEN every held event with an id is passed on', () => {
      const held = new HeldStream();
      held.send('first', 'k.0');
      held.send('second', 'k.1');
      const target = new RecordingStream();
      held.release(target, undefined);
      assert.deepEqual(target.ids(), ['k.0', 'k.1']);
    });

    it('GIVEN a prime before release THEN it is not passed on (the resumed stream was primed by its first life)', () => {
      const held = new HeldStream();
      held.prime('k.0', 1000);
      const target = new RecordingStream();
      held.release(target, 'k.0');
      assert.deepEqual(target.primes, []);
    });
  });

  describe('after release', () => {
    it('GIVEN a released stream THEN writes, primes and the end go straight to the target', () => {
      const held = new HeldStream();
      const target = new RecordingStream();
      held.release(target, 'k.3');
      held.send('later', 'k.4');
      held.prime('k.4', 500);
      assert.deepEqual(target.sent, [{ data: 'later', id: 'k.4' }]);
      assert.deepEqual(target.primes, [{ id: 'k.4', retryMs: 500 }]);
      assert.equal(held.open, true);
      held.end(1000);
      assert.deepEqual(target.ends, [1000]);
      assert.equal(held.open, false, 'open is the target’s');
    });

    it('GIVEN an event with an id already replayed WHEN written after release THEN it is passed on (only held events are filtered)', () => {
      const held = new HeldStream();
      const target = new RecordingStream();
      held.release(target, 'k.3');
      held.send('x', 'k.2');
      assert.deepEqual(target.ids(), ['k.2']);
    });
  });

  describe('end before release', () => {
    it('GIVEN the writer ends the stream before release THEN it is closed, later writes are dropped, and listeners run once', () => {
      const held = new HeldStream();
      let closedCalls = 0;
      held.onClosed(() => {
        closedCalls += 1;
      });
      held.send('before end', 'k.1');
      held.end(1000);
      held.end();
      held.send('after end', 'k.2');
      assert.equal(held.open, false);
      assert.equal(closedCalls, 1);

      const target = new RecordingStream();
      let targetListeners = 0;
      target.onClosed(() => {
        targetListeners += 1;
      });
      held.release(target, 'k.0');
      assert.deepEqual(target.sent, [{ data: 'before end', id: 'k.1' }], 'what came before the end still reaches the client');
      assert.deepEqual(target.ends, [1000], 'with the hint the writer gave');
      assert.equal(closedCalls, 1, 'the listener does not run again when the target ends');
      assert.equal(targetListeners, 1);
    });

    it('GIVEN the writer ended without a hint THEN the target ends without one', () => {
      const held = new HeldStream();
      held.end();
      const target = new RecordingStream();
      held.release(target, undefined);
      assert.deepEqual(target.ends, [undefined]);
    });
  });

  describe('listeners', () => {
    it('GIVEN a listener added before release WHEN the target closes THEN it runs, once', () => {
      const held = new HeldStream();
      let closedCalls = 0;
      held.onClosed(() => {
        closedCalls += 1;
      });
      const target = new RecordingStream();
      held.release(target, undefined);
      assert.equal(closedCalls, 0);
      target.close();
      assert.equal(closedCalls, 1);
    });

    it('GIVEN a listener added after release WHEN the target closes THEN it runs', () => {
      const held = new HeldStream();
      const target = new RecordingStream();
      held.release(target, undefined);
      let closed = false;
      held.onClosed(() => {
        closed = true;
      });
      target.close();
      assert.equal(closed, true);
    });

    it('GIVEN the held events WHEN released twice THEN they are passed on only once', () => {
      const held = new HeldStream();
      held.send('once', 'k.1');
      const first = new RecordingStream();
      held.release(first, undefined);
      const second = new RecordingStream();
      held.release(second, undefined);
      assert.deepEqual(first.ids(), ['k.1']);
      assert.deepEqual(second.ids(), []);
    });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordingStream } from '../../test/recording-stream.js';
import type { JsonRpcId, OutboundMessage, RpcError } from '../protocol/json-rpc.js';
import { PostReply, type ReplyOptions, type StreamLog } from './post-reply.js';
import { type EventStream, RECONNECT_HINT_MS, type ReplySink } from './reply-sink.js';

/** A reply sink that records the answer; `gone` makes `stream()` find the client already left. */
class FakeSink implements ReplySink {
  closed = false;
  gone = false;
  readonly answers: { status: number; body: string }[] = [];
  readonly streams: RecordingStream[] = [];
  rpcErrors = 0;

  onClose(): void {}

  json(status: number, body: string): void {
    this.answers.push({ status, body });
  }

  error(status: number, id: JsonRpcId, error: RpcError): void {
    this.answers.push({ status, body: JSON.stringify({ jsonrpc: '2.0', id, error }) });
  }

  empty(status: number): void {
    this.answers.push({ status, body: '' });
  }

  stream(): EventStream | undefined {
    if (this.gone) return undefined;
    const stream = new RecordingStream();
    this.streams.push(stream);
    return stream;
  }

  noteRpcError(): void {
    this.rpcErrors += 1;
  }
}

/** A stream log numbering its events `s.1`, `s.2`, ... */
class FakeLog implements StreamLog {
  readonly appended: string[] = [];
  /** For each appended event, whether the client was away from the stream when it was written. */
  readonly away: boolean[] = [];
  finished = 0;
  completed = 0;

  constructor(readonly primeId: string | undefined) {}

  append(data: string, away: boolean): string {
    this.appended.push(data);
    this.away.push(away);
    return `s.${this.appended.length}`;
  }

  finish(): void {
    this.finished += 1;
  }

  complete(): void {
    this.completed += 1;
  }
}

const result = (id: number, value: unknown = { ok: id }): OutboundMessage => ({ jsonrpc: '2.0', id, result: value });
const failure = (id: number, code: number): OutboundMessage => ({ jsonrpc: '2.0', id, error: { code, message: `failed with ${code}` } });
const progress = (value: number): OutboundMessage => ({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'p', progress: value } });

/** A reply over fresh fakes; `completions` counts `onComplete` calls. */
function setup(options: { awaited?: number; batch?: boolean; errorStatus?: ReplyOptions['errorStatus']; log?: FakeLog | null } = {}): {
  reply: PostReply;
  sink: FakeSink;
  log: FakeLog | undefined;
  completions: PostReply[];
} {
  const sink = new FakeSink();
  const log = options.log === null ? undefined : (options.log ?? new FakeLog('s.0'));
  const completions: PostReply[] = [];
  const reply = new PostReply(
    sink,
    options.awaited ?? 1,
    options.batch ?? false,
    { errorStatus: options.errorStatus, onComplete: (done) => completions.push(done) },
    log,
  );
  return { reply, sink, log, completions };
}

describe('PostReply', () => {
  describe('stays JSON while only results come', () => {
    it('GIVEN one awaited request WHEN its result arrives THEN it is answered as plain JSON, with no stream and no event logged', () => {
      const { reply, sink, log, completions } = setup();
      reply.deliver(result(1));
      assert.deepEqual(sink.answers, [{ status: 200, body: JSON.stringify(result(1)) }]);
      assert.equal(sink.streams.length, 0);
      assert.deepEqual(log?.appended, []);
      assert.equal(reply.complete, true);
      assert.deepEqual(completions, [reply]);
    });

    it('GIVEN a pre-serialized message WHEN it is delivered THEN that text is what the client gets', () => {
      const { reply, sink } = setup();
      reply.deliver(result(1), '{"jsonrpc":"2.0","id":1,"result":"as serialized"}');
      assert.equal(sink.answers[0]?.body, '{"jsonrpc":"2.0","id":1,"result":"as serialized"}');
    });

    it('GIVEN two awaited requests WHEN only the first result arrived THEN nothing is written yet', () => {
      const { reply, sink, completions } = setup({ awaited: 2, batch: true });
      reply.deliver(result(1));
      assert.deepEqual(sink.answers, []);
      assert.equal(reply.complete, false);
      assert.deepEqual(completions, []);
    });

    it('GIVEN a batch WHEN every result arrives THEN they are answered as one JSON array, in arrival order', () => {
      const { reply, sink, completions } = setup({ awaited: 2, batch: true });
      reply.deliver(result(2));
      reply.deliver(result(1));
      assert.equal(sink.answers.length, 1);
      assert.deepEqual(JSON.parse(sink.answers[0]?.body ?? ''), [result(2), result(1)]);
      assert.equal(completions.length, 1);
    });

    it('GIVEN a batch of one WHEN its result arrives THEN it is still an array', () => {
      const { reply, sink } = setup({ awaited: 1, batch: true });
      reply.deliver(result(1));
      assert.deepEqual(JSON.parse(sink.answers[0]?.body ?? ''), [result(1)]);
    });

    it('GIVEN the client left WHEN the result arrives THEN nothing is written but the reply still completes', () => {
      const { reply, sink, completions } = setup();
      sink.closed = true;
      reply.deliver(result(1));
      assert.deepEqual(sink.answers, []);
      assert.equal(completions.length, 1);
    });

    it('GIVEN a finished reply WHEN more messages arrive THEN they are ignored', () => {
      const { reply, sink, log, completions } = setup();
      reply.deliver(result(1));
      reply.deliver(progress(1));
      reply.deliver(result(1));
      assert.equal(sink.answers.length, 1);
      assert.equal(sink.streams.length, 0);
      assert.deepEqual(log?.appended, []);
      assert.equal(completions.length, 1);
    });
  });

  describe('error status', () => {
    const statusOf = (code: number): number | undefined => (code === -32601 ? 404 : undefined);

    it('GIVEN errorStatus WHEN a lone request is answered with an error it maps THEN the answer has that status and is counted', () => {
      const { reply, sink } = setup({ errorStatus: statusOf });
      reply.deliver(failure(1, -32601));
      assert.deepEqual(sink.answers, [{ status: 404, body: JSON.stringify(failure(1, -32601)) }]);
      assert.equal(sink.rpcErrors, 1);
    });

    it('GIVEN errorStatus WHEN the error code is one it does not map THEN the answer is 200', () => {
      const { reply, sink } = setup({ errorStatus: statusOf });
      reply.deliver(failure(1, -32603));
      assert.equal(sink.answers[0]?.status, 200);
      assert.equal(sink.rpcErrors, 1);
    });

    it('GIVEN no errorStatus WHEN the answer is an error THEN it is 200', () => {
      const { reply, sink } = setup();
      reply.deliver(failure(1, -32601));
      assert.equal(sink.answers[0]?.status, 200);
    });

    it('GIVEN errorStatus WHEN a batch holds an error THEN the batch is 200 (its other answers succeeded) and the error is counted', () => {
      const { reply, sink } = setup({ awaited: 2, batch: true, errorStatus: statusOf });
      reply.deliver(failure(1, -32601));
      reply.deliver(result(2));
      assert.equal(sink.answers[0]?.status, 200);
      assert.equal(sink.rpcErrors, 1);
    });

    it('GIVEN a result WHEN it arrives THEN no error is counted', () => {
      const { reply, sink } = setup({ errorStatus: statusOf });
      reply.deliver(result(1));
      assert.equal(sink.rpcErrors, 0);
    });
  });

  describe('upgrades to SSE when anything but a result comes first', () => {
    it('GIVEN a request WHEN a notification comes before its result THEN the reply becomes a primed stream that logs and sends both, then ends', () => {
      const { reply, sink, log, completions } = setup();
      reply.deliver(progress(1));
      assert.equal(sink.streams.length, 1);
      const stream = sink.streams[0] as RecordingStream;
      assert.deepEqual(stream.primes, [{ id: 's.0', retryMs: RECONNECT_HINT_MS }]);
      assert.equal(reply.complete, false);
      reply.deliver(result(1));
      assert.deepEqual(stream.messages(), [progress(1), result(1)]);
      assert.deepEqual(
        stream.sent.map((event) => event.id),
        ['s.1', 's.2'],
      );
      assert.deepEqual(log?.appended, [JSON.stringify(progress(1)), JSON.stringify(result(1))]);
      assert.deepEqual(stream.ends, [undefined]);
      assert.deepEqual(sink.answers, [], 'no JSON answer once streaming');
      assert.equal(completions.length, 1);
    });

    it('GIVEN a request WHEN the server asks the client something first (a server request) THEN the reply streams', () => {
      const { reply, sink } = setup();
      reply.deliver({ jsonrpc: '2.0', id: 7, method: 'sampling/createMessage', params: {} });
      assert.equal(sink.streams.length, 1);
      assert.equal(reply.complete, false, 'a server request is not the awaited answer');
    });

    it('GIVEN a batch with one result collected WHEN a notification comes THEN the collected result is streamed first, then the rest', () => {
      const { reply, sink, completions } = setup({ awaited: 2, batch: true });
      reply.deliver(result(1));
      reply.deliver(progress(1));
      reply.deliver(result(2));
      const stream = sink.streams[0] as RecordingStream;
      assert.deepEqual(stream.messages(), [result(1), progress(1), result(2)]);
      assert.deepEqual(stream.ends, [undefined]);
      assert.equal(completions.length, 1);
    });

    it('GIVEN a log with no prime id WHEN the reply streams THEN the stream is not primed', () => {
      const { reply, sink } = setup({ log: new FakeLog(undefined) });
      reply.deliver(progress(1));
      assert.deepEqual((sink.streams[0] as RecordingStream).primes, []);
    });

    it('GIVEN no log (resumption off) WHEN the reply streams THEN events go out without ids', () => {
      const { reply, sink } = setup({ log: null });
      reply.deliver(progress(1));
      reply.deliver(result(1));
      const stream = sink.streams[0] as RecordingStream;
      assert.deepEqual(stream.primes, []);
      assert.deepEqual(
        stream.sent.map((event) => event.id),
        [undefined, undefined],
      );
    });

    it('GIVEN a stream WHEN an error answer ends it THEN errorStatus does not apply (the status went out with the stream) but the error is counted', () => {
      const { reply, sink } = setup({ errorStatus: () => 404 });
      reply.deliver(progress(1));
      reply.deliver(failure(1, -32601));
      assert.deepEqual(sink.answers, []);
      assert.equal(sink.rpcErrors, 1);
    });
  });

  describe('finish() only for a stream that completed while open', () => {
    it('GIVEN a stream still open WHEN the last answer is sent THEN the log is finished (the client has every event)', () => {
      const { reply, log } = setup();
      reply.deliver(progress(1));
      reply.deliver(result(1));
      assert.equal(log?.finished, 1);
    });

    it('GIVEN the client closed the stream WHEN the last answer arrives THEN the log keeps its events for a resume', () => {
      const { reply, sink, log, completions } = setup();
      reply.deliver(progress(1));
      (sink.streams[0] as RecordingStream).open = false;
      reply.deliver(result(1));
      assert.equal(log?.finished, 0);
      assert.equal(log?.completed, 1, 'the reply is marked complete, so a resume ends after the replay');
      assert.equal(log?.appended.length, 2);
      assert.equal(completions.length, 1);
    });

    it('GIVEN the client left before the upgrade WHEN the reply streams THEN every event is logged and the log is kept', () => {
      const { reply, sink, log, completions } = setup();
      sink.gone = true;
      reply.deliver(progress(1));
      reply.deliver(result(1));
      assert.equal(sink.streams.length, 0);
      assert.deepEqual(log?.appended, [JSON.stringify(progress(1)), JSON.stringify(result(1))]);
      assert.deepEqual(log?.away, [true, true], 'events written while the client is away are announced to a task that resumed the stream');
      assert.equal(log?.finished, 0);
      assert.equal(completions.length, 1);
    });

    it('GIVEN a plain JSON answer WHEN it completes THEN the log is never touched', () => {
      const { reply, log } = setup();
      reply.deliver(result(1));
      assert.equal(log?.finished, 0);
      assert.deepEqual(log?.appended, []);
    });
  });

  describe('closeStream, detach and attach', () => {
    it('GIVEN a JSON-so-far reply WHEN the handler closes its stream THEN the reply upgrades, ends the stream with a reconnect hint and keeps logging', () => {
      const { reply, sink, log, completions } = setup();
      reply.closeStream();
      const stream = sink.streams[0] as RecordingStream;
      assert.deepEqual(stream.primes, [{ id: 's.0', retryMs: RECONNECT_HINT_MS }]);
      assert.deepEqual(stream.ends, [RECONNECT_HINT_MS]);
      reply.deliver(progress(1));
      reply.deliver(result(1));
      assert.deepEqual(stream.sent, [], 'nothing is written to the closed stream');
      assert.deepEqual(stream.ends, [RECONNECT_HINT_MS], 'the closed stream is not ended twice');
      assert.deepEqual(log?.appended, [JSON.stringify(progress(1)), JSON.stringify(result(1))]);
      assert.equal(log?.finished, 0, 'the client will resume to get them');
      assert.equal(completions.length, 1);
    });

    it('GIVEN a streaming reply WHEN the handler closes its stream THEN no second stream is opened', () => {
      const { reply, sink } = setup();
      reply.deliver(progress(1));
      reply.closeStream();
      assert.equal(sink.streams.length, 1);
      assert.deepEqual((sink.streams[0] as RecordingStream).ends, [RECONNECT_HINT_MS]);
    });

    it('GIVEN a finished reply WHEN the handler closes its stream THEN nothing happens', () => {
      const { reply, sink } = setup();
      reply.deliver(result(1));
      reply.closeStream();
      assert.equal(sink.streams.length, 0);
    });

    it('GIVEN a streaming reply WHEN the client goes away (detach) THEN its stream ends without a hint and events keep being logged', () => {
      const { reply, sink, log } = setup({ awaited: 1 });
      reply.deliver(progress(1));
      reply.detach();
      const stream = sink.streams[0] as RecordingStream;
      assert.deepEqual(stream.ends, [undefined]);
      reply.deliver(progress(2));
      assert.equal(stream.sent.length, 1);
      assert.equal(log?.appended.length, 2);
    });

    it('GIVEN a detached reply WHEN a resumed stream is attached THEN later events and the end go to it, and the log is finished', () => {
      const { reply, log } = setup();
      reply.deliver(progress(1));
      reply.detach();
      reply.deliver(progress(2));
      const resumed = new RecordingStream();
      reply.attach(resumed);
      reply.deliver(result(1));
      assert.deepEqual(resumed.messages(), [result(1)], 'the caller replays what came before the attach');
      assert.deepEqual(
        resumed.sent.map((event) => event.id),
        ['s.3'],
      );
      assert.deepEqual(resumed.ends, [undefined]);
      assert.equal(log?.finished, 1);
    });

    it('GIVEN a streaming reply WHEN another stream is attached THEN the old one ends and only the new one is written to', () => {
      const { reply, sink } = setup();
      reply.deliver(progress(1));
      const resumed = new RecordingStream();
      reply.attach(resumed);
      const first = sink.streams[0] as RecordingStream;
      assert.deepEqual(first.ends, [undefined]);
      reply.deliver(progress(2));
      assert.equal(first.sent.length, 1);
      assert.deepEqual(resumed.messages(), [progress(2)]);
    });

    it('GIVEN a finished reply WHEN a stream is attached THEN it is ended at once', () => {
      const { reply } = setup();
      reply.deliver(progress(1));
      reply.detach();
      reply.deliver(result(1));
      const late = new RecordingStream();
      reply.attach(late);
      assert.deepEqual(late.ends, [undefined]);
    });

    it('GIVEN a detached JSON-so-far reply WHEN its result arrives THEN no answer is written (the sink is gone) and the reply completes', () => {
      const { reply, sink, completions } = setup();
      reply.detach();
      reply.deliver(result(1));
      assert.deepEqual(sink.answers, []);
      assert.equal(completions.length, 1);
    });
  });
});

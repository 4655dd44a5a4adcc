import type { OutboundMessage, RpcSink } from '../protocol/json-rpc.js';
import { type EventStream, RECONNECT_HINT_MS, type ReplySink } from './reply-sink.js';

/** A resumable stream's events: kept so a client that lost the stream can replay them with `Last-Event-ID`. */
export interface StreamLog {
  /** Records `data` as the stream's next event and returns its event id; `away`: the client is not on this stream now. */
  append(data: string, away: boolean): string;
  /** The event id that primes the stream (replays everything after it); undefined where clients may not accept priming. */
  readonly primeId: string | undefined;
  /** The client has the whole stream: its events need not be kept. */
  finish(): void;
  /** The stream has its last event but the client was away: a resume replays the rest and ends. */
  complete(): void;
}

export interface ReplyOptions {
  /** The HTTP status for a lone JSON error response with this JSON-RPC code; 200 when absent. */
  readonly errorStatus?: ((code: number) => number | undefined) | undefined;
  /** Called once every awaited response has been delivered. */
  readonly onComplete: (reply: PostReply) => void;
}

/**
 * The answer to one POST that carried requests. It stays a plain JSON response
 * while nothing but the results arrive, and upgrades to an SSE stream the
 * moment the hosted server emits anything else first (progress, logging,
 * sampling, elicitation), as streamable HTTP allows. A stream that is cut
 * (client gone, or `closeSSE` from the handler) keeps recording its events, so
 * a resume with `Last-Event-ID` loses nothing.
 */
export class PostReply implements RpcSink {
  /** Responses still awaited: each is routed here once, so a count suffices. */
  private pending: number;
  private readonly collected: string[] = [];
  private stream: EventStream | undefined;
  private upgraded = false;
  private finished = false;
  private lastError: number | undefined;

  constructor(
    private sink: ReplySink | undefined,
    awaited: number,
    private readonly batch: boolean,
    private readonly options: ReplyOptions,
    readonly log?: StreamLog,
  ) {
    this.pending = awaited;
  }

  get complete(): boolean {
    return this.finished;
  }

  deliver(message: OutboundMessage, json: string = JSON.stringify(message)): void {
    if (this.finished) return;
    const isResponse = message.method === undefined && message.id !== undefined && message.id !== null;
    if (isResponse) {
      this.pending -= 1;
      if (message.error !== undefined) this.sink?.noteRpcError();
    }
    if (!this.upgraded && isResponse) {
      const code = (message.error as { code?: unknown } | undefined)?.code;
      if (typeof code === 'number') this.lastError = code;
      this.collected.push(json);
      if (this.pending === 0) this.finishJson();
      return;
    }
    if (!this.upgraded) this.upgrade();
    this.emit(json);
    if (this.pending === 0) this.finishStream();
  }

  /** The handler asked to close its stream (SEP-1699 polling): end the HTTP response, keep the events. */
  closeStream(): void {
    if (this.finished) return;
    if (!this.upgraded) this.upgrade();
    this.detach(RECONNECT_HINT_MS);
  }

  /** A resumed GET takes over the stream; events the client missed were replayed by the caller. */
  attach(stream: EventStream): void {
    this.detach();
    this.stream = stream;
    if (this.finished) stream.end();
  }

  /** The client went away: nothing is cancelled (streamable HTTP), events keep accruing for a resume. */
  detach(reconnectHintMs?: number): void {
    const stream = this.stream;
    this.stream = undefined;
    this.sink = undefined;
    stream?.end(reconnectHintMs);
  }

  private upgrade(): void {
    this.upgraded = true;
    const stream = this.sink?.stream();
    if (stream !== undefined) {
      this.stream = stream;
      const primeId = this.log?.primeId;
      if (primeId !== undefined) stream.prime(primeId, RECONNECT_HINT_MS);
    }
    for (const json of this.collected.splice(0)) this.emit(json);
  }

  private emit(json: string): void {
    const id = this.log?.append(json, this.stream === undefined);
    this.stream?.send(json, id);
  }

  private finishJson(): void {
    this.finished = true;
    const sink = this.sink;
    if (sink !== undefined && !sink.closed) sink.json(this.statusOf(), this.batch ? `[${this.collected.join(',')}]` : (this.collected[0] ?? ''));
    this.options.onComplete(this);
  }

  private statusOf(): number {
    const errorStatus = this.options.errorStatus;
    if (errorStatus === undefined || this.batch || this.lastError === undefined) return 200;
    return errorStatus(this.lastError) ?? 200;
  }

  private finishStream(): void {
    this.finished = true;
    const stream = this.stream;
    // Delivered on an open stream, the events have reached the client and can go; a cut stream keeps them for a resume.
    if (stream?.open === true) this.log?.finish();
    else this.log?.complete();
    stream?.end();
    this.options.onComplete(this);
  }
}

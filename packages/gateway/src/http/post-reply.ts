import type { ServerResponse } from 'node:http';
import { markRpcError, writeJson } from './json-response.js';
import { RECONNECT_HINT_MS, SseStream } from './sse-stream.js';

export type RequestId = string | number;

/** An outbound JSON-RPC message as the hosted server produced it. */
export interface OutboundMessage {
  readonly id?: RequestId | null;
  readonly method?: string;
  readonly result?: unknown;
  readonly error?: unknown;
}

/** Where the events of a resumable stream are kept, so a client that lost the stream can replay them. */
export interface StreamEventLog {
  /** Records `data` as the next event of stream `streamNo` and returns its event id. */
  append(streamNo: number, data: string): string;
  /** The event id that primes stream `streamNo` (an id that replays everything after it). */
  primeId(streamNo: number): string;
}

/** What every reply of one session (or of the modern endpoint) shares: built once, not per request. */
export interface ReplyOptions {
  readonly heartbeatMs: number;
  readonly headers: Record<string, string>;
  /** The headers of a JSON answer, without its length. */
  readonly jsonHeaders: Record<string, string>;
  /** The HTTP status for a lone JSON error response with this JSON-RPC code; 200 when absent. */
  readonly errorStatus?: ((code: number) => number | undefined) | undefined;
  /** Called once every awaited response has been delivered. */
  readonly onComplete: (reply: PostReply) => void;
}

/** Where a resumable (legacy) reply records its events; modern streams are not resumable (2026-07-28). */
export interface ReplyLog {
  readonly events: StreamEventLog;
  readonly streamNo: number;
  readonly prime: boolean;
}

/**
 * The answer to one POST that carried requests. It stays a plain JSON response
 * while nothing but the results arrive, and upgrades to an SSE stream the
 * moment the hosted server emits anything else first (progress, logging,
 * sampling, elicitation), as streamable HTTP allows. A stream that is cut
 * (client gone, or `closeSSE` from the handler) keeps recording its events, so
 * a resume with `Last-Event-ID` loses nothing.
 */
export class PostReply {
  /** Responses still awaited: the session routes each response here once, so a count suffices. */
  private pending: number;
  private readonly collected: string[] = [];
  private stream: SseStream | undefined;
  private upgraded = false;
  private finished = false;
  private lastError: number | undefined;

  constructor(
    private res: ServerResponse | undefined,
    awaited: number,
    private readonly batch: boolean,
    private readonly options: ReplyOptions,
    private readonly log?: ReplyLog,
  ) {
    this.pending = awaited;
  }

  get complete(): boolean {
    return this.finished;
  }

  get streamNo(): number | undefined {
    return this.log?.streamNo;
  }

  deliver(message: OutboundMessage, json: string = JSON.stringify(message)): void {
    if (this.finished) return;
    const isResponse = message.method === undefined && message.id !== undefined && message.id !== null;
    if (isResponse) {
      this.pending -= 1;
      if (message.error !== undefined && this.res !== undefined) markRpcError(this.res);
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
  attach(stream: SseStream): void {
    this.detach();
    this.stream = stream;
    if (this.finished) stream.end();
  }

  /** The client went away: nothing is cancelled (streamable HTTP), events keep accruing for a resume. */
  detach(reconnectHintMs?: number): void {
    const stream = this.stream;
    this.stream = undefined;
    this.res = undefined;
    stream?.end(reconnectHintMs);
  }

  private upgrade(): void {
    this.upgraded = true;
    const res = this.res;
    if (res !== undefined && !res.headersSent && !res.destroyed) {
      this.stream = new SseStream(res, this.options.heartbeatMs, this.options.headers);
      const log = this.log;
      if (log?.prime === true) this.stream.prime(log.events.primeId(log.streamNo), RECONNECT_HINT_MS);
    }
    for (const json of this.collected.splice(0)) this.emit(json);
  }

  private emit(json: string): void {
    const log = this.log;
    const id = log === undefined ? undefined : log.events.append(log.streamNo, json);
    this.stream?.send(json, id);
  }

  private finishJson(): void {
    this.finished = true;
    const res = this.res;
    if (res !== undefined && !res.headersSent && !res.destroyed) {
      const body = this.batch ? `[${this.collected.join(',')}]` : (this.collected[0] ?? '');
      writeJson(res, this.statusOf(), this.options.jsonHeaders, body);
    }
    this.options.onComplete(this);
  }

  private statusOf(): number {
    const errorStatus = this.options.errorStatus;
    if (errorStatus === undefined || this.batch || this.lastError === undefined) return 200;
    return errorStatus(this.lastError) ?? 200;
  }

  private finishStream(): void {
    this.finished = true;
    this.stream?.end();
    this.options.onComplete(this);
  }
}

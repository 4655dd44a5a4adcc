import type { ServerResponse } from 'node:http';
import { errorResponse, type JsonRpcId, type RpcError } from '../protocol/json-rpc.js';
import type { EventStream, ReplySink } from '../reply/reply-sink.js';
import { type SseDefaults, SseStream } from './sse-stream.js';

/** What every answer of a mount shares, built once at start. */
export interface AnswerDefaults {
  /** Headers of every answer (the serving task). */
  readonly headers: Readonly<Record<string, string>>;
  /** `headers` plus the JSON content type. */
  readonly jsonHeaders: Readonly<Record<string, string>>;
  readonly sse: SseDefaults;
}

const answeredWithError = new WeakSet<ServerResponse>();

/** Whether a response carried a JSON-RPC error, wherever it was written: the request's log line and metrics count it. */
export function hasRpcError(res: ServerResponse): boolean {
  return answeredWithError.has(res);
}

/** A whole JSON answer; `headers` already name the content type. */
export function writeJson(res: ServerResponse, status: number, headers: Readonly<Record<string, string>>, body: string): void {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The reply sink of one HTTP request. */
export class HttpReplySink implements ReplySink {
  constructor(
    private readonly res: ServerResponse,
    private readonly defaults: AnswerDefaults,
  ) {}

  get closed(): boolean {
    return this.res.writableEnded || this.res.destroyed;
  }

  onClose(listener: () => void): void {
    this.res.once('close', listener);
  }

  json(status: number, body: string, headers?: Readonly<Record<string, string>>): void {
    writeJson(this.res, status, headers === undefined ? this.defaults.jsonHeaders : { ...this.defaults.jsonHeaders, ...headers }, body);
  }

  error(status: number, id: JsonRpcId, error: RpcError, headers?: Readonly<Record<string, string>>): void {
    answeredWithError.add(this.res);
    this.json(status, errorResponse(id, error), headers);
  }

  empty(status: number): void {
    this.res.writeHead(status, this.defaults.headers).end();
  }

  stream(): EventStream | undefined {
    if (this.res.destroyed || this.res.closed || this.res.headersSent) return undefined;
    return new SseStream(this.res, this.defaults.sse);
  }

  noteRpcError(): void {
    answeredWithError.add(this.res);
  }
}

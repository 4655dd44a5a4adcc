import { GATEWAY_ERRORS, type GatewayErrorCode, gatewayError } from '../errors.js';
import type { JsonRpcId, RpcError } from '../protocol/json-rpc.js';

/** How long a client should wait before reconnecting after the gateway closes a stream on purpose. */
export const RECONNECT_HINT_MS = 1000;

/**
 * Where an endpoint writes the answer to one HTTP request. The endpoints never
 * see a `ServerResponse`: the HTTP layer implements this over one, and a reply
 * can be written from wherever the session's work happens.
 */
export interface ReplySink {
  /** The client went away, or the answer is complete: writes are dropped. */
  readonly closed: boolean;
  /** Runs once, when the client goes away or the answer ends. */
  onClose(listener: () => void): void;
  /** A whole JSON answer. */
  json(status: number, body: string, headers?: Readonly<Record<string, string>>): void;
  /** A JSON-RPC error answer; counted as one by logs and metrics. */
  error(status: number, id: JsonRpcId, error: RpcError, headers?: Readonly<Record<string, string>>): void;
  /** An answer without a body (202 Accepted, or 200 for DELETE). */
  empty(status: number): void;
  /** Switches to an SSE answer; undefined when the client has already left. */
  stream(): EventStream | undefined;
  /** A JSON-RPC error travelled inside an answer (JSON or SSE): logs and metrics count it. */
  noteRpcError(): void;
}

/** One open `text/event-stream` answer. */
export interface EventStream {
  readonly open: boolean;
  /** Runs once when the stream ends, whichever side ended it. */
  onClosed(listener: () => void): void;
  /** An event with no data that only names an id and a retry delay: lets a client resume from here (SEP-1699). */
  prime(id: string, retryMs: number): void;
  send(data: string, id?: string): void;
  /** Ends the stream; with a reconnect hint the client knows to come back (elsewhere, when draining). */
  end(reconnectHintMs?: number): void;
}

/** A client told to come back later waits this long (seconds): enough for a task to start or a slot to free. */
export const RETRY_AFTER_S = '5';
const RETRY_LATER: Readonly<Record<string, string>> = { 'retry-after': RETRY_AFTER_S };

/** Answers with a gateway error from the table; load-shedding answers (429, 503) carry `Retry-After`. */
export function fail(sink: ReplySink, code: GatewayErrorCode, id: JsonRpcId = null, detail?: string): void {
  const status = GATEWAY_ERRORS[code].status;
  sink.error(status, id, gatewayError(code, detail), status === 503 || status === 429 ? RETRY_LATER : undefined);
}

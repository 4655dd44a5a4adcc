/** JSON-RPC 2.0 as MCP uses it: the shapes the gateway reads, routes and rewrites. */

export type RequestId = string | number;

/** The id of an answer: `null` when the request's own id could not be read. */
export type JsonRpcId = RequestId | null;

/** A message from the client, as parsed from the body (only `jsonrpc` is known to be right). */
export interface InboundMessage {
  readonly jsonrpc: '2.0';
  readonly id?: RequestId;
  readonly method?: string;
  readonly params?: unknown;
  readonly result?: unknown;
  readonly error?: unknown;
}

/** A message from the hosted server. */
export interface OutboundMessage {
  readonly jsonrpc?: '2.0';
  readonly id?: RequestId | null;
  readonly method?: string;
  readonly params?: unknown;
  readonly result?: unknown;
  readonly error?: unknown;
}

export interface RpcError {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

/** A request: it has a method and an id, so it gets an answer. */
export function isRequest(message: InboundMessage | OutboundMessage): message is InboundMessage & { id: RequestId; method: string } {
  return message.method !== undefined && message.id !== undefined && message.id !== null;
}

/** A response (result or error) to a request the other side sent. */
export function isResponse(message: OutboundMessage): message is OutboundMessage & { id: RequestId } {
  return message.method === undefined && message.id !== undefined && message.id !== null;
}

/** The id to answer a body with: the request's own when it is a usable id, else `null`. */
export function idOf(body: unknown): JsonRpcId {
  const id = (body as { id?: unknown } | null)?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

/** A JSON-RPC error response for `id`. */
export function errorResponse(id: JsonRpcId, error: RpcError): string {
  const { code, message, data } = error;
  return JSON.stringify({ jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } });
}

/** Where the answer to a dispatched request, and every message related to it, goes. */
export interface RpcSink {
  deliver(message: OutboundMessage, json?: string): void;
}

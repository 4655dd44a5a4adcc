import type { ServerResponse } from 'node:http';

export interface RpcError {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

const answeredWithError = new WeakSet<ServerResponse>();

/**
 * Remembers that a response carried a JSON-RPC error, wherever in the gateway
 * it was written, so the request's log line and metrics can count it.
 */
export function markRpcError(res: ServerResponse): void {
  answeredWithError.add(res);
}

export function hasRpcError(res: ServerResponse): boolean {
  return answeredWithError.has(res);
}

/** A whole JSON answer; `headers` already name the content type. */
export function writeJson(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** A JSON-RPC error answer, counted as one. */
export function writeRpcError(res: ServerResponse, status: number, headers: Record<string, string>, id: string | number | null, error: RpcError): void {
  markRpcError(res);
  const { code, message, data } = error;
  writeJson(res, status, headers, JSON.stringify({ jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } }));
}

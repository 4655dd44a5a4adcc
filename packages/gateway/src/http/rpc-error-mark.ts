import type { ServerResponse } from 'node:http';

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

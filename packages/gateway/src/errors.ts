/**
 * Every error the gateway answers with, in one table: a stable code, the HTTP
 * status, the JSON-RPC error code and the message. Codes are never reused;
 * tests and docs match on them.
 */
export const GATEWAY_ERRORS = {
  PARSE_ERROR: { status: 400, rpc: -32700, message: 'Parse error: the body is not valid JSON' },
  INVALID_REQUEST: { status: 400, rpc: -32600, message: 'Invalid Request: the body is not a JSON-RPC 2.0 message' },
  BATCH_NOT_SUPPORTED: {
    status: 400,
    rpc: -32600,
    message: 'Invalid Request: JSON-RPC batches are not supported on this protocol revision',
  },
  EMPTY_BATCH: { status: 400, rpc: -32600, message: 'Invalid Request: empty batch' },
  INITIALIZE_IN_BATCH: { status: 400, rpc: -32600, message: 'Invalid Request: initialize must not be part of a batch' },
  MISSING_SESSION_ID: { status: 400, rpc: -32000, message: 'Bad Request: Mcp-Session-Id header is required' },
  UNKNOWN_SESSION: { status: 404, rpc: -32001, message: 'Session not found: initialize a new session' },
  SESSION_ALREADY_INITIALIZED: {
    status: 400,
    rpc: -32600,
    message: 'Invalid Request: initialize must be sent without an Mcp-Session-Id header',
  },
  UNSUPPORTED_PROTOCOL_VERSION: { status: 400, rpc: -32000, message: 'Bad Request: unsupported MCP-Protocol-Version' },
  NOT_ACCEPTABLE: {
    status: 406,
    rpc: -32000,
    message: 'Not Acceptable: the client must accept both application/json and text/event-stream',
  },
  NOT_ACCEPTABLE_SSE: { status: 406, rpc: -32000, message: 'Not Acceptable: the client must accept text/event-stream' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, rpc: -32000, message: 'Unsupported Media Type: Content-Type must be application/json' },
  BODY_TOO_LARGE: { status: 413, rpc: -32000, message: 'Payload Too Large: the body exceeds the configured limit' },
  METHOD_NOT_ALLOWED: { status: 405, rpc: -32000, message: 'Method Not Allowed' },
  NOT_FOUND: { status: 404, rpc: -32601, message: 'Not Found' },
  FORBIDDEN_ORIGIN: { status: 403, rpc: -32000, message: 'Forbidden: Origin not allowed' },
  FORBIDDEN_HOST: { status: 403, rpc: -32000, message: 'Forbidden: Host not allowed' },
  SESSIONS_FULL: { status: 503, rpc: -32000, message: 'Service Unavailable: the session limit is reached, retry later' },
  DRAINING: { status: 503, rpc: -32000, message: 'Service Unavailable: this task is draining, retry on another' },
  STREAM_CONFLICT: { status: 409, rpc: -32000, message: 'Conflict: a standalone SSE stream is already open for this session' },
  UNKNOWN_EVENT_ID: { status: 400, rpc: -32000, message: 'Bad Request: Last-Event-ID was not issued by this session (or its server was rebuilt since)' },
  EVENT_GAP: { status: 400, rpc: -32000, message: 'Bad Request: events after Last-Event-ID are no longer kept; resuming would lose them' },
  SESSION_ENDED: { status: 200, rpc: -32000, message: 'The session ended before the request was answered' },
  HEADER_MISMATCH: { status: 400, rpc: -32020, message: 'Header mismatch' },
  HANDLER_TIMEOUT: { status: 200, rpc: -32001, message: 'Request timed out: the hosted server did not answer in time' },
  HANDLER_FAILED: { status: 200, rpc: -32603, message: 'Internal error: the hosted server failed to answer' },
  INTERNAL: { status: 500, rpc: -32603, message: 'Internal error' },
} as const satisfies Record<string, { status: number; rpc: number; message: string }>;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

export type JsonRpcId = string | number | null;

/** The JSON-RPC error of a gateway error, with the code kept in `data` so clients and tests can match on it. */
export function gatewayError(code: GatewayErrorCode, detail?: string): { code: number; message: string; data: { code: GatewayErrorCode } } {
  const entry = GATEWAY_ERRORS[code];
  return { code: entry.rpc, message: detail === undefined ? entry.message : `${entry.message}: ${detail}`, data: { code } };
}

/** The same as a whole JSON-RPC response body, for answers written outside a ServerResponse. */
export function errorBody(code: GatewayErrorCode, id: JsonRpcId = null, detail?: string): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error: gatewayError(code, detail) });
}

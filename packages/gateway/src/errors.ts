import { ProtocolErrorCode } from '@modelcontextprotocol/server';

/**
 * Every error the gateway answers with, in one table: a stable code, the HTTP
 * status, the JSON-RPC error code and the message. Codes are never reused
 * (see {@link RETIRED_ERROR_CODES}); tests and docs match on them, and a test
 * fails on a code that no path produces.
 */
export const GATEWAY_ERRORS = {
  PARSE_ERROR: { status: 400, rpc: -32700, message: 'Parse error: the body is not valid JSON' },
  INVALID_REQUEST: { status: 400, rpc: -32600, message: 'Invalid Request: the body is not a JSON-RPC 2.0 message' },
  TOO_DEEP: { status: 400, rpc: -32600, message: 'Invalid Request: the body nests deeper than MAX_JSON_DEPTH' },
  BATCH_NOT_SUPPORTED: {
    status: 400,
    rpc: -32600,
    message: 'Invalid Request: JSON-RPC batches are not supported on this protocol revision',
  },
  INITIALIZE_IN_BATCH: { status: 400, rpc: -32600, message: 'Invalid Request: initialize must not be part of a batch' },
  DUPLICATE_REQUEST_ID: { status: 400, rpc: -32600, message: 'Invalid Request: a request id must be unique among the requests in progress' },
  MISSING_SESSION_ID: { status: 400, rpc: -32000, message: 'Bad Request: Mcp-Session-Id header is required' },
  UNKNOWN_SESSION: { status: 404, rpc: -32001, message: 'Session not found: initialize a new session' },
  UNSUPPORTED_PROTOCOL_VERSION: { status: 400, rpc: -32000, message: 'Bad Request: unsupported MCP-Protocol-Version' },
  UNSUPPORTED_MODERN_REVISION: { status: 400, rpc: ProtocolErrorCode.UnsupportedProtocolVersion, message: 'Unsupported protocol version' },
  RECORD_TOO_LARGE: { status: 400, rpc: -32602, message: 'Invalid params: the session state would exceed MAX_RECORD_BYTES' },
  SUBSCRIPTION_LIMIT: { status: 400, rpc: -32602, message: 'Invalid params: the session holds MAX_SUBSCRIPTIONS resource subscriptions already' },
  URI_TOO_LONG: { status: 400, rpc: -32602, message: 'Invalid params: the resource URI is longer than MAX_URI_BYTES' },
  NOT_ACCEPTABLE: {
    status: 406,
    rpc: -32000,
    message: 'Not Acceptable: the client must accept both application/json and text/event-stream',
  },
  NOT_ACCEPTABLE_SSE: { status: 406, rpc: -32000, message: 'Not Acceptable: the client must accept text/event-stream' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, rpc: -32000, message: 'Unsupported Media Type: Content-Type must be application/json' },
  BODY_TOO_LARGE: { status: 413, rpc: -32000, message: 'Payload Too Large: the body exceeds MAX_BODY_BYTES' },
  METHOD_NOT_ALLOWED: { status: 405, rpc: -32000, message: 'Method Not Allowed' },
  NOT_FOUND: { status: 404, rpc: -32601, message: 'Not Found' },
  FORBIDDEN_ORIGIN: { status: 403, rpc: -32000, message: 'Forbidden: Origin not allowed' },
  AUTH_REQUIRED: { status: 401, rpc: -32000, message: 'Unauthorized: this MCP endpoint needs credentials' },
  AUTH_INVALID: { status: 401, rpc: -32000, message: 'Unauthorized: the credentials are not valid' },
  INSUFFICIENT_SCOPE: { status: 403, rpc: -32000, message: 'Forbidden: the access token lacks a required scope' },
  TOKEN_IN_QUERY: {
    status: 400,
    rpc: -32000,
    message: 'Bad Request: credentials are never accepted in the query string; send them in a header',
  },
  AUTH_UNAVAILABLE: { status: 503, rpc: -32000, message: "Service Unavailable: the authorization server's signing keys cannot be fetched, retry later" },
  FORBIDDEN_HOST: { status: 403, rpc: -32000, message: 'Forbidden: Host not allowed' },
  SESSIONS_FULL: { status: 503, rpc: -32000, message: 'Service Unavailable: the session limit is reached, retry later' },
  SERVERS_BUSY: { status: 503, rpc: -32000, message: 'Service Unavailable: every live server of this task is busy, retry later' },
  STREAMS_FULL: { status: 503, rpc: -32000, message: 'Service Unavailable: the open stream limit of this task is reached, retry later' },
  REQUESTS_FULL: { status: 503, rpc: -32000, message: 'Service Unavailable: this task has MAX_CONCURRENT_REQUESTS requests in progress, retry later' },
  SESSION_BUSY: { status: 429, rpc: -32000, message: 'Too Many Requests: this session has MAX_REQUESTS_PER_SESSION requests in progress' },
  STORE_UNAVAILABLE: { status: 503, rpc: -32000, message: 'Service Unavailable: the session store cannot be reached, retry later' },
  DRAINING: { status: 503, rpc: -32000, message: 'Service Unavailable: this task is draining, retry on another' },
  STREAM_CONFLICT: { status: 409, rpc: -32000, message: 'Conflict: a standalone SSE stream is already open for this session' },
  UNKNOWN_EVENT_ID: { status: 400, rpc: -32000, message: 'Bad Request: Last-Event-ID was not issued in this session' },
  EVENT_GAP: { status: 400, rpc: -32000, message: 'Bad Request: events after Last-Event-ID are no longer kept; resuming would lose them' },
  HEADER_MISMATCH: { status: 400, rpc: -32020, message: 'Bad Request: the request headers and body disagree' },
  LISTEN_LIMIT: { status: 200, rpc: -32603, message: 'Subscription limit reached' },
  LISTEN_INVALID_FILTER: {
    status: 200,
    rpc: -32602,
    message: "Invalid params: 'notifications' is required and must be a valid SubscriptionFilter",
  },
  SESSION_ENDED: { status: 200, rpc: -32000, message: 'The session ended before the request was answered' },
  REQUEST_CANCELLED: { status: 200, rpc: -32000, message: 'The client cancelled the request' },
  HANDLER_TIMEOUT: { status: 200, rpc: -32001, message: 'Request timed out: the hosted server did not answer in time' },
  CLIENT_UNREACHABLE: { status: 200, rpc: -32601, message: 'Method not found: the client cannot be asked this on a 2026-07-28 request' },
  UPSTREAM_FAILED: { status: 200, rpc: -32603, message: 'Internal error: the upstream server did not answer' },
  SERVER_GONE: { status: 200, rpc: -32603, message: 'Internal error: the hosted server ended the connection before answering' },
  INTERNAL: { status: 500, rpc: -32603, message: 'Internal error' },
} as const satisfies Record<string, { status: number; rpc: number; message: string }>;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

/** Codes that were answered once and must never mean anything else. */
export const RETIRED_ERROR_CODES: readonly string[] = ['EMPTY_BATCH', 'SESSION_ALREADY_INITIALIZED', 'HANDLER_FAILED'];

/**
 * The HTTP status of a JSON-RPC error that refuses a 2026-07-28 request before
 * any handler runs (the spec's validation ladder); errors from handlers are 200.
 */
export const MODERN_LADDER_STATUS: Readonly<Record<number, number>> = {
  [ProtocolErrorCode.ParseError]: 400,
  [ProtocolErrorCode.InvalidRequest]: 400,
  [ProtocolErrorCode.MethodNotFound]: 404,
  [ProtocolErrorCode.UnsupportedProtocolVersion]: 400,
  [ProtocolErrorCode.MissingRequiredClientCapability]: 400,
  [GATEWAY_ERRORS.HEADER_MISMATCH.rpc]: 400,
};

/** The JSON-RPC error of a gateway error, with the code kept in `data` so clients and tests can match on it. */
export function gatewayError(
  code: GatewayErrorCode,
  detail?: string,
  data?: Record<string, unknown>,
): { code: number; message: string; data: { code: GatewayErrorCode } } {
  const entry = GATEWAY_ERRORS[code];
  return { code: entry.rpc, message: detail === undefined ? entry.message : `${entry.message}: ${detail}`, data: { ...data, code } };
}

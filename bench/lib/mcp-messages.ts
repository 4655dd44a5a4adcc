// JSON-RPC bodies and HTTP headers the benchmark sends. Meta keys and header names were checked
// against @modelcontextprotocol/core 2.4.0 (PROTOCOL_VERSION_META_KEY, CLIENT_INFO_META_KEY,
// CLIENT_CAPABILITIES_META_KEY) and the SEP-2243 header rung of @modelcontextprotocol/server 2.4.0
// (validateStandardRequestHeaders: MCP-Protocol-Version, Mcp-Method, Mcp-Name).

export const MODERN_PROTOCOL_VERSION = '2026-07-28';
export const LEGACY_PROTOCOL_VERSION = '2025-11-25';
export const ECHO_TEXT = 'hi';

/** Placeholder autocannon replaces with a unique id per request (`idReplacement`). */
export const ID_PLACEHOLDER = '[<id>]';

export type Headers = Record<string, string>;

/** A tools/call the benchmark sends: the tool, its arguments, and the text the answer's first content block must hold. */
export interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
  expectedText: string;
}

/** The `echo` of the benchmark's own targets and the gateway's demo server. */
export const BENCH_ECHO: ToolCall = { name: 'echo', arguments: { text: ECHO_TEXT }, expectedText: ECHO_TEXT };

/** The `echo` of @modelcontextprotocol/server-everything. */
export const EVERYTHING_ECHO: ToolCall = { name: 'echo', arguments: { message: ECHO_TEXT }, expectedText: `Echo: ${ECHO_TEXT}` };

const BASE_HEADERS: Headers = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

export function modernToolCallHeaders(call: ToolCall = BENCH_ECHO): Headers {
  return {
    ...BASE_HEADERS,
    'mcp-protocol-version': MODERN_PROTOCOL_VERSION,
    'mcp-method': 'tools/call',
    'mcp-name': call.name,
  };
}

/** A 2026-07-28 tools/call: the per-request `_meta` envelope replaces the initialize handshake. */
export function modernToolCallBody(id: string | number = 1, call: ToolCall = BENCH_ECHO): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: {
      name: call.name,
      arguments: call.arguments,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': MODERN_PROTOCOL_VERSION,
        'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' },
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
  });
}

/** Headers of a legacy (2025-era) request after the handshake; `sessionId` when the server issued one. */
export function legacyHeaders(sessionId?: string): Headers {
  const headers: Headers = { ...BASE_HEADERS, 'mcp-protocol-version': LEGACY_PROTOCOL_VERSION };
  if (sessionId !== undefined) headers['mcp-session-id'] = sessionId;
  return headers;
}

/** Headers of a legacy initialize POST (no protocol-version header, no session yet). */
export function initializeHeaders(): Headers {
  return { ...BASE_HEADERS };
}

export function legacyToolCallBody(id: string | number = 1, call: ToolCall = BENCH_ECHO): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: call.name, arguments: call.arguments },
  });
}

export function initializeBody(id: string | number = 1): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: {
      protocolVersion: LEGACY_PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'bench', version: '1' },
    },
  });
}

export function initializedNotificationBody(): string {
  return JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
}

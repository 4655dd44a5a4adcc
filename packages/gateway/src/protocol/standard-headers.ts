import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';

/** The stateless revision the modern endpoint serves. */
export const MODERN_REVISION = '2026-07-28';

/** The 2025-era revisions a legacy session may use. */
export const LEGACY_VERSIONS: ReadonlySet<string> = new Set(SUPPORTED_PROTOCOL_VERSIONS);

/** The MCP request headers that travel beside the body, read once per POST. */
export interface StandardHeaders {
  readonly protocolVersion: string | undefined;
  readonly method: string | undefined;
  readonly name: string | undefined;
}

/** Methods whose body value the `Mcp-Name` header must mirror (SEP-2243). */
const NAME_SOURCE: Readonly<Record<string, string>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

/**
 * The presence and `Mcp-Name` half of the standard-header rung (SEP-2243); the
 * SDK's classifier already checked the version and method headers against the
 * body. Returns what disagrees, or undefined.
 */
export function headerMismatch(headers: StandardHeaders, method: string, params: unknown): string | undefined {
  if (headers.protocolVersion === undefined) return 'the required MCP-Protocol-Version header is absent';
  if (headers.method === undefined) return `the body names method ${method} but the required Mcp-Method header is absent`;
  const field = NAME_SOURCE[method];
  if (field === undefined) return undefined;
  const raw = (params as Record<string, unknown> | undefined)?.[field];
  const bodyValue = typeof raw === 'string' ? raw : undefined;
  if (headers.name === undefined) {
    return bodyValue === undefined ? undefined : `the body carries params.${field}="${bodyValue}" but the required Mcp-Name header is absent`;
  }
  const decoded = decodeParamValue(headers.name.trim());
  if (decoded === undefined) return 'the Mcp-Name header carries an invalid Base64 sentinel value';
  if (bodyValue !== undefined && decoded !== bodyValue) return `the body carries params.${field}="${bodyValue}" but the Mcp-Name header names "${decoded}"`;
  return undefined;
}

const BASE64_CANONICAL = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Header values that are not plain ASCII travel as `=?base64?<value>?=` (SEP-2243). */
function decodeParamValue(value: string): string | undefined {
  if (!(value.startsWith('=?base64?') && value.endsWith('?='))) return value;
  const encoded = value.slice(9, -2);
  if (!BASE64_CANONICAL.test(encoded)) return undefined;
  return Buffer.from(encoded, 'base64').toString('utf8');
}

/** Priming events carry empty data, which clients older than 2025-11-25 may not accept (SEP-1699). */
export function primesStreams(protocolVersion: string | undefined): boolean {
  return protocolVersion !== undefined && protocolVersion >= '2025-11-25';
}

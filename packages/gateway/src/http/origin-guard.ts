import { validateHostHeader } from '@modelcontextprotocol/server';
import type { GatewayErrorCode } from '../errors.js';

export type OriginGuard = (host: string | undefined, origin: string | undefined) => GatewayErrorCode | undefined;

/**
 * DNS-rebinding protection (MCP transports: servers MUST validate `Origin`).
 * Requests without `Origin` come from non-browser clients and pass; a
 * browser's `Origin` must be on the list. An allowed origin without a port
 * admits that scheme and host on any port (loopback defaults).
 */
export function createOriginGuard(allowedHosts: readonly string[], allowedOrigins: readonly string[]): OriginGuard {
  const exact = new Set(allowedOrigins);
  const anyPort = allowedOrigins.filter((origin) => !/:\d+$/.test(origin));
  const hosts = [...allowedHosts];
  return (host, origin) => {
    if (hosts.length > 0 && !validateHostHeader(host ?? null, hosts).ok) return 'FORBIDDEN_HOST';
    if (origin === undefined || exact.has(origin)) return undefined;
    const withoutPort = origin.replace(/:\d+$/, '');
    return anyPort.includes(withoutPort) ? undefined : 'FORBIDDEN_ORIGIN';
  };
}

import { validateHostHeader } from '@modelcontextprotocol/server';
import type { GatewayErrorCode } from '../errors.js';

/** Host header values whose verdict is kept: clients send a handful; past this, hosts are checked every time. */
const MAX_KNOWN_HOSTS = 64;

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
  // The SDK's check parses the header as a URL on every request: the verdict per header value is kept instead.
  const known = new Map<string | undefined, boolean>();
  const hostAllowed = (host: string | undefined): boolean => {
    let allowed = known.get(host);
    if (allowed === undefined) {
      allowed = validateHostHeader(host ?? null, hosts).ok;
      if (known.size < MAX_KNOWN_HOSTS) known.set(host, allowed);
    }
    return allowed;
  };
  return (host, origin) => {
    if (hosts.length > 0 && !hostAllowed(host)) return 'FORBIDDEN_HOST';
    if (origin === undefined || exact.has(origin)) return undefined;
    const withoutPort = origin.replace(/:\d+$/, '');
    return anyPort.includes(withoutPort) ? undefined : 'FORBIDDEN_ORIGIN';
  };
}

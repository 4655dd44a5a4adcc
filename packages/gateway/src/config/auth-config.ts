import { ConfigError } from './config-error.js';

/** Who may call a hosted server: nobody checked, static keys in a header, or OAuth 2.1 bearer tokens (JWTs). */
export type AuthConfig = NoAuth | KeysAuth | OAuthConfig;

export interface NoAuth {
  readonly mode: 'none';
}

export interface KeysAuth {
  readonly mode: 'keys';
  /** Every key accepted; several at once so keys rotate without downtime. */
  readonly keys: readonly string[];
  /** Lowercase header name; `authorization` means `Authorization: Bearer <key>`, any other carries the key verbatim. @default 'authorization' */
  readonly header: string;
}

export interface OAuthConfig {
  readonly mode: 'oauth';
  /** The authorization server's issuer (`iss`); its JWKS is discovered from its metadata when `jwksUrl` is not given. */
  readonly issuer: string | undefined;
  readonly jwksUrl: string | undefined;
  /** The canonical MCP URL a token must be meant for (RFC 8707); unset, any audience of the issuer passes (a start warning says so). */
  readonly audience: string | undefined;
  /** Scopes every token must carry. @default none */
  readonly scopes: readonly string[];
  /** @default ['RS256', 'ES256'] */
  readonly algorithms: readonly string[];
}

/** Asymmetric JWS algorithms only: with HMAC a public key would be the secret, and `none` is no signature at all. */
export const ACCEPTED_ALGORITHMS: readonly string[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** The header names that cannot carry a key: they mean something else to HTTP or MCP. */
const RESERVED_HEADERS = [
  'content-type',
  'accept',
  'host',
  'origin',
  'cookie',
  'mcp-session-id',
  'mcp-protocol-version',
  'mcp-method',
  'mcp-name',
  'last-event-id',
];
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

type Read = (
  name: 'AUTH_MODE' | 'AUTH_KEYS' | 'AUTH_HEADER' | 'OAUTH_ISSUER' | 'OAUTH_JWKS_URL' | 'OAUTH_AUDIENCE' | 'OAUTH_SCOPES' | 'OAUTH_ALGORITHMS',
) => string;

/** AUTH_* and OAUTH_*, checked together: a mode without what it needs stops the start, naming the variable. */
export function authConfigOf(read: Read): AuthConfig {
  const mode = read('AUTH_MODE');
  switch (mode) {
    case 'none':
      return { mode };
    case 'keys': {
      const keys = keysOf(read('AUTH_KEYS'));
      // The value is a secret: never echoed, even when it is wrong.
      if (keys.length === 0) throw new ConfigError('AUTH_KEYS', '', 'at least one key (comma- or newline-separated) when AUTH_MODE=keys');
      return { mode, keys, header: headerOf('AUTH_HEADER', read('AUTH_HEADER')) };
    }
    case 'oauth': {
      const issuer = optionalUrl('OAUTH_ISSUER', read('OAUTH_ISSUER'));
      const jwksUrl = optionalUrl('OAUTH_JWKS_URL', read('OAUTH_JWKS_URL'));
      if (issuer === undefined && jwksUrl === undefined) {
        throw new ConfigError(
          'OAUTH_ISSUER',
          '',
          'an issuer URL (or OAUTH_JWKS_URL) when AUTH_MODE=oauth, such as https://cognito-idp.<region>.amazonaws.com/<poolId>',
        );
      }
      const algorithms = read('OAUTH_ALGORITHMS')
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== '');
      for (const algorithm of algorithms) {
        if (!ACCEPTED_ALGORITHMS.includes(algorithm)) {
          const why = /^HS/i.test(algorithm)
            ? 'asymmetric algorithms only: HMAC would make the public key a shared secret'
            : algorithm.toLowerCase() === 'none'
              ? 'a signing algorithm: "none" accepts unsigned tokens'
              : 'asymmetric JWS algorithms';
          throw new ConfigError('OAUTH_ALGORITHMS', algorithm, `${why} (${ACCEPTED_ALGORITHMS.join(', ')})`);
        }
      }
      if (algorithms.length === 0) throw new ConfigError('OAUTH_ALGORITHMS', '', `at least one of ${ACCEPTED_ALGORITHMS.join(', ')}`);
      return {
        mode,
        issuer,
        jwksUrl,
        audience: read('OAUTH_AUDIENCE') === '' ? undefined : read('OAUTH_AUDIENCE'),
        scopes: read('OAUTH_SCOPES')
          .split(/\s+/)
          .filter((scope) => scope !== ''),
        algorithms,
      };
    }
    default:
      throw new ConfigError('AUTH_MODE', mode, 'one of none, keys, oauth');
  }
}

/** Keys are comma- or newline-separated (a Secrets Manager secret may hold one per line). */
export function keysOf(raw: string): string[] {
  return raw
    .split(/[,\n]/)
    .map((key) => key.trim())
    .filter((key) => key !== '');
}

export function headerOf(variable: string, raw: string): string {
  const name = raw.toLowerCase();
  if (!HEADER_NAME.test(name) || RESERVED_HEADERS.includes(name)) {
    throw new ConfigError(variable, raw, 'a header name such as authorization, X-Api-Key or X-Sema4ai-Auth (not one HTTP or MCP uses for something else)');
  }
  return name;
}

function optionalUrl(variable: string, raw: string): string | undefined {
  if (raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(variable, raw, 'an https:// URL (http:// only for loopback)');
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw new ConfigError(variable, raw, 'an https:// URL (http:// only for loopback)');
  return raw;
}

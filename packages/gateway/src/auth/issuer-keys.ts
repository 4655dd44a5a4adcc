import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import type { OAuthConfig } from '../config/auth-config.js';

/** An authorization server that cannot be asked for its keys right now: a 503, never a 401. */
export class KeysUnavailableError extends Error {
  override readonly name = 'KeysUnavailableError';
}

/** @default 30 s between JWKS refetches for an unknown `kid`: a flood of forged `kid`s costs one fetch per cooldown. */
const JWKS_COOLDOWN_MS = 30_000;
/** @default 10 min: keys are refetched at least this often, so a rotation at the issuer is picked up. */
const JWKS_MAX_AGE_MS = 600_000;
/** @default 5 s for the metadata or the JWKS to answer. */
const FETCH_TIMEOUT_MS = 5000;

/**
 * The issuer's signing keys, shared by every path that uses the gateway's
 * OAuth settings. The JWKS URL is OAUTH_JWKS_URL, or discovered once from
 * the issuer's metadata (OpenID Connect discovery, then RFC 8414); jose's
 * remote key set caches the keys and refetches on an unknown `kid` at most
 * once per cooldown.
 */
export class IssuerKeys {
  private keySet: Promise<JWTVerifyGetKey> | undefined;
  private failedAt = 0;

  constructor(private readonly config: OAuthConfig) {}

  /** The key set, discovering its URL first when needed; a failed discovery is retried after the cooldown, not per request. */
  get(): Promise<JWTVerifyGetKey> {
    if (this.keySet === undefined && Date.now() - this.failedAt >= JWKS_COOLDOWN_MS) {
      this.keySet = this.jwksUrl().then((url) =>
        createRemoteJWKSet(new URL(url), { cooldownDuration: JWKS_COOLDOWN_MS, cacheMaxAge: JWKS_MAX_AGE_MS, timeoutDuration: FETCH_TIMEOUT_MS }),
      );
      this.keySet.catch(() => {
        this.keySet = undefined;
        this.failedAt = Date.now();
      });
    }
    return this.keySet ?? Promise.reject(new KeysUnavailableError('the authorization server metadata could not be read; retrying after a cooldown'));
  }

  private async jwksUrl(): Promise<string> {
    if (this.config.jwksUrl !== undefined) return this.config.jwksUrl;
    const issuer = this.config.issuer as string;
    for (const url of metadataUrls(issuer)) {
      let response: Response;
      try {
        response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } });
      } catch {
        continue;
      }
      if (!response.ok) continue;
      const metadata = (await response.json().catch(() => undefined)) as { issuer?: unknown; jwks_uri?: unknown } | undefined;
      // RFC 8414 section 3.3: metadata for another issuer is not this issuer's.
      if (metadata?.issuer === issuer && typeof metadata.jwks_uri === 'string') return metadata.jwks_uri;
    }
    throw new KeysUnavailableError(`no metadata with a jwks_uri for issuer ${issuer}`);
  }
}

/**
 * Where an issuer publishes its metadata: OpenID Connect discovery appends
 * to the issuer; RFC 8414 inserts the well-known segment before its path.
 */
export function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return [
    `${url.origin}${path}/.well-known/openid-configuration`,
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}/.well-known/openid-configuration${path}`,
  ];
}

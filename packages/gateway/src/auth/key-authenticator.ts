import { createHash, timingSafeEqual } from 'node:crypto';
import type { KeysAuth } from '../config/auth-config.js';
import {
  type Authenticator,
  type AuthOutcome,
  bearerToken,
  type Principal,
  queryCredentialRefusal,
  type RequestHeaders,
  singleHeader,
} from './authenticator.js';

/**
 * Static keys in a header (`Authorization: Bearer <key>`, or any header such
 * as Sema4.ai's `X-Sema4ai-Auth` carrying the key verbatim). Each key is kept
 * as its SHA-256 digest, and a presented key is compared digest to digest with
 * `timingSafeEqual`: equal lengths whatever the key, so neither the length nor
 * a common prefix of a key shows in the time an answer takes.
 */
export class KeyAuthenticator implements Authenticator {
  private readonly keys: readonly { readonly digest: Buffer; readonly principal: Principal }[];
  private readonly missing: AuthOutcome;
  private readonly invalid: AuthOutcome;

  constructor(private readonly config: KeysAuth) {
    this.keys = config.keys.map((key) => {
      const fingerprint = createHash('sha256').update(`mcp-fargate key\n${key}`).digest('base64url').slice(0, 16);
      return {
        digest: digestOf(key),
        principal: {
          fingerprint,
          authInfo: { token: key, clientId: `key-${fingerprint.slice(0, 8)}`, scopes: [], extra: { sub: `key-${fingerprint.slice(0, 8)}` } },
        },
      };
    });
    const bearer = config.header === 'authorization';
    // RFC 6750 section 3 for the bearer form; a custom header gets a challenge that names it, as there is no standard scheme for one.
    const challenge = (error?: string): string =>
      bearer ? `Bearer realm="mcp"${error === undefined ? '' : `, error="${error}"`}` : `ApiKey realm="mcp", header="${config.header}"`;
    this.missing = {
      ok: false,
      code: 'AUTH_REQUIRED',
      challenge: challenge(),
      detail: bearer ? 'send Authorization: Bearer <key>' : `send the key in ${config.header}`,
    };
    this.invalid = { ok: false, code: 'AUTH_INVALID', challenge: challenge('invalid_token') };
  }

  async authenticate(headers: RequestHeaders, query: URLSearchParams | undefined): Promise<AuthOutcome> {
    const inQuery = queryCredentialRefusal(query);
    if (inQuery !== undefined) return inQuery;
    const presented = this.config.header === 'authorization' ? bearerToken(headers) : singleHeader(headers, this.config.header)?.trim();
    if (presented === undefined || presented === '') return this.missing;
    const digest = digestOf(presented);
    let found: Principal | undefined;
    // Every key is compared, so the time does not tell which one matched.
    for (const key of this.keys) if (timingSafeEqual(key.digest, digest)) found = key.principal;
    return found === undefined ? this.invalid : { ok: true, principal: found };
  }
}

function digestOf(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

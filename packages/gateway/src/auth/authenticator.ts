import type { AuthInfo } from '@modelcontextprotocol/server';
import type { GatewayErrorCode } from '../errors.js';

/** The RFC 9728 metadata path; the path-suffixed form appends the MCP path. */
export const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource';

/** The request headers as node:http gives them: lowercase names. */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** Who is calling, once their credentials checked out. */
export interface Principal {
  /**
   * A stable handle for the caller (a key, or an issuer's subject), the same
   * on every task: it binds a legacy session to its creator. It is a
   * truncated hash, useless as a credential.
   */
  readonly fingerprint: string;
  /** What the hosted server's handlers see as `ctx.http.authInfo` (SDK v2). */
  readonly authInfo: AuthInfo;
}

export type AuthOutcome =
  | { readonly ok: true; readonly principal: Principal }
  | {
      readonly ok: false;
      readonly code: GatewayErrorCode;
      /** The `WWW-Authenticate` value of the answer, if it has one. */
      readonly challenge: string | undefined;
      /** A log-safe detail for the client (never the credential). */
      readonly detail?: string | undefined;
    };

/** Checks one request's credentials; built once per MCP path at start. */
export interface Authenticator {
  /** `path` is the MCP path called (a challenge names its metadata); `query` its query string, if it has one. */
  authenticate(headers: RequestHeaders, query: URLSearchParams | undefined, path: string): Promise<AuthOutcome>;
}

/**
 * Query parameters that carry credentials: a URL ends up in proxy and ALB
 * logs and browser history (OAuth 2.1 section 5.1.1 forbids tokens there).
 */
const CREDENTIAL_PARAMETERS = ['access_token', 'token', 'api_key', 'apikey', 'key'];

/** The refusal for credentials in the query string, or undefined when there are none. */
export function queryCredentialRefusal(query: URLSearchParams | undefined): AuthOutcome | undefined {
  if (query === undefined) return undefined;
  const found = CREDENTIAL_PARAMETERS.find((name) => query.has(name));
  return found === undefined ? undefined : { ok: false, code: 'TOKEN_IN_QUERY', challenge: undefined, detail: `the "${found}" parameter` };
}

/** The one value of a header; a repeated credential header is ambiguous and counts as none. */
export function singleHeader(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** The token of `Authorization: Bearer <token>` (the scheme is case-insensitive, RFC 6750 section 2.1). */
export function bearerToken(headers: RequestHeaders): string | undefined {
  const match = /^Bearer +([^\s]+) *$/i.exec(singleHeader(headers, 'authorization') ?? '');
  return match?.[1];
}

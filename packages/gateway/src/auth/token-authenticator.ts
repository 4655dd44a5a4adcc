import { createHash } from 'node:crypto';
import { decodeJwt, errors, type JWTPayload, jwtVerify } from 'jose';
import type { OAuthConfig } from '../config/auth-config.js';
import {
  type Authenticator,
  type AuthOutcome,
  bearerToken,
  PROTECTED_RESOURCE_PATH,
  type RequestHeaders,
  queryCredentialRefusal,
  singleHeader,
} from './authenticator.js';
import { type IssuerKeys, KeysUnavailableError } from './issuer-keys.js';

/** @default 30 s of clock skew between the issuer and this task, for `exp` and `nbf`. */
const CLOCK_TOLERANCE_S = 30;

/**
 * The MCP authorization spec's resource server for one hosted server: a JWT
 * access token in `Authorization: Bearer`, verified by jose against the
 * issuer's keys (signature with an allowed algorithm, issuer, audience, expiry
 * and not-before with a small leeway), then the required scopes.
 */
export class TokenAuthenticator implements Authenticator {
  /** What a token's `aud` must name: the resource URL of each path this server is served at (RFC 8707). */
  private readonly audiences: string[] | undefined;
  /** Cognito access tokens carry no `aud`; their scopes name the resource server instead. */
  private readonly scopesNameAudience: boolean;

  constructor(
    private readonly config: OAuthConfig,
    private readonly keys: IssuerKeys,
    paths: readonly string[],
  ) {
    const audience = config.audience;
    this.audiences = audience === undefined ? undefined : [...new Set([audience, ...paths.map((path) => resourceOf(audience, path))])];
    this.scopesNameAudience = audience !== undefined && config.scopes.length > 0 && config.scopes.every((scope) => scope.startsWith(`${audience}/`));
  }

  /** The RFC 9728 document for `path`, as served at its well-known URL. */
  metadata(headers: RequestHeaders, path: string): Record<string, unknown> {
    return {
      resource: this.resource(headers, path),
      ...(this.config.issuer === undefined ? {} : { authorization_servers: [this.config.issuer] }),
      ...(this.config.scopes.length === 0 ? {} : { scopes_supported: this.config.scopes }),
      bearer_methods_supported: ['header'],
    };
  }

  async authenticate(headers: RequestHeaders, query: URLSearchParams | undefined, path: string): Promise<AuthOutcome> {
    const inQuery = queryCredentialRefusal(query);
    if (inQuery !== undefined) return inQuery;
    const metadataUrl = `${baseOf(headers, this.config.audience)}${PROTECTED_RESOURCE_PATH}${path}`;
    const challenge = (error?: string, description?: string): string =>
      `Bearer realm="mcp", resource_metadata="${metadataUrl}"${error === undefined ? '' : `, error="${error}"`}${description === undefined ? '' : `, error_description="${description}"`}`;
    const token = bearerToken(headers);
    if (token === undefined) return { ok: false, code: 'AUTH_REQUIRED', challenge: challenge(), detail: 'send Authorization: Bearer <access token>' };
    let payload: JWTPayload;
    try {
      payload = await this.verify(token);
    } catch (error) {
      if (unavailable(error)) return { ok: false, code: 'AUTH_UNAVAILABLE', challenge: undefined };
      const description = describe(error);
      return { ok: false, code: 'AUTH_INVALID', challenge: challenge('invalid_token', description), detail: description };
    }
    const scopes = scopesOf(payload);
    const missing = this.config.scopes.filter((scope) => !scopes.includes(scope));
    if (missing.length > 0) {
      return {
        ok: false,
        code: 'INSUFFICIENT_SCOPE',
        challenge: `Bearer realm="mcp", error="insufficient_scope", scope="${this.config.scopes.join(' ')}", resource_metadata="${metadataUrl}"`,
        detail: `missing ${missing.join(' ')}`,
      };
    }
    const subject = payload.sub ?? stringClaim(payload, 'client_id') ?? '';
    const clientId = stringClaim(payload, 'client_id') ?? stringClaim(payload, 'azp') ?? subject;
    return {
      ok: true,
      principal: {
        fingerprint: createHash('sha256')
          .update(`mcp-fargate oauth\n${payload.iss ?? ''}\n${subject}`)
          .digest('base64url')
          .slice(0, 16),
        authInfo: {
          token,
          clientId,
          scopes,
          ...(payload.exp === undefined ? {} : { expiresAt: payload.exp }),
          extra: { sub: subject, ...(payload.iss === undefined ? {} : { iss: payload.iss }) },
        },
      },
    };
  }

  private async verify(token: string): Promise<JWTPayload> {
    // Which checks apply depends on whether the token names an audience; the signature is verified either way.
    const claims = decodeJwt(token);
    const checkAudience = this.audiences !== undefined && !(claims.aud === undefined && this.scopesNameAudience);
    if (this.audiences !== undefined && claims.aud === undefined && !this.scopesNameAudience) {
      throw new errors.JWTClaimValidationFailed('the token has no aud claim', claims, 'aud', 'missing');
    }
    const { payload } = await jwtVerify(token, await this.keys.get(), {
      algorithms: [...this.config.algorithms],
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ['exp'],
      ...(this.config.issuer === undefined ? {} : { issuer: this.config.issuer }),
      ...(checkAudience ? { audience: this.audiences } : {}),
    });
    return payload;
  }

  private resource(headers: RequestHeaders, path: string): string {
    return this.config.audience === undefined ? `${baseOf(headers, undefined)}${path}` : resourceOf(this.config.audience, path);
  }
}

/** The resource URL of `path`: the audience itself when it names that path, else the path on the audience's origin. */
function resourceOf(audience: string, path: string): string {
  try {
    const url = new URL(audience);
    return url.pathname === path ? audience : `${url.origin}${path}`;
  } catch {
    return audience;
  }
}

/** The public origin of this gateway: the audience's when configured, else what the client (through the ALB) called. */
function baseOf(headers: RequestHeaders, audience: string | undefined): string {
  if (audience !== undefined) {
    try {
      return new URL(audience).origin;
    } catch {
      // An audience that is not a URL (some issuers use names) says nothing about where the gateway is.
    }
  }
  const proto = singleHeader(headers, 'x-forwarded-proto')?.split(',')[0]?.trim() === 'https' ? 'https' : 'http';
  return `${proto}://${singleHeader(headers, 'host') ?? 'localhost'}`;
}

/** `scope` (RFC 9068, space-separated; Cognito), or `scp` (a list, some issuers). */
function scopesOf(payload: JWTPayload): string[] {
  const scope = payload['scope'] ?? payload['scp'];
  if (typeof scope === 'string') return scope.split(' ').filter((item) => item !== '');
  return Array.isArray(scope) ? scope.filter((item): item is string => typeof item === 'string') : [];
}

function stringClaim(payload: JWTPayload, name: string): string | undefined {
  const value = payload[name];
  return typeof value === 'string' ? value : undefined;
}

/** The issuer's keys could not be had: the token is not judged, and the client retries. */
function unavailable(error: unknown): boolean {
  if (error instanceof KeysUnavailableError || error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true;
  // jose's generic error here is a JWKS answer that was not 200 JSON; anything not from jose is the fetch itself.
  return !(error instanceof errors.JOSEError) || error.code === 'ERR_JOSE_GENERIC';
}

/** Why a token was refused, in words that name no part of it (RFC 6750 error_description). */
function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'the token is not valid yet';
    return `the ${error.claim} claim is not accepted`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported)
    return 'the token is signed with an algorithm that is not accepted';
  if (error instanceof errors.JWKSNoMatchingKey) return 'no signing key of the issuer matches the token';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the signature is not valid';
  return 'the token is malformed';
}

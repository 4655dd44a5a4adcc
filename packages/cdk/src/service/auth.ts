import { Aws, Fn, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type { Construct } from 'constructs';
import { DEFAULTS } from '../defaults.js';
import { McpFargateError, show } from '../errors.js';
import { GATEWAY_ENV } from '../gateway-env.js';
import type { McpSecret } from './props.js';

/**
 * Static keys (`AUTH_MODE=keys`): the gateway accepts a request carrying one of the keys in the secret. Several keys
 * (comma- or newline-separated) are all valid at once, which is how a key rotates without downtime.
 */
export interface McpKeysAuth {
  readonly mode: 'keys';

  /** The secret holding the keys (`AUTH_KEYS`); it reaches the task only as a task definition secret. */
  readonly keysSecret: McpSecret;

  /**
   * The header that carries a key. `authorization` means `Authorization: Bearer <key>`; any other header (such as
   * `x-api-key`, or Sema4.ai's `x-sema4ai-auth`) carries the key as its whole value.
   * @default 'authorization'
   */
  readonly header?: string;
}

/**
 * OAuth 2.1 with an external authorization server (`AUTH_MODE=oauth`): the gateway verifies JWT access tokens from
 * `issuer`, meant for the MCP URL (`OAUTH_AUDIENCE`, RFC 8707), and publishes the protected resource metadata.
 */
export interface McpOAuthAuth {
  readonly mode: 'oauth';

  /** The authorization server's issuer identifier, an https:// URL (`OAUTH_ISSUER`). */
  readonly issuer: string;

  /**
   * Where its signing keys are (`OAUTH_JWKS_URL`).
   * @default - discovered from the issuer's metadata
   */
  readonly jwksUrl?: string;

  /**
   * Scopes every token must carry (`OAUTH_SCOPES`).
   * @default - none required
   */
  readonly scopes?: string[];

  /**
   * JWS algorithms accepted (`OAUTH_ALGORITHMS`); asymmetric ones only.
   * @default - the gateway's own allowlist
   */
  readonly algorithms?: string[];
}

/** The Cognito user pool the construct creates as the authorization server. */
export interface McpCognitoOptions {
  /**
   * Prefix of the hosted domain, `https://<prefix>.auth.<region>.amazoncognito.com`, unique in the region across all
   * accounts.
   * @default - `mcp-` and the stack's unique id (so two stacks never collide)
   */
  readonly domainPrefix?: string;

  /**
   * Scope names the resource server defines and every token must carry (as `<MCP URL>/<name>`).
   * @default ['access']
   */
  readonly scopes?: string[];
}

/**
 * OAuth 2.1 with a Cognito user pool the construct creates: a resource server whose identifier is the MCP URL, a
 * confidential app client for the client-credentials grant, and the hosted domain its token endpoint lives on.
 */
export interface McpCognitoAuth {
  readonly mode: 'oauth';
  readonly cognito: McpCognitoOptions;
}

/** No authentication (`AUTH_MODE=none`): anyone who reaches the load balancer can call every tool. */
export interface McpNoAuth {
  readonly mode: 'none';

  /**
   * Why that is acceptable, in a sentence; required on an internet-facing load balancer (allowlisted or not: an agent
   * platform's egress addresses are shared by all its tenants).
   * @default - none; an internal load balancer needs no acknowledgement
   */
  readonly acknowledgeNoAuth?: string;
}

/** Who may call the MCP: an explicit choice, there is no default. */
export type McpAuth = McpKeysAuth | McpOAuthAuth | McpCognitoAuth | McpNoAuth;

/** The auth choice after validation. */
export interface ResolvedAuth {
  readonly mode: 'none' | 'keys' | 'oauth';
  /** The gateway's variables known before deployment. */
  readonly environment: Readonly<Record<string, string>>;
  /** `AUTH_KEYS`, for keys. */
  readonly secrets: Readonly<Record<string, McpSecret>>;
  /** Given when the construct creates a Cognito user pool. */
  readonly cognito?: { readonly domainPrefix?: string; readonly scopes: readonly string[]; readonly audience: string };
  /** What the acknowledgement of an open load balancer says about callers. */
  readonly acknowledgeNoAuth?: string;
}

/** JWS algorithms with a public verification key; never `none`, never HMAC (a shared secret the gateway would hold). */
export const ASYMMETRIC_ALGORITHMS: readonly string[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Headers an auth key may not travel in: the load balancer, HTTP or MCP itself uses them. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-type',
  'content-length',
  'transfer-encoding',
  'connection',
  'cookie',
  'origin',
  'accept',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-amzn-trace-id',
  'mcp-session-id',
  'mcp-protocol-version',
  'mcp-method',
  'mcp-name',
  'last-event-id',
]);
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
/** What Cognito accepts as a scope name. */
const COGNITO_SCOPE = /^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]{1,256}$/;
/** A Cognito domain prefix: lowercase letters, digits and hyphens, not starting or ending with a hyphen. */
const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export interface AuthContext {
  readonly internetFacing: boolean;
  readonly insecureHttp: boolean;
  /** `https://<domainName>/mcp`, the canonical MCP URL; undefined with plain HTTP. */
  readonly audience: string | undefined;
}

/**
 * Validates the auth choice and maps it to the gateway's variables. `none` on an internet-facing load balancer needs
 * `acknowledgeNoAuth`; OAuth needs the HTTPS MCP URL, which is its audience.
 */
export function resolveAuth(at: (prop: string) => string, auth: McpAuth | undefined, ctx: AuthContext): ResolvedAuth {
  if (auth === undefined || auth === null) {
    throw new McpFargateError(
      'MCPF_CDK_AUTH_REQUIRED',
      `${at('auth')} is required: choose who may call the MCP, { mode: 'keys', keysSecret } (static keys from Secrets Manager), ` +
        "{ mode: 'oauth', issuer } or { mode: 'oauth', cognito: {} } (OAuth 2.1 access tokens), or { mode: 'none', acknowledgeNoAuth: '<why>' }",
    );
  }
  const mode = (auth as { mode: unknown }).mode;
  if (mode === 'none') {
    const none = auth as McpNoAuth;
    if (none.acknowledgeNoAuth !== undefined) validateAcknowledgement(at('auth.acknowledgeNoAuth'), none.acknowledgeNoAuth);
    if (ctx.internetFacing && none.acknowledgeNoAuth === undefined) {
      throw new McpFargateError(
        'MCPF_CDK_PUBLIC_ACCESS_NOT_ACKNOWLEDGED',
        `${at('auth')} is 'none' on an internet-facing load balancer: anyone who reaches it can call every tool, and whatever the hosted ` +
          "server's credentials and network reach (an allowlist does not change that: an agent platform's egress addresses serve all its " +
          "tenants). Choose mode 'keys' or 'oauth', make the load balancer internal, or set auth.acknowledgeNoAuth to a sentence saying why it is acceptable",
      );
    }
    return { mode: 'none', environment: { [GATEWAY_ENV.authMode]: 'none' }, secrets: {}, acknowledgeNoAuth: none.acknowledgeNoAuth };
  }
  if (mode === 'keys') {
    const keys = auth as McpKeysAuth;
    if (keys.keysSecret === undefined) {
      throw new McpFargateError('MCPF_CDK_AUTH_INVALID', `${at('auth.keysSecret')} is required with mode 'keys': the secret holding the keys`);
    }
    const header = keys.header ?? DEFAULTS.authHeader;
    validateAuthHeader(at('auth.header'), header);
    return {
      mode: 'keys',
      environment: { [GATEWAY_ENV.authMode]: 'keys', [GATEWAY_ENV.authHeader]: header.toLowerCase() },
      secrets: { [GATEWAY_ENV.authKeys]: keys.keysSecret },
    };
  }
  if (mode === 'oauth') {
    if (ctx.insecureHttp || ctx.audience === undefined) {
      throw new McpFargateError(
        'MCPF_CDK_AUTH_INVALID',
        `${at('auth')} is 'oauth', which needs the HTTPS MCP URL as the tokens' audience (RFC 8707), and MCP clients refuse OAuth over plain ` +
          "HTTP; insecureHttpForTesting has neither. Use mode 'keys' for such a test",
      );
    }
    const audience = ctx.audience;
    if ('cognito' in auth) {
      const options = auth.cognito ?? {};
      const scopes = options.scopes ?? [DEFAULTS.cognitoScope];
      if (scopes.length === 0)
        throw new McpFargateError('MCPF_CDK_AUTH_INVALID', `${at('auth.cognito.scopes')} is empty; the client-credentials grant needs a scope`);
      for (const [i, scope] of scopes.entries()) {
        if (!COGNITO_SCOPE.test(scope)) {
          throw new McpFargateError(
            'MCPF_CDK_AUTH_INVALID',
            `${at(`auth.cognito.scopes[${i}]`)} must be 1 to 256 printable characters without spaces, " or \\ (a Cognito scope name), got ${show(scope)}`,
          );
        }
      }
      if (options.domainPrefix !== undefined) validateDomainPrefix(at('auth.cognito.domainPrefix'), options.domainPrefix);
      return {
        mode: 'oauth',
        // OAUTH_ISSUER and OAUTH_JWKS_URL come from the user pool, once it exists (createCognitoAuth).
        environment: {
          [GATEWAY_ENV.authMode]: 'oauth',
          [GATEWAY_ENV.oauthAudience]: audience,
          [GATEWAY_ENV.oauthScopes]: scopes.map((scope) => `${audience}/${scope}`).join(' '),
          // Cognito signs its tokens with RS256.
          [GATEWAY_ENV.oauthAlgorithms]: 'RS256',
        },
        secrets: {},
        cognito: { domainPrefix: options.domainPrefix, scopes, audience },
      };
    }
    const oauth = auth as McpOAuthAuth;
    validateHttpsUrl(at('auth.issuer'), oauth.issuer, true);
    if (oauth.jwksUrl !== undefined) validateHttpsUrl(at('auth.jwksUrl'), oauth.jwksUrl, false);
    const scopes = oauth.scopes ?? [];
    for (const [i, scope] of scopes.entries()) {
      if (typeof scope !== 'string' || !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope)) {
        throw new McpFargateError(
          'MCPF_CDK_AUTH_INVALID',
          `${at(`auth.scopes[${i}]`)} must be a scope token (RFC 6749: no spaces, " or \\), got ${show(scope)}`,
        );
      }
    }
    const algorithms = oauth.algorithms ?? [];
    for (const [i, algorithm] of algorithms.entries()) {
      if (!ASYMMETRIC_ALGORITHMS.includes(algorithm)) {
        throw new McpFargateError(
          'MCPF_CDK_AUTH_INVALID',
          `${at(`auth.algorithms[${i}]`)} must be one of ${ASYMMETRIC_ALGORITHMS.join(', ')} (never none, never HMAC), got ${show(algorithm)}`,
        );
      }
    }
    return {
      mode: 'oauth',
      environment: {
        [GATEWAY_ENV.authMode]: 'oauth',
        [GATEWAY_ENV.oauthIssuer]: oauth.issuer,
        ...(oauth.jwksUrl === undefined ? {} : { [GATEWAY_ENV.oauthJwksUrl]: oauth.jwksUrl }),
        [GATEWAY_ENV.oauthAudience]: audience,
        ...(scopes.length === 0 ? {} : { [GATEWAY_ENV.oauthScopes]: scopes.join(' ') }),
        ...(algorithms.length === 0 ? {} : { [GATEWAY_ENV.oauthAlgorithms]: algorithms.join(',') }),
      },
      secrets: {},
    };
  }
  throw new McpFargateError('MCPF_CDK_CHOICE_INVALID', `${at('auth.mode')} must be 'keys', 'oauth' or 'none', got ${show(mode)}`);
}

/** "In so many words": a sentence, not a checkbox. */
export function validateAcknowledgement(field: string, value: unknown): void {
  const words =
    typeof value === 'string'
      ? value
          .trim()
          .split(/\s+/)
          .filter((w) => /\p{L}/u.test(w))
      : [];
  if (typeof value !== 'string' || words.length < 4 || value.trim().length < 20) {
    throw new McpFargateError(
      'MCPF_CDK_AUTH_INVALID',
      `${field} must say in a sentence why an MCP anyone can call is acceptable here (such as "The demo server holds no data and no ` +
        `credentials"), got ${show(value)}`,
    );
  }
}

/** A header a key can travel in. */
export function validateAuthHeader(field: string, header: unknown): void {
  if (typeof header !== 'string' || !HEADER_NAME.test(header.toLowerCase()) || RESERVED_HEADERS.has(header.toLowerCase())) {
    throw new McpFargateError(
      'MCPF_CDK_AUTH_INVALID',
      `${field} must be an HTTP header name that neither HTTP, the load balancer nor MCP uses for something else (authorization, x-api-key, ` +
        `x-sema4ai-auth, ...), got ${show(header)}`,
    );
  }
}

export function validateDomainPrefix(field: string, prefix: unknown): void {
  if (typeof prefix !== 'string' || !DOMAIN_PREFIX.test(prefix) || /aws|amazon|cognito/.test(prefix)) {
    throw new McpFargateError(
      'MCPF_CDK_AUTH_INVALID',
      `${field} must be 1 to 63 lowercase letters, digits and hyphens, not starting or ending with a hyphen and without aws, amazon or ` +
        `cognito (Cognito's rules), got ${show(prefix)}`,
    );
  }
}

/** An https:// URL; an issuer identifier has no query or fragment (RFC 8414). */
export function validateHttpsUrl(field: string, value: unknown, issuer: boolean): void {
  if (typeof value === 'string' && Token.isUnresolved(value)) return;
  let url: URL | undefined;
  try {
    url = new URL(String(value));
  } catch {
    url = undefined;
  }
  if (typeof value !== 'string' || url === undefined || url.protocol !== 'https:' || (issuer && (url.search !== '' || url.hash !== ''))) {
    throw new McpFargateError(
      'MCPF_CDK_AUTH_INVALID',
      `${field} must be an https:// URL${issuer ? ' without query or fragment (an issuer identifier)' : ''}, got ${show(value)}`,
    );
  }
}

/** The Cognito pieces the construct creates, and the gateway's variables that name them. */
export interface CognitoAuth {
  readonly userPool: cognito.UserPool;
  readonly resourceServer: cognito.UserPoolResourceServer;
  readonly client: cognito.UserPoolClient;
  readonly domain: cognito.UserPoolDomain;
  /** `https://cognito-idp.<region>.amazonaws.com/<pool id>`: the `iss` of its tokens. */
  readonly issuer: string;
  /** Where agents get tokens (client-credentials grant). */
  readonly tokenUrl: string;
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * A user pool that serves machines only: no sign-up, no users, one confidential app client allowed the
 * client-credentials grant for the resource server's scopes. Its access tokens carry `client_id` and `scope` (each
 * `<MCP URL>/<name>`) but no `aud`. It keeps the load balancer's deletion protection.
 */
export function createCognitoAuth(scope: Construct, options: NonNullable<ResolvedAuth['cognito']>, deletionProtection: boolean): CognitoAuth {
  const userPool = new cognito.UserPool(scope, 'AuthUserPool', {
    selfSignUpEnabled: false,
    accountRecovery: cognito.AccountRecovery.NONE,
    // No user ever signs in (the only client uses client credentials); these hold if someone adds users by hand.
    passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true },
    mfa: cognito.Mfa.REQUIRED,
    mfaSecondFactor: { sms: false, otp: true },
    featurePlan: cognito.FeaturePlan.ESSENTIALS,
    deletionProtection,
    removalPolicy: deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  });
  Validations.of(userPool).acknowledge({
    id: 'AwsSolutions::AwsSolutions-COG8',
    reason:
      'No user signs in to this pool: self sign-up is off, the stack creates no users, and its only app client is a confidential ' +
      'client allowed the client-credentials grant alone, with no sign-in flow. The Plus plan protects user sign-ins, which never happen here.',
  });
  const scopes = options.scopes.map((name) => new cognito.ResourceServerScope({ scopeName: name, scopeDescription: `MCP ${name}` }));
  const resourceServer = new cognito.UserPoolResourceServer(scope, 'AuthResourceServer', {
    userPool,
    // RFC 8707: the canonical MCP URL names the resource; Cognito prefixes every scope with it.
    identifier: options.audience,
    // A display name; it may not hold the URL's colon and slashes.
    userPoolResourceServerName: 'MCP server',
    scopes,
  });
  const client = new cognito.UserPoolClient(scope, 'AuthClient', {
    userPool,
    generateSecret: true,
    oAuth: {
      flows: { clientCredentials: true },
      scopes: scopes.map((s) => cognito.OAuthScope.resourceServer(resourceServer, s)),
    },
    preventUserExistenceErrors: true,
  });
  // No sign-in flow at all (left out, Cognito would allow SRP and custom auth): refresh is the one flow Cognito
  // requires, and the client-credentials grant issues no refresh token.
  (client.node.defaultChild as cognito.CfnUserPoolClient).explicitAuthFlows = ['ALLOW_REFRESH_TOKEN_AUTH'];
  const domain = new cognito.UserPoolDomain(scope, 'AuthDomain', {
    userPool,
    cognitoDomain: {
      // The stack id's UUID: unique in the region across all accounts, and stable for the stack's life.
      domainPrefix: options.domainPrefix ?? Fn.join('-', ['mcp', Fn.select(2, Fn.split('/', Aws.STACK_ID))]),
    },
  });
  const issuer = `https://cognito-idp.${Stack.of(scope).region}.amazonaws.com/${userPool.userPoolId}`;
  return {
    userPool,
    resourceServer,
    client,
    domain,
    issuer,
    tokenUrl: `${domain.baseUrl()}/oauth2/token`,
    environment: { [GATEWAY_ENV.oauthIssuer]: issuer, [GATEWAY_ENV.oauthJwksUrl]: `${issuer}/.well-known/jwks.json` },
  };
}

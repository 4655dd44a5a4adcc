import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

/**
 * A minimal OAuth 2.1 authorization server on loopback, made of jose's own
 * parts: signing keys, their JWKS (its fetches counted), RFC 8414 and OpenID
 * discovery metadata, and a token endpoint for the client_credentials grant.
 */
export interface AuthServer {
  readonly issuer: string;
  readonly jwksUrl: string;
  /** Times the JWKS was fetched. */
  readonly jwksFetches: () => number;
  /** A token signed with the server's RS256 key (kid `rs`), valid for 5 minutes unless the claims say otherwise. */
  sign(claims: JWTPayload, options?: { kid?: string; key?: CryptoKey; alg?: string }): Promise<string>;
  /** A second key pair, never published: tokens signed with it must be refused. */
  readonly strangerKey: CryptoKey;
  readonly publicJwk: JWK;
  close(): Promise<void>;
}

export interface AuthServerOptions {
  /** The `aud` of tokens from the token endpoint: the `resource` the client asked for (RFC 8707), or this. */
  readonly audience?: string;
  /** The scope of tokens from the token endpoint. @default what the client asked for */
  readonly scope?: string;
  /** client_id -> client_secret accepted at the token endpoint. */
  readonly clients?: Readonly<Record<string, string>>;
}

export async function startAuthServer(options: AuthServerOptions = {}): Promise<AuthServer> {
  const rs = await generateKeyPair('RS256', { extractable: true });
  const es = await generateKeyPair('ES256', { extractable: true });
  const stranger = await generateKeyPair('RS256', { extractable: true });
  const rsJwk = { ...(await exportJWK(rs.publicKey)), kid: 'rs', alg: 'RS256', use: 'sig' };
  const esJwk = { ...(await exportJWK(es.publicKey)), kid: 'es', alg: 'ES256', use: 'sig' };
  let fetches = 0;
  let issuer = '';
  const sign = async (claims: JWTPayload, signing: { kid?: string; key?: CryptoKey; alg?: string } = {}): Promise<string> => {
    const alg = signing.alg ?? 'RS256';
    const key = signing.key ?? (alg === 'ES256' ? es.privateKey : rs.privateKey);
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: issuer, iat: now, exp: now + 300, ...claims })
      .setProtectedHeader({ alg, kid: signing.kid ?? (alg === 'ES256' ? 'es' : 'rs') })
      .sign(key);
  };
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    };
    if (path === '/jwks') {
      fetches += 1;
      return json(200, { keys: [rsJwk, esJwk] });
    }
    if (path === '/.well-known/oauth-authorization-server' || path === '/.well-known/openid-configuration') {
      return json(200, {
        issuer,
        jwks_uri: `${issuer}/jwks`,
        token_endpoint: `${issuer}/token`,
        authorization_endpoint: `${issuer}/authorize`,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (path === '/token' && req.method === 'POST') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        body += chunk;
      });
      req.on('end', () => {
        const form = new URLSearchParams(body);
        let clientId = form.get('client_id') ?? '';
        let secret = form.get('client_secret') ?? '';
        const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
        if (basic !== null) {
          const [id, pass] = Buffer.from(basic[1] as string, 'base64')
            .toString('utf8')
            .split(':');
          clientId = decodeURIComponent(id ?? '');
          secret = decodeURIComponent(pass ?? '');
        }
        if (form.get('grant_type') !== 'client_credentials') return json(400, { error: 'unsupported_grant_type' });
        if (options.clients?.[clientId] === undefined || options.clients[clientId] !== secret) return json(401, { error: 'invalid_client' });
        const scope = options.scope ?? form.get('scope') ?? '';
        const audience = form.get('resource') ?? options.audience;
        void sign({ sub: clientId, client_id: clientId, scope, ...(audience === undefined ? {} : { aud: audience }) }).then((token) =>
          json(200, { access_token: token, token_type: 'Bearer', expires_in: 300, scope }),
        );
      });
      return;
    }
    json(404, { error: 'not_found' });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    jwksFetches: () => fetches,
    sign,
    strangerKey: stranger.privateKey,
    publicJwk: rsJwk,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** An unsigned JWT (`alg: none`), built by hand since no library will make one. */
export function unsignedToken(claims: JWTPayload): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { ClientCredentialsProvider, Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { McpServer } from '@modelcontextprotocol/server';
import { SignJWT } from 'jose';
import { type AuthServer, startAuthServer, unsignedToken } from './auth-server.js';
import { startRedis } from './redis-server.js';
import { internalsOf } from '../src/gateway.js';
import {
  eventually,
  freePort,
  LEGACY_HEADERS,
  modernRequest,
  type RpcMessage,
  rpcMessages,
  sseMessages,
  startTestGateway,
  type TestGateway,
} from './harness.js';

const AUDIENCE = 'https://mcp.example.com/mcp';
const SCOPE = 'mcp:tools';

/** A hosted server whose one tool answers with what its handler was told about the caller. */
function whoamiServer(): McpServer {
  const server = new McpServer({ name: 'whoami', version: '1' });
  server.registerTool('whoami', { description: 'the caller, as the handler sees it' }, (ctx) => {
    const info = ctx.http?.authInfo;
    const seen = info === undefined ? null : { clientId: info.clientId, scopes: info.scopes, sub: info.extra?.['sub'], hasToken: info.token !== '' };
    return { content: [{ type: 'text', text: JSON.stringify(seen) }] };
  });
  return server;
}

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'auth-test', version: '1' } },
});

/** A legacy `initialize` with `headers` added. */
function initialize(url: string, headers: Record<string, string>): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { ...LEGACY_HEADERS, ...headers }, body: INITIALIZE });
}

/** A 2026-07-28 `tools/call whoami` with `headers` added. */
function modernWhoami(url: string, headers: Record<string, string>): Promise<Response> {
  const request = modernRequest(1, 'tools/call', { name: 'whoami', arguments: {} }, 'whoami');
  return fetch(url, { method: 'POST', headers: { ...request.headers, ...headers }, body: request.body });
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** The text of the tool result in a response (JSON or SSE). */
async function toolText(response: Response): Promise<string> {
  const messages = await rpcMessages(response);
  const answer = messages.find((message) => message.result !== undefined || message.error !== undefined) as RpcMessage;
  assert.ok(answer.result !== undefined, `expected a result, got ${JSON.stringify(answer)}`);
  return ((answer.result['content'] as { text: string }[])[0] as { text: string }).text;
}

/** A legacy session for `headers`: initialize, initialized; returns its id. */
async function session(url: string, headers: Record<string, string>): Promise<string> {
  const response = await initialize(url, headers);
  await response.text();
  const id = response.headers.get('mcp-session-id');
  assert.equal(response.status, 200);
  assert.ok(id !== null);
  const initialized = await fetch(url, {
    method: 'POST',
    headers: { ...LEGACY_HEADERS, ...headers, 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  assert.equal(initialized.status, 202);
  return id;
}

function legacyCall(url: string, id: string, headers: Record<string, string>, name = 'whoami'): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { ...LEGACY_HEADERS, ...headers, 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name, arguments: {} } }),
  });
}

describe('oauth: the auth matrix with real tokens from a loopback authorization server', () => {
  let as: AuthServer;
  let gw: TestGateway;
  before(async () => {
    as = await startAuthServer();
    gw = await startTestGateway({ AUTH_MODE: 'oauth', OAUTH_ISSUER: as.issuer, OAUTH_AUDIENCE: AUDIENCE, OAUTH_SCOPES: SCOPE }, { factory: whoamiServer });
  });
  after(async () => {
    await gw.close();
    await as.close();
  });

  const now = (): number => Math.floor(Date.now() / 1000);
  const valid = { sub: 'user-1', client_id: 'agent-1', aud: AUDIENCE, scope: `${SCOPE} other` };
  const cases: { name: string; headers: () => Promise<Record<string, string>>; query?: string; status: number; challenge?: RegExp }[] = [
    {
      name: 'no token',
      headers: async () => ({}),
      status: 401,
      challenge: /^Bearer realm="mcp", resource_metadata="https:\/\/mcp\.example\.com\/\.well-known\/oauth-protected-resource\/mcp"$/,
    },
    {
      name: 'a token signed by another key under the same kid',
      headers: async () => bearer(await as.sign(valid, { key: as.strangerKey })),
      status: 401,
      challenge: /error="invalid_token"/,
    },
    {
      name: 'a token signed by a key of unknown kid',
      headers: async () => bearer(await as.sign(valid, { key: as.strangerKey, kid: 'unknown' })),
      status: 401,
      challenge: /error="invalid_token"/,
    },
    {
      name: 'an expired token (past the 30 s leeway)',
      headers: async () => bearer(await as.sign({ ...valid, exp: now() - 120 })),
      status: 401,
      challenge: /expired/,
    },
    { name: 'a token not yet valid', headers: async () => bearer(await as.sign({ ...valid, nbf: now() + 120 })), status: 401, challenge: /not valid yet/ },
    {
      name: 'a token from another issuer',
      headers: async () => bearer(await as.sign({ ...valid, iss: 'https://evil.example.com' })),
      status: 401,
      challenge: /iss claim/,
    },
    {
      name: 'a token for another audience',
      headers: async () => bearer(await as.sign({ ...valid, aud: 'https://other.example.com/mcp' })),
      status: 401,
      challenge: /aud claim/,
    },
    {
      name: 'a token without aud (and scopes that do not name the resource)',
      headers: async () => bearer(await as.sign({ ...valid, aud: undefined })),
      status: 401,
    },
    {
      name: 'HS256 with the public key as the secret',
      headers: async () => {
        const secret = new TextEncoder().encode(JSON.stringify(as.publicJwk));
        return bearer(await new SignJWT({ ...valid, iss: as.issuer, exp: now() + 300 }).setProtectedHeader({ alg: 'HS256', kid: 'rs' }).sign(secret));
      },
      status: 401,
      challenge: /algorithm/,
    },
    {
      name: 'alg none',
      headers: async () => bearer(unsignedToken({ ...valid, iss: as.issuer, exp: now() + 300 })),
      status: 401,
      challenge: /error="invalid_token"/,
    },
    {
      name: 'a token without the required scope',
      headers: async () => bearer(await as.sign({ ...valid, scope: 'other' })),
      status: 403,
      challenge: /error="insufficient_scope", scope="mcp:tools"/,
    },
    { name: 'a valid token in the query string', headers: async () => bearer(await as.sign(valid)), query: `?access_token=${'x'.repeat(20)}`, status: 400 },
    { name: 'a valid RS256 token', headers: async () => bearer(await as.sign(valid)), status: 200 },
    { name: 'a valid ES256 token', headers: async () => bearer(await as.sign(valid, { alg: 'ES256' })), status: 200 },
  ];
  for (const era of ['legacy', 'modern'] as const) {
    for (const { name, headers, query, status, challenge } of cases) {
      it(`${era}: ${name} -> ${status}`, async () => {
        const url = `${gw.url}${query ?? ''}`;
        const response = era === 'legacy' ? await initialize(url, await headers()) : await modernWhoami(url, await headers());
        const body = await response.text();
        assert.equal(response.status, status, body);
        if (status === 200) return;
        const error = (JSON.parse(body) as RpcMessage).error;
        assert.ok(error !== undefined);
        assert.equal(error.code, -32000);
        if (status === 401) assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer realm="mcp", resource_metadata="/);
        if (challenge !== undefined) assert.match(response.headers.get('www-authenticate') ?? '', challenge);
      });
    }
  }

  it('hands the caller to the in-process handlers as authInfo, in both eras', async () => {
    const headers = bearer(await as.sign(valid));
    const expected = { clientId: 'agent-1', scopes: [SCOPE, 'other'], sub: 'user-1', hasToken: true };
    assert.deepEqual(JSON.parse(await toolText(await modernWhoami(gw.url, headers))), expected);
    const id = await session(gw.url, headers);
    assert.deepEqual(JSON.parse(await toolText(await legacyCall(gw.url, id, headers))), expected);
  });

  it('protects GET and DELETE too, and keeps /healthz open', async () => {
    assert.equal((await fetch(gw.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': 'x' } })).status, 401);
    assert.equal((await fetch(gw.url, { method: 'DELETE', headers: { 'mcp-session-id': 'x' } })).status, 401);
    assert.equal((await fetch(new URL('/healthz', gw.url))).status, 200);
  });

  it('serves RFC 9728 metadata, bare and path-suffixed, without credentials', async () => {
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const response = await fetch(new URL(path, gw.url));
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), {
        resource: AUDIENCE,
        authorization_servers: [as.issuer],
        scopes_supported: [SCOPE],
        bearer_methods_supported: ['header'],
      });
    }
    assert.equal((await fetch(new URL('/.well-known/oauth-protected-resource/nothing/mcp', gw.url))).status, 404);
  });
});

describe('oauth: Amazon Cognito access tokens (no aud, resource-server scopes)', () => {
  it('accepts a token without aud only when every required scope names the audience', async (t) => {
    const as = await startAuthServer();
    t.after(() => as.close());
    const cognitoScope = `${AUDIENCE}/invoke`;
    const gw = await startTestGateway(
      { AUTH_MODE: 'oauth', OAUTH_JWKS_URL: as.jwksUrl, OAUTH_ISSUER: as.issuer, OAUTH_AUDIENCE: AUDIENCE, OAUTH_SCOPES: cognitoScope },
      { factory: whoamiServer },
    );
    t.after(() => gw.close());
    const cognito = { sub: 'c1', client_id: 'app-client', token_use: 'access', scope: cognitoScope };
    assert.equal((await modernWhoami(gw.url, bearer(await as.sign(cognito)))).status, 200);
    assert.equal((await modernWhoami(gw.url, bearer(await as.sign({ ...cognito, scope: 'openid' })))).status, 403);
    assert.equal((await modernWhoami(gw.url, bearer(await as.sign({ ...cognito, aud: 'https://elsewhere.example.com/mcp' })))).status, 401);
  });
});

describe('oauth: a flood of bad tokens', () => {
  it('does not fetch the JWKS per request, and valid clients carry on', async (t) => {
    const as = await startAuthServer();
    t.after(() => as.close());
    const gw = await startTestGateway(
      { AUTH_MODE: 'oauth', OAUTH_JWKS_URL: as.jwksUrl, OAUTH_ISSUER: as.issuer, OAUTH_AUDIENCE: AUDIENCE },
      { factory: whoamiServer },
    );
    t.after(() => gw.close());
    const good = bearer(await as.sign({ sub: 'u', aud: AUDIENCE }));
    assert.equal((await modernWhoami(gw.url, good)).status, 200);
    const bad = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        as.sign({ sub: 'u', aud: AUDIENCE }, { key: as.strangerKey, kid: i % 2 === 0 ? randomBytes(8).toString('hex') : 'rs' }),
      ),
    );
    for (let i = 0; i < bad.length; i += 25) {
      const statuses = await Promise.all(bad.slice(i, i + 25).map(async (token) => (await modernWhoami(gw.url, bearer(token))).status));
      assert.deepEqual(new Set(statuses), new Set([401]));
    }
    assert.equal((await modernWhoami(gw.url, good)).status, 200);
    // One fetch to start, at most one more for the first unknown kid; the 30 s cooldown covers the rest.
    assert.ok(as.jwksFetches() <= 2, `the JWKS was fetched ${as.jwksFetches()} times for 200 bad tokens`);
  });
});

describe('oauth: an issuer whose keys cannot be fetched', () => {
  it('answers 503 with Retry-After (never 401), and does not retry the discovery per request', async (t) => {
    const as = await startAuthServer();
    t.after(() => as.close());
    // An issuer whose metadata answers 500: the gateway cannot learn its JWKS.
    let metadataHits = 0;
    const broken = createServer((_req, res) => {
      metadataHits += 1;
      res.writeHead(500).end();
    });
    broken.listen(0, '127.0.0.1');
    await once(broken, 'listening');
    t.after(() => broken.close());
    const issuer = `http://127.0.0.1:${(broken.address() as { port: number }).port}`;
    const gw = await startTestGateway({ AUTH_MODE: 'oauth', OAUTH_ISSUER: issuer, OAUTH_AUDIENCE: AUDIENCE }, { factory: whoamiServer });
    t.after(() => gw.close());
    const token = await as.sign({ sub: 'u', aud: AUDIENCE, iss: issuer });
    const response = await modernWhoami(gw.url, bearer(token));
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '5');
    assert.deepEqual(((await response.json()) as RpcMessage).error?.data, { code: 'AUTH_UNAVAILABLE' });
    const afterFirst = metadataHits;
    assert.ok(afterFirst >= 1 && afterFirst <= 3, `the discovery tried ${afterFirst} metadata URLs`);
    for (let i = 0; i < 10; i++) assert.equal((await modernWhoami(gw.url, bearer(token))).status, 503);
    assert.equal(metadataHits, afterFirst, 'within the cooldown no request fetches the metadata again');
  });
});

describe('oauth: the official SDK v2 client with its client-credentials provider', () => {
  it('discovers the authorization server from the 401, gets a token, and calls a tool', async (t) => {
    const port = await freePort();
    const resource = `http://127.0.0.1:${port}/mcp`;
    const as = await startAuthServer({ clients: { 'agent-42': 's3cret' } });
    t.after(() => as.close());
    const gw = await startTestGateway(
      { PORT: String(port), AUTH_MODE: 'oauth', OAUTH_ISSUER: as.issuer, OAUTH_AUDIENCE: resource, OAUTH_SCOPES: SCOPE },
      { factory: whoamiServer },
    );
    t.after(() => gw.close());
    for (const era of ['legacy', 'modern'] as const) {
      const provider = new ClientCredentialsProvider({ clientId: 'agent-42', clientSecret: 's3cret', scope: SCOPE, expectedIssuer: as.issuer });
      const client = new Client({ name: 'cc-client', version: '1' }, era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {});
      await client.connect(new StreamableHTTPClientTransport(new URL(resource), { authProvider: provider }));
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      const seen = JSON.parse((result.content as { text: string }[])[0]?.text ?? 'null') as { clientId: string; scopes: string[] };
      assert.equal(seen.clientId, 'agent-42', era);
      assert.deepEqual(seen.scopes, [SCOPE]);
      await client.close();
    }
  });
});

describe('keys', () => {
  it('takes the key as Authorization: Bearer by default, with a Bearer challenge', async (t) => {
    const gw = await startTestGateway({ AUTH_MODE: 'keys', AUTH_KEYS: 'k-one' }, { factory: whoamiServer });
    t.after(() => gw.close());
    const missing = await initialize(gw.url, {});
    assert.equal(missing.status, 401);
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="mcp"');
    assert.deepEqual(((await missing.json()) as RpcMessage).error?.data, { code: 'AUTH_REQUIRED' });
    const wrong = await initialize(gw.url, bearer('k-two'));
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('www-authenticate'), 'Bearer realm="mcp", error="invalid_token"');
    assert.doesNotMatch(await wrong.text(), /k-two/);
    assert.equal((await initialize(gw.url, bearer('k-one'))).status, 200);
    assert.equal((await initialize(`${gw.url}?key=k-one`, bearer('k-one'))).status, 400);
  });

  it('takes the key verbatim in a custom header (X-Sema4ai-Auth), in both eras', async (t) => {
    const gw = await startTestGateway({ AUTH_MODE: 'keys', AUTH_KEYS: 'sema-1\nsema-2', AUTH_HEADER: 'X-Sema4ai-Auth' }, { factory: whoamiServer });
    t.after(() => gw.close());
    const missing = await modernWhoami(gw.url, bearer('sema-1'));
    assert.equal(missing.status, 401, 'the key in another header does not count');
    assert.equal(missing.headers.get('www-authenticate'), 'ApiKey realm="mcp", header="x-sema4ai-auth"');
    assert.equal((await modernWhoami(gw.url, { 'x-sema4ai-auth': 'sema-3' })).status, 401);
    const seen = JSON.parse(await toolText(await modernWhoami(gw.url, { 'x-sema4ai-auth': 'sema-2' }))) as { clientId: string };
    assert.match(seen.clientId, /^key-[\w-]{8}$/);
    const id = await session(gw.url, { 'x-sema4ai-auth': 'sema-1' });
    assert.equal((await legacyCall(gw.url, id, { 'x-sema4ai-auth': 'sema-1' })).status, 200);
    assert.equal((await legacyCall(gw.url, id, {})).status, 401);
  });

  it('rotates: both keys while rotating, then a restart with only the new one refuses the old', async () => {
    const rotating = await startTestGateway({ AUTH_MODE: 'keys', AUTH_KEYS: 'old-key, new-key', AUTH_HEADER: 'X-Api-Key' }, { factory: whoamiServer });
    try {
      assert.equal((await modernWhoami(rotating.url, { 'x-api-key': 'old-key' })).status, 200);
      assert.equal((await modernWhoami(rotating.url, { 'x-api-key': 'new-key' })).status, 200);
    } finally {
      await rotating.close();
    }
    const rotated = await startTestGateway({ AUTH_MODE: 'keys', AUTH_KEYS: 'new-key', AUTH_HEADER: 'X-Api-Key' }, { factory: whoamiServer });
    try {
      assert.equal((await modernWhoami(rotated.url, { 'x-api-key': 'old-key' })).status, 401);
      assert.equal((await modernWhoami(rotated.url, { 'x-api-key': 'new-key' })).status, 200);
    } finally {
      await rotated.close();
    }
  });
});

describe('session binding', () => {
  it("answers another principal's use of a session id with 404, on POST, GET, DELETE and resume", async (t) => {
    const gw = await startTestGateway({ AUTH_MODE: 'keys', AUTH_KEYS: 'key-a,key-b,key-c', AUTH_HEADER: 'X-Api-Key' });
    t.after(() => gw.close());
    const principals: Record<string, string>[] = ['key-a', 'key-b', 'key-c'].map((key) => ({ 'x-api-key': key }));
    // Several concurrent sessions per principal.
    const sessions = await Promise.all(principals.flatMap((headers) => [0, 1, 2].map(async () => ({ headers, id: await session(gw.url, headers) }))));
    const [a, b] = principals as [Record<string, string>, Record<string, string>];
    const ofA = sessions.filter((s) => s.headers === a).map((s) => s.id);
    const first = ofA[0] as string;
    // A reply in A's session cut after its first event, so A has a stream to resume.
    const listed = await fetch(gw.url, {
      method: 'POST',
      headers: { ...LEGACY_HEADERS, ...a, 'mcp-session-id': first, 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'test_tool_with_progress', arguments: {}, _meta: { progressToken: 'p' } },
      }),
    });
    assert.equal(listed.status, 200);
    const reader = (listed.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!/id: [\w-]+\.\d+\.[1-9]\d*\n[\s\S]*?\n\n/.test(text)) {
      const { value, done } = await reader.read();
      assert.equal(done, false, 'the stream ended before its first event');
      text += Buffer.from(value).toString('utf8');
    }
    await reader.cancel();
    const eventId = sseMessages(text.slice(0, text.lastIndexOf('\n\n') + 2)).at(-1)?.id;
    assert.ok(eventId !== undefined, 'the reply carries an event id');
    await eventually(() => internalsOf(gw.gateway).sessions.pendingRequests === 0, 'the tool call to finish');
    const as = (headers: Record<string, string>, extra: Record<string, string> = {}) => ({
      ...headers,
      'mcp-session-id': first,
      'mcp-protocol-version': '2025-11-25',
      ...extra,
    });

    for (const id of ofA) {
      const post = await legacyCall(gw.url, id, b, 'echo');
      assert.equal(post.status, 404);
      assert.equal((JSON.parse(await post.text()) as RpcMessage).error?.code, -32001);
    }
    const stream = await fetch(gw.url, { headers: as(b, { accept: 'text/event-stream' }) });
    assert.equal(stream.status, 404);
    await stream.text();
    const resume = await fetch(gw.url, { headers: as(b, { accept: 'text/event-stream', 'last-event-id': eventId }) });
    assert.equal(resume.status, 404);
    await resume.text();
    const deleted = await fetch(gw.url, { method: 'DELETE', headers: as(b) });
    assert.equal(deleted.status, 404);

    // A's sessions are untouched by all of it: A resumes, calls, and ends its own.
    const resumedByA = await fetch(gw.url, { headers: as(a, { accept: 'text/event-stream', 'last-event-id': eventId }) });
    assert.equal(resumedByA.status, 200);
    assert.ok(
      sseMessages(await resumedByA.text()).some((event) => (event.data as RpcMessage).id === 7),
      'A gets the rest of its reply',
    );
    for (const { headers, id } of sessions) {
      const own = await fetch(gw.url, {
        method: 'POST',
        headers: { ...LEGACY_HEADERS, ...headers, 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'ping' }),
      });
      assert.equal(own.status, 200);
      await own.text();
    }
    assert.equal((await fetch(gw.url, { method: 'DELETE', headers: as(a) })).status, 200);
  });
});

describe('session binding across tasks (the Redis store)', () => {
  it('binds a session to the same principal on every task, and hides it from others there too', async (t) => {
    const redis = await startRedis();
    t.after(() => redis.close());
    const env = { AUTH_MODE: 'keys', AUTH_KEYS: 'key-a,key-b', SESSION_STORE: 'redis', REDIS_URL: redis.url };
    const first = await startTestGateway(env);
    t.after(() => first.close());
    const second = await startTestGateway(env);
    t.after(() => second.close());
    const id = await session(first.url, bearer('key-a'));
    const ping = (url: string, key: string) =>
      fetch(url, {
        method: 'POST',
        headers: { ...LEGACY_HEADERS, ...bearer(key), 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'ping' }),
      }).then((response) => response.status);
    assert.equal(await ping(second.url, 'key-a'), 200, 'the creator finds its session on another task');
    assert.equal(await ping(second.url, 'key-b'), 404);
    assert.equal(await ping(first.url, 'key-b'), 404);
  });
});

describe('per-server auth, and what reaches an upstream server', () => {
  it('gives each MCP_SERVERS entry its own auth, and never forwards the caller’s credentials upstream', async (t) => {
    // The upstream is another gateway logging every request's headers (authorization redacted, but present if sent).
    const upstream = await startTestGateway({ LOG_LEVEL: 'debug' });
    t.after(() => upstream.close());
    const servers = {
      open: { url: upstream.url, auth: { mode: 'none' } },
      team: { url: upstream.url, auth: { mode: 'keys', keys: `\${TEAM_KEYS}`, header: 'X-Gate' } },
      main: { url: upstream.url, default: true },
    };
    const gw = await startTestGateway({ AUTH_MODE: 'keys', AUTH_KEYS: 'main-key', TEAM_KEYS: 'team-key-1,team-key-2', MCP_SERVERS: JSON.stringify(servers) });
    t.after(() => gw.close());
    const at = (path: string): string => gw.url.replace(/\/mcp$/, path);
    const team = { 'x-gate': 'team-key-2' };
    const main = bearer('main-key');
    const cases: [string, Record<string, string>, number][] = [
      ['/open/mcp', {}, 200],
      ['/team/mcp', {}, 401],
      ['/team/mcp', main, 401],
      ['/team/mcp', team, 200],
      ['/main/mcp', team, 401],
      ['/main/mcp', main, 200],
      ['/mcp', {}, 401],
      ['/mcp', main, 200],
    ];
    for (const [path, headers, status] of cases) {
      const response = await initialize(at(path), headers);
      await response.text();
      assert.equal(response.status, status, `${path} with ${Object.keys(headers).join(',') || 'nothing'}`);
    }
    const id = await session(at('/team/mcp'), team);
    assert.equal((await legacyCall(at('/team/mcp'), id, team, 'echo')).status, 200);
    const seenUpstream = upstream.logs();
    assert.match(seenUpstream, /"mcpMethod":"tools\/call"/, 'the upstream served the calls');
    assert.doesNotMatch(seenUpstream, /"authorization"|"x-gate"|main-key|team-key/, 'no inbound credential reached the upstream');
  });
});

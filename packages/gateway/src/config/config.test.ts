import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, configWarnings, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has the documented defaults and is frozen', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.host, '0.0.0.0');
    assert.deepEqual(config.servers, [{ name: 'default', isDefault: true, paths: ['/mcp'], source: { kind: 'demo' }, limits: {}, auth: { mode: 'none' } }]);
    assert.equal(config.sessionStore, 'memory');
    assert.equal(config.keepAliveTimeoutMs, 125_000);
    assert.equal(config.headersTimeoutMs, 20_000);
    assert.equal(config.requestTimeoutMs, 60_000);
    assert.equal(config.sseHeartbeatMs, 20_000);
    assert.equal(config.maxBodyBytes, 4 * 1024 * 1024);
    assert.equal(config.drainTimeoutMs, 25_000);
    assert.deepEqual(config.allowedOrigins, [], 'no browser origin is trusted on a public bind');
    assert.match(config.taskId ?? '', /^[0-9a-f]{12}$/);
    assert.ok(Object.isFrozen(config));
  });

  it('takes a headers timeout shorter than the keep-alive (Node 24 times them independently)', () => {
    const config = loadConfig({ KEEP_ALIVE_TIMEOUT_MS: '125000', HEADERS_TIMEOUT_MS: '2000' });
    assert.equal(config.headersTimeoutMs, 2000);
  });

  it('trusts loopback hosts and origins when bound to loopback', () => {
    const config = loadConfig({ HOST: '127.0.0.1' });
    assert.ok(config.allowedHosts.includes('localhost'));
    assert.ok(config.allowedOrigins.includes('http://localhost'));
  });

  it('turns the task header off on request', () => {
    assert.equal(loadConfig({ TASK_HEADER: 'off' }).taskId, undefined);
  });

  const cases: [Record<string, string>, string, RegExp][] = [
    [{ PORT: 'eighty' }, 'PORT', /whole number from 0 to 65535/],
    [{ PORT: '70000' }, 'PORT', /whole number/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /one of fatal, error, warn, info, debug, trace, silent/],
    [{ SESSION_STORE: 'postgres' }, 'SESSION_STORE', /one of memory/],
    [{ MODERN_INSTANCES: 'pooled' }, 'MODERN_INSTANCES', /shared, per-request/],
    [{ MAX_JSON_DEPTH: '2' }, 'MAX_JSON_DEPTH', /whole number from 4/],
    [{ MAX_STREAMS: '0' }, 'MAX_STREAMS', /whole number from 1/],
    [{ REQUEST_TIMEOUT_MS: '5000' }, 'REQUEST_TIMEOUT_MS', /at least HEADERS_TIMEOUT_MS/],
    [{ MAX_BODY_BYTES: '-1' }, 'MAX_BODY_BYTES', /whole number/],
    [{ ALLOWED_ORIGINS: 'https://a.example.com/path' }, 'ALLOWED_ORIGINS', /scheme and host, no path/],
    [{ TASK_HEADER: 'maybe' }, 'TASK_HEADER', /one of on, off/],
    [{ AUTH_MODE: 'jwt' }, 'AUTH_MODE', /one of none, keys, oauth/],
    [{ AUTH_MODE: 'keys' }, 'AUTH_KEYS', /at least one key/],
    [{ AUTH_MODE: 'keys', AUTH_KEYS: ' , \n ,' }, 'AUTH_KEYS', /at least one key/],
    [{ AUTH_MODE: 'keys', AUTH_KEYS: 'k', AUTH_HEADER: 'Mcp-Session-Id' }, 'AUTH_HEADER', /a header name/],
    [{ AUTH_MODE: 'oauth' }, 'OAUTH_ISSUER', /an issuer URL \(or OAUTH_JWKS_URL\)/],
    [{ AUTH_MODE: 'oauth', OAUTH_ISSUER: 'http://idp.example.com' }, 'OAUTH_ISSUER', /https:\/\/ URL \(http:\/\/ only for loopback\)/],
    [{ AUTH_MODE: 'oauth', OAUTH_ISSUER: 'https://idp.example.com', OAUTH_ALGORITHMS: 'RS256,HS256' }, 'OAUTH_ALGORITHMS', /asymmetric algorithms only: HMAC/],
    [{ AUTH_MODE: 'oauth', OAUTH_ISSUER: 'https://idp.example.com', OAUTH_ALGORITHMS: 'none' }, 'OAUTH_ALGORITHMS', /"none" accepts unsigned tokens/],
    [{ MCP_SERVERS: '{"a":{"url":"http://127.0.0.1:1/mcp","auth":{"mode":"keys"}}}' }, 'MCP_SERVERS.a.auth.keys', /a non-empty list of keys/],
    [{ MCP_SERVERS: '{"a":{"url":"http://127.0.0.1:1/mcp","auth":{"mode":"oauth"}}}' }, 'MCP_SERVERS.a.auth', /AUTH_MODE=oauth/],
    [{ MCP_SERVERS: '{"a":{"url":"http://127.0.0.1:1/mcp","auth":{"mode":"basic"}}}' }, 'MCP_SERVERS.a.auth.mode', /one of "none", "keys", "oauth"/],
  ];
  for (const [env, variable, accepted] of cases) {
    it(`refuses ${JSON.stringify(env)} naming ${variable}, the value and what is accepted`, () => {
      assert.throws(
        () => loadConfig(env),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.equal(error.variable, variable);
          assert.match(error.message, new RegExp(`^${variable}=`));
          assert.match(error.message, accepted);
          return true;
        },
      );
    });
  }

  it('reads keys comma- or newline-separated, trimmed, and a custom key header lowercased and redacted', () => {
    const config = loadConfig({ AUTH_MODE: 'keys', AUTH_KEYS: ' k1 ,\nk2\n\n, k3', AUTH_HEADER: 'X-Sema4ai-Auth' });
    assert.deepEqual(config.auth, { mode: 'keys', keys: ['k1', 'k2', 'k3'], header: 'x-sema4ai-auth' });
    assert.ok(config.secretHeaders.includes('x-sema4ai-auth'));
    const plain = loadConfig({ AUTH_MODE: 'keys', AUTH_KEYS: 'k' }).auth;
    assert.equal(plain.mode === 'keys' ? plain.header : undefined, 'authorization');
  });

  it('never echoes a key in a refusal', () => {
    assert.throws(
      () => loadConfig({ MCP_SERVERS: '{"a":{"url":"http://127.0.0.1:1/mcp","auth":{"mode":"keys","keys":["sekrit-key",""]}}}' }),
      (error: unknown) => error instanceof ConfigError && !error.message.includes('sekrit-key'),
    );
  });

  it('defaults OAuth to asymmetric algorithms and parses space-separated scopes', () => {
    const config = loadConfig({ AUTH_MODE: 'oauth', OAUTH_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc', OAUTH_SCOPES: ' a  b/c ' });
    assert.deepEqual(config.auth, {
      mode: 'oauth',
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
      jwksUrl: undefined,
      audience: undefined,
      scopes: ['a', 'b/c'],
      algorithms: ['RS256', 'ES256'],
    });
  });

  it('warns at start when nothing is protected off loopback, and when OAuth checks no audience', () => {
    assert.ok(loadConfig({ HOST: '0.0.0.0' }).warnings.some((warning) => /AUTH_MODE=none on HOST=0\.0\.0\.0/.test(warning)));
    assert.ok(!loadConfig({ HOST: '127.0.0.1' }).warnings.some((warning) => /AUTH_MODE=none/.test(warning)));
    assert.ok(!loadConfig({ HOST: '0.0.0.0', AUTH_MODE: 'keys', AUTH_KEYS: 'k' }).warnings.some((warning) => /AUTH_MODE=none/.test(warning)));
    assert.ok(
      loadConfig({ AUTH_MODE: 'oauth', OAUTH_ISSUER: 'https://idp.example.com' }).warnings.some((warning) => /OAUTH_AUDIENCE is not set/.test(warning)),
    );
  });

  it('warns about a variable that looks like one of its own, naming the one it probably meant', () => {
    assert.deepEqual(configWarnings({ MCP_SERVR: './x.js', PATH: '/bin', HOME: '/root', MAX_SESION: '5', AWS_REGION: 'eu-west-1' }), [
      'MCP_SERVR is not a variable the gateway reads; did you mean MCP_SERVER?',
      'MAX_SESION is not a variable the gateway reads; did you mean MAX_SESSIONS?',
    ]);
    assert.deepEqual(configWarnings({ MCP_SERVER: './x.js', LOG_LEVEL: 'info' }), []);
  });
});

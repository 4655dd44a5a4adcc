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

  it('warns about a variable that looks like one of its own, naming the one it probably meant', () => {
    assert.deepEqual(configWarnings({ MCP_SERVR: './x.js', PATH: '/bin', HOME: '/root', MAX_SESION: '5', AWS_REGION: 'eu-west-1' }), [
      'MCP_SERVR is not a variable the gateway reads; did you mean MCP_SERVER?',
      'MAX_SESION is not a variable the gateway reads; did you mean MAX_SESSIONS?',
    ]);
    assert.deepEqual(configWarnings({ MCP_SERVER: './x.js', LOG_LEVEL: 'info' }), []);
  });
});

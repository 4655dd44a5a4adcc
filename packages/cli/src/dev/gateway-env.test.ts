import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { localGateway } from './gateway-env.js';

describe('localGateway: the container environment, on this machine', () => {
  test('GIVEN a module in the image THEN MCP_SERVER points at the same file in the project', () => {
    const { env } = localGateway({ server: { module: '/app/server/dist/index.js' } }, '/home/me/weather', {});
    assert.equal(env.MCP_SERVER, '/home/me/weather/dist/index.js');
    assert.equal(env.SESSION_STORE, 'memory');
  });

  test('GIVEN a stdio command THEN MCP_SERVER_COMMAND and MCP_SERVER_CWD, paths mapped, and MCP_SERVER_ENV names what it may see', () => {
    const { env } = localGateway(
      { server: { command: '/app/server/.venv/bin/py-tools --stdio', cwd: '/app/server', passEnv: ['GITHUB_TOKEN', 'MODE'] } },
      '/p',
      {},
    );
    assert.equal(env.MCP_SERVER_COMMAND, '/p/.venv/bin/py-tools --stdio');
    assert.equal(env.MCP_SERVER_CWD, '/p');
    assert.equal(env.MCP_SERVER_ENV, 'GITHUB_TOKEN,MODE');
  });

  test('GIVEN a stdio command with values of its own THEN it is the default entry of MCP_SERVERS (MCP_SERVER_COMMAND carries no values)', () => {
    const { env } = localGateway({ server: { command: 'node /app/server/x.js', cwd: '/app/server', env: { MODE: 'x' } } }, '/p', {});
    assert.equal(env.MCP_SERVER_COMMAND, undefined);
    assert.deepEqual(JSON.parse(env.MCP_SERVERS ?? ''), { server: { command: 'node /p/x.js', cwd: '/p', env: { MODE: 'x' }, default: true } });
  });

  test('GIVEN an upstream URL THEN MCP_SERVER_URL and MCP_SERVER_HEADERS', () => {
    const { env } = localGateway({ server: { url: 'http://127.0.0.1:3001/mcp', headers: { 'X-A': '1' } } }, '/p', {});
    assert.equal(env.MCP_SERVER_URL, 'http://127.0.0.1:3001/mcp');
    assert.equal(env.MCP_SERVER_HEADERS, '{"X-A":"1"}');
  });

  test('GIVEN a sidecar THEN the gateway forwards to its port on loopback, and a note says to start it', () => {
    const { env, notes } = localGateway({ server: { image: 'build:.', port: 8001, path: '/mcp', healthCheck: { command: ['CMD-SHELL', 'true'] } } }, '/p', {});
    assert.equal(env.MCP_SERVER_URL, 'http://127.0.0.1:8001/mcp');
    assert.match(notes.join('\n'), /run your app on port 8001/);
  });

  test('GIVEN named servers THEN MCP_SERVERS is their map, with paths mapped', () => {
    const { env } = localGateway({ servers: { a: { module: '/app/server/a.js' }, b: { command: 'node /app/server/b.js' } } }, '/p', {});
    assert.deepEqual(JSON.parse(env.MCP_SERVERS ?? ''), { a: { module: '/p/a.js' }, b: { command: 'node /p/b.js' } });
  });

  test('GIVEN keys auth THEN a fresh local key in the configured header stands in for the secret', () => {
    const first = localGateway({ auth: { mode: 'keys', keysSecret: 'svc/keys', header: 'X-Sema4ai-Auth' } }, '/p', {});
    const second = localGateway({ auth: { mode: 'keys', keysSecret: 'svc/keys' } }, '/p', {});
    assert.equal(first.env.AUTH_MODE, 'keys');
    assert.equal(first.env.AUTH_HEADER, 'X-Sema4ai-Auth');
    assert.equal(first.env.AUTH_KEYS, first.key?.value);
    assert.match(first.key?.value ?? '', /^[0-9a-f]{32}$/);
    assert.notEqual(first.key?.value, second.key?.value);
    assert.equal(second.env.AUTH_HEADER, 'X-Api-Key');
  });

  test('GIVEN a shared store THEN memory locally unless a Redis URL is given', () => {
    assert.equal(localGateway({ sessionStore: 'valkey' }, '/p', {}).env.SESSION_STORE, 'memory');
    const redis = localGateway({ sessionStore: 'valkey' }, '/p', {}, { redisUrl: 'redis://127.0.0.1:6379' }).env;
    assert.deepEqual([redis.SESSION_STORE, redis.REDIS_URL], ['redis', 'redis://127.0.0.1:6379']);
    assert.equal(localGateway({ sessionStore: { url: 'redis://127.0.0.1:7000' } }, '/p', {}).env.REDIS_URL, 'redis://127.0.0.1:7000');
  });

  test('GIVEN secrets THEN the local value is passed when set, and named in a note when not; plain environment is kept', () => {
    const { env, notes } = localGateway({ environment: { LOG_LEVEL: 'debug' }, secrets: { GITHUB_TOKEN: 'prod/gh', OTHER: 'x' } }, '/p', {
      GITHUB_TOKEN: 't0k',
    });
    assert.equal(env.LOG_LEVEL, 'debug');
    assert.equal(env.GITHUB_TOKEN, 't0k');
    assert.equal(env.OTHER, undefined);
    assert.match(notes.join('\n'), /OTHER comes from Secrets Manager in AWS; it is not set here/);
  });
});

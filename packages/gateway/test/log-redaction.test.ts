import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startAuthServer } from './auth-server.js';
import { initializeSession, LEGACY_HEADERS, modernRequest, postJson, startTestGateway } from './harness.js';

const SECRETS = {
  authorization: 'Bearer secret-token-1',
  cookie: 'AWSALB=secret-cookie-2',
  'x-tool-invocation-context': Buffer.from('{"token":"secret-context-3"}').toString('base64'),
  'x-sema4ai-auth': 'secret-key-4',
  'x-team-key': 'secret-key-5',
} as const;

describe('logs', () => {
  it('never contain credentials, cookies, invocation context, key headers or whole session ids, even at debug', async (t) => {
    const gw = await startTestGateway({ LOG_LEVEL: 'debug', SECRET_HEADERS: 'X-Team-Key' });
    t.after(() => gw.close());
    const sessionId = await initializeSession(gw.url);
    const response = await postJson(
      gw.url,
      sessionId,
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { text: 'logged?' } } },
      '2025-11-25',
      SECRETS,
    );
    assert.equal(response.status, 200);
    await response.text();
    const logs = gw.logs();
    assert.match(logs, /"mcpMethod":"tools\/call"/, 'the request was logged');
    assert.match(logs, /\[redacted\]/, 'the headers were logged, redacted');
    for (const secret of [...Object.values(SECRETS), 'secret-context-3', sessionId]) {
      assert.equal(logs.includes(secret), false, `the log contains ${secret}`);
    }
  });

  it('write one line per MCP request with method, status, duration, session handle and task', async (t) => {
    const gw = await startTestGateway();
    t.after(() => gw.close());
    const sessionId = await initializeSession(gw.url);
    await (await postJson(gw.url, sessionId, { jsonrpc: '2.0', id: 2, method: 'ping' })).text();
    await (await fetch(gw.url.replace('/mcp', '/healthz'))).text();
    const lines = gw
      .logs()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line['msg'] === 'mcp request');
    assert.deepEqual(
      lines.map((line) => line['mcpMethod']),
      ['initialize', 'notifications/initialized', 'ping'],
      'one line per MCP request, none for /healthz',
    );
    const ping = lines[2] ?? {};
    assert.equal(ping['method'], 'POST');
    assert.equal(ping['status'], 200);
    assert.equal(typeof ping['durationMs'], 'number');
    assert.equal(typeof ping['task'], 'string');
    assert.match(String(ping['session']), /^[\w-]{10}$/);
  });
});

describe('logs under auth', () => {
  const KEY = 'gate-key-7f3a9c';
  const WRONG_KEY = 'gate-key-wrong-81b2';
  const CONTEXT = Buffer.from('{"token":"secret-context-9"}').toString('base64');
  const COMMON = { cookie: 'session=secret-cookie-6', 'x-tool-invocation-context': CONTEXT, authorization: 'Bearer secret-bearer-8' };

  /** Every path a request can take under keys auth, each carrying secrets in its headers. */
  async function everyPath(url: string, key: Record<string, string>): Promise<string[]> {
    const secretHeaders = { ...COMMON, ...key };
    const sent = (init: RequestInit, at = url) => fetch(at, init).then(async (response) => ({ status: response.status, text: await response.text() }));
    const init = await fetch(url, {
      method: 'POST',
      headers: { ...LEGACY_HEADERS, ...secretHeaders },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
      }),
    });
    await init.text();
    const sessionId = init.headers.get('mcp-session-id') as string;
    const session = { ...LEGACY_HEADERS, ...secretHeaders, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    const answers = [
      await sent({
        method: 'POST',
        headers: session,
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } }),
      }),
      await sent({
        method: 'POST',
        headers: session,
        body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'test_error_handling', arguments: {} } }),
      }),
      await sent({ method: 'POST', headers: session, body: '{not json' }),
      await sent({ method: 'POST', headers: { ...session, 'content-type': 'text/plain' }, body: 'x' }),
      await sent({
        method: 'POST',
        headers: { ...session, 'mcp-session-id': 'no-such-session' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'ping' }),
      }),
      await sent({ method: 'POST', headers: { ...session, ...modernRequest(5, 'tools/list').headers }, body: modernRequest(5, 'tools/list').body }),
      await sent({ method: 'POST', headers: { ...session, 'x-gate': WRONG_KEY }, body: JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'ping' }) }),
      await sent({ method: 'POST', headers: { ...LEGACY_HEADERS, ...COMMON }, body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' }) }),
      await sent({ method: 'POST', headers: session, body: JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'ping' }) }, `${url}?api_key=${KEY}`),
      await sent({ method: 'PUT', headers: session }),
      await sent({ method: 'GET', headers: { ...session, accept: 'text/event-stream', 'last-event-id': 'zz.1.1' } }),
      await sent({ method: 'GET', headers: session }, url.replace('/mcp', '/nowhere')),
      await sent({ method: 'DELETE', headers: session }),
    ];
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [200, 200, 400, 415, 404, 200, 401, 401, 400, 405, 400, 404, 200],
    );
    for (const answer of answers) assert.equal(answer.text.includes(KEY) || answer.text.includes(WRONG_KEY), false, 'no answer echoes a key');
    return [sessionId];
  }

  it('never contain keys (right or wrong), tokens, cookies or invocation context, on any path, at debug', async (t) => {
    const gw = await startTestGateway({ LOG_LEVEL: 'debug', AUTH_MODE: 'keys', AUTH_KEYS: `other-key,${KEY}`, AUTH_HEADER: 'X-Gate' });
    t.after(() => gw.close());
    const [sessionId] = await everyPath(gw.url, { 'x-gate': KEY });
    const logs = gw.logs();
    assert.match(logs, /"status":401/, 'the auth failures were logged');
    assert.match(logs, /"x-gate":"\[redacted\]"/, 'the custom key header was logged, redacted');
    for (const secret of [KEY, WRONG_KEY, 'other-key', 'secret-cookie-6', CONTEXT, 'secret-context-9', 'secret-bearer-8', sessionId as string]) {
      assert.equal(logs.includes(secret), false, `the log contains ${secret}`);
    }
  });

  it('never contain access tokens, valid or refused, at debug', async (t) => {
    const as = await startAuthServer();
    t.after(() => as.close());
    const gw = await startTestGateway({ LOG_LEVEL: 'debug', AUTH_MODE: 'oauth', OAUTH_ISSUER: as.issuer, OAUTH_SCOPES: 'mcp' });
    t.after(() => gw.close());
    const valid = await as.sign({ sub: 'u1', scope: 'mcp' });
    const expired = await as.sign({ sub: 'u1', scope: 'mcp', exp: Math.floor(Date.now() / 1000) - 600 });
    const forged = await as.sign({ sub: 'u1', scope: 'mcp' }, { key: as.strangerKey });
    const unscoped = await as.sign({ sub: 'u1', scope: 'none' });
    const statuses: number[] = [];
    for (const token of [valid, expired, forged, unscoped, valid]) {
      const request = modernRequest(1, 'tools/call', { name: 'echo', arguments: { text: 'x' } }, 'echo');
      const response = await fetch(`${gw.url}${token === valid && statuses.length > 0 ? `?access_token=${token}` : ''}`, {
        method: 'POST',
        headers: { ...request.headers, ...COMMON, authorization: `Bearer ${token}` },
        body: request.body,
      });
      statuses.push(response.status);
      assert.equal((await response.text()).includes(token), false, 'no answer echoes the token');
    }
    assert.deepEqual(statuses, [200, 401, 401, 403, 400]);
    const logs = gw.logs();
    for (const token of [valid, expired, forged, unscoped]) {
      for (const part of token.split('.')) assert.equal(logs.includes(part), false, 'the log contains a part of a token');
    }
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { initializeSession, postJson, startTestGateway } from './harness.js';

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

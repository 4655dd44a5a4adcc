import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { MAIN, spawnGateway } from './harness.js';

describe('the gateway process', () => {
  it('stops at start with a message naming a bad variable, its value and what is accepted', () => {
    const result = spawnSync(process.execPath, [MAIN], { env: { PATH: process.env['PATH'] ?? '', PORT: 'http' }, encoding: 'utf8', timeout: 10_000 });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /PORT="http" is not valid: expected a whole number from 0 to 65535/);
  });

  it('stops at start when MCP_SERVER names a module without a factory', () => {
    const result = spawnSync(process.execPath, [MAIN], {
      env: { PATH: process.env['PATH'] ?? '', PORT: '0', HOST: '127.0.0.1', MCP_SERVER: MAIN.replace('main.js', 'errors.js') },
      encoding: 'utf8',
      timeout: 10_000,
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /MCP_SERVER=.* has no default export function/);
  });

  it('answers /healthz with status, version, uptime and sessions, and names the serving task', async (t) => {
    const gw = await spawnGateway();
    t.after(() => gw.kill());
    const response = await fetch(`${gw.base}/healthz`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('mcp-fargate-task') ?? '', /^[0-9a-f]{12}$/);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body['status'], 'ok');
    assert.equal(typeof body['version'], 'string');
    assert.equal(typeof body['uptimeS'], 'number');
    assert.equal(body['sessions'], 0);
  });

  it('hosts the factory named by MCP_SERVER', async (t) => {
    const gw = await spawnGateway({ MCP_SERVER: MAIN.replace('main.js', 'demo/demo-server.js') });
    t.after(() => gw.kill());
    const response = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      }),
    });
    assert.match(await response.text(), /mcp-fargate-demo/);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { initializeSession, postJson, startTestGateway } from './harness.js';

describe('load-balancer fitness', () => {
  it('keeps idle connections 125 s by default, longer than the ALB idle timeout', async () => {
    const gw = await startTestGateway();
    try {
      const response = await fetch(gw.url.replace('/mcp', '/healthz'));
      await response.text();
      assert.equal(response.headers.get('keep-alive'), 'timeout=125');
    } finally {
      await gw.close();
    }
  });

  it('beats a comment heartbeat on SSE streams and turns proxy buffering off', async () => {
    const gw = await startTestGateway({ SSE_HEARTBEAT_MS: '100' });
    try {
      const sessionId = await initializeSession(gw.url);
      const controller = new AbortController();
      const stream = await fetch(gw.url, {
        headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
        signal: controller.signal,
      });
      assert.equal(stream.headers.get('x-accel-buffering'), 'no');
      assert.match(stream.headers.get('mcp-fargate-task') ?? '', /^[0-9a-f]{12}$/);
      const reader = stream.body!.getReader();
      let text = '';
      const started = Date.now();
      while ((text.match(/: keepalive/g) ?? []).length < 2 && Date.now() - started < 3000) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
      }
      controller.abort();
      assert.ok((text.match(/: keepalive/g) ?? []).length >= 2, text);
    } finally {
      await gw.close();
    }
  });

  it('leaves the task header off when asked', async () => {
    const gw = await startTestGateway({ TASK_HEADER: 'off' });
    try {
      const sessionId = await initializeSession(gw.url);
      const response = await postJson(gw.url, sessionId, { jsonrpc: '2.0', id: 2, method: 'ping' });
      await response.text();
      assert.equal(response.headers.get('mcp-fargate-task'), null);
    } finally {
      await gw.close();
    }
  });
});

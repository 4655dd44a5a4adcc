import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { McpServer } from '@modelcontextprotocol/server';
import * as z from 'zod/v4';
import { modernRequest, startTestGateway } from './harness.js';

/** A hosted server with a tool that shuts its own instance down, as a crashing server would. */
function selfClosingServer(): McpServer {
  const server = new McpServer({ name: 'self-closing', version: '1' });
  server.registerTool('echo', { inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text }] }));
  server.registerTool('quit', { description: 'closes its own instance after answering' }, () => {
    setTimeout(() => void server.close(), 10);
    return { content: [{ type: 'text', text: 'bye' }] };
  });
  return server;
}

async function call(url: string, id: number, name: string, args: Record<string, unknown> = {}): Promise<string> {
  const request = modernRequest(id, 'tools/call', { name, arguments: args }, name);
  const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
  return response.text();
}

describe('the shared modern instance', () => {
  it('is opened anew when the hosted server closes it, and requests carry on', async (t) => {
    const gw = await startTestGateway({ HANDLER_TIMEOUT_MS: '2000' }, { factory: selfClosingServer });
    t.after(() => gw.close());
    assert.match(await call(gw.url, 1, 'quit'), /bye/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.match(await call(gw.url, 2, 'echo', { text: 'after the restart' }), /after the restart/);
  });
});

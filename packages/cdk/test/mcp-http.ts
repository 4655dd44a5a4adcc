// A minimal MCP streamable HTTP client (legacy era, plain fetch): initialize, then tools/list in the session.
import assert from 'node:assert/strict';

export const PROTOCOL_VERSION = '2025-11-25';

/** A JSON-RPC answer from a streamable HTTP POST, which may come as JSON or as an SSE stream. */
export async function rpcResult(response: Response): Promise<Record<string, any>> {
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  const messages = type.includes('text/event-stream')
    ? text
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => JSON.parse(line.slice(5)) as Record<string, any>)
    : [JSON.parse(text) as Record<string, any>];
  const answer = messages.find((m) => 'result' in m || 'error' in m);
  assert.ok(answer !== undefined, `a JSON-RPC response in ${text.slice(0, 500)}`);
  assert.equal(answer.error, undefined, JSON.stringify(answer.error));
  return answer.result as Record<string, any>;
}

/** Initializes a session at `mcpUrl` and returns the server's tools/list answer. */
export async function listTools(mcpUrl: string): Promise<{ name: string }[]> {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const initialize = await fetch(mcpUrl, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'mcp-fargate-test', version: '1.0.0' } },
    }),
  });
  assert.equal(initialize.status, 200, await initialize.clone().text());
  const sessionId = initialize.headers.get('mcp-session-id');
  assert.ok(sessionId, 'initialize returns an Mcp-Session-Id');
  const init = await rpcResult(initialize);
  assert.equal(typeof init.serverInfo?.name, 'string');

  const sessionHeaders = { ...headers, 'mcp-session-id': sessionId, 'mcp-protocol-version': PROTOCOL_VERSION };
  const initialized = await fetch(mcpUrl, {
    method: 'POST',
    headers: sessionHeaders,
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  assert.equal(initialized.status, 202);
  await initialized.arrayBuffer();
  const list = await fetch(mcpUrl, {
    method: 'POST',
    headers: sessionHeaders,
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }),
  });
  assert.equal(list.status, 200);
  const tools = (await rpcResult(list)).tools as { name: string }[];
  assert.ok(Array.isArray(tools), 'tools/list returns a tools array');
  return tools;
}

/** Polls `url` until it answers 200, or fails after `timeoutMs`. */
export async function waitFor200(url: string, timeoutMs: number, alive: () => boolean = () => true): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last: Response | undefined;
  while (Date.now() < deadline && alive()) {
    last = await fetch(url, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
    if (last?.status === 200) return last;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  assert.fail(`${url} never answered 200 (last status ${last?.status ?? 'none'})`);
}

/**
 * The SDK v1 client (`@modelcontextprotocol/sdk` 1.x, what most deployed MCP clients still run) against the gateway
 * over streamable HTTP, once per 2025-era revision: its native 2025-11-25, and 2025-06-18 / 2025-03-26 by rewriting
 * the version it asks for in `initialize` (v1 accepts any revision it supports when the server answers with it).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ResourceUpdatedNotificationSchema,
  type CreateMessageRequest,
  type ElicitRequest,
  type Progress,
} from '@modelcontextprotocol/sdk/types.js';
import { eventually, recordingFetch, startTestGateway, type RecordedExchange, type RpcMessage, type TestGateway } from './harness.js';
import { internalsOf } from '../src/gateway.js';

const WATCHED_URI = 'test://watched-resource';

function textOf(result: unknown): string {
  const content = (result as { content?: unknown; isError?: unknown }).content;
  assert.equal((result as { isError?: unknown }).isError, undefined, JSON.stringify(result));
  assert.ok(Array.isArray(content) && content.length === 1, JSON.stringify(result));
  const [block] = content as { type: string; text?: string }[];
  assert.ok(block?.type === 'text' && typeof block.text === 'string', JSON.stringify(result));
  return block.text;
}

/** Wraps a fetch so that `initialize` asks for `version` instead of the client's latest. */
function askingFor(version: string, inner: (input: string | URL, init?: RequestInit) => Promise<Response>) {
  return (input: string | URL, init?: RequestInit): Promise<Response> => {
    if (typeof init?.body === 'string') {
      const body = JSON.parse(init.body) as RpcMessage;
      if (body.method === 'initialize') {
        return inner(input, { ...init, body: JSON.stringify({ ...body, params: { ...body.params, protocolVersion: version } }) });
      }
    }
    return inner(input, init);
  };
}

for (const version of ['2025-11-25', '2025-06-18', '2025-03-26']) {
  describe(`SDK v1 client on a ${version} session`, () => {
    let gw: TestGateway;
    let client: Client;
    let transport: StreamableHTTPClientTransport;
    const recorder = recordingFetch();
    const samplingRequests: CreateMessageRequest['params'][] = [];
    const elicitRequests: ElicitRequest['params'][] = [];
    const updates: { uri: string }[] = [];

    before(async () => {
      gw = await startTestGateway();
      client = new Client({ name: 'gateway-sdk-v1-test', version: '1.0.0' }, { capabilities: { sampling: {}, elicitation: {} } });
      client.setRequestHandler(CreateMessageRequestSchema, (request) => {
        samplingRequests.push(request.params);
        const content = request.params.messages.at(-1)?.content;
        const prompt = content !== undefined && !Array.isArray(content) && content.type === 'text' ? content.text : '?';
        return { model: 'v1-model', role: 'assistant', content: { type: 'text', text: `v1 says ${prompt.length}` } };
      });
      client.setRequestHandler(ElicitRequestSchema, (request) => {
        elicitRequests.push(request.params);
        return { action: 'accept', content: { username: `v1-${version}`, email: 'v1@example.com' } };
      });
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
        updates.push({ uri: notification.params.uri });
      });
      transport = new StreamableHTTPClientTransport(new URL(gw.url), { fetch: askingFor(version, recorder.fetch) });
      await client.connect(transport);
    });
    after(async () => {
      await client.close();
      await gw.close();
    });

    const posts = (method: string): RecordedExchange[] =>
      recorder.exchanges.filter((exchange) => exchange.method === 'POST' && (exchange.body as RpcMessage | undefined)?.method === method);

    it('initializes a session at that revision', () => {
      assert.equal(transport.protocolVersion, version);
      assert.equal(client.getServerVersion()?.name, 'mcp-fargate-demo');
      assert.equal(client.getServerCapabilities()?.resources?.subscribe, true);
      assert.ok((transport.sessionId ?? '').length >= 22, String(transport.sessionId));
      const [initialize] = posts('initialize');
      assert.equal((JSON.parse(initialize?.text ?? '{}') as RpcMessage).result?.['protocolVersion'], version);
    });

    it('lists tools and calls echo', async () => {
      const { tools } = await client.listTools();
      assert.ok(tools.some((tool) => tool.name === 'echo'));
      assert.equal(tools.find((tool) => tool.name === 'test_sampling')?.inputSchema.required?.[0], 'prompt');
      const text = `v1 echo at ${version} ✓`;
      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text } })), text);
      // every request after initialize names the session and the negotiated revision
      const [call] = posts('tools/call');
      assert.equal(call?.headers['mcp-session-id'], transport.sessionId);
      assert.equal(call?.headers['mcp-protocol-version'], version);
    });

    it('reads resources', async () => {
      const text = await client.readResource({ uri: 'test://static-text' });
      assert.deepEqual(text.contents, [{ uri: 'test://static-text', mimeType: 'text/plain', text: 'This is the content of the static text resource.' }]);
      const binary = await client.readResource({ uri: 'test://static-binary' });
      const blob = (binary.contents[0] as { blob?: string } | undefined)?.blob ?? '';
      assert.deepEqual([...Buffer.from(blob, 'base64').subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    });

    it('gets prompts', async () => {
      const simple = await client.getPrompt({ name: 'test_simple_prompt' });
      assert.deepEqual(simple.messages, [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }]);
      const embedded = await client.getPrompt({ name: 'test_prompt_with_embedded_resource', arguments: { resourceUri: 'test://v1-doc' } });
      assert.equal((embedded.messages[0]!.content as { resource?: { uri?: string } }).resource?.uri, 'test://v1-doc');
    });

    it('receives progress notifications', async () => {
      const progress: Progress[] = [];
      const result = await client.callTool({ name: 'test_tool_with_progress', arguments: {} }, undefined, { onprogress: (p) => progress.push(p) });
      assert.match(textOf(result), /^Progress reported for token \d+$/);
      assert.deepEqual(
        progress.map((p) => [p.progress, p.total]),
        [
          [0, 100],
          [50, 100],
          [100, 100],
        ],
      );
    });

    it('completes a sampling round trip', async () => {
      const result = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'seventeen chars!!' } });
      assert.equal(textOf(result), 'LLM response: v1 says 17');
      assert.equal(samplingRequests.length, 1);
      assert.equal(samplingRequests[0]?.maxTokens, 100);
    });

    it('completes an elicitation round trip', async () => {
      const result = await client.callTool({ name: 'test_elicitation', arguments: { message: 'v1 asks' } });
      assert.equal(textOf(result), `User response: action=accept, content={"username":"v1-${version}","email":"v1@example.com"}`);
      assert.equal(elicitRequests[0]?.message, 'v1 asks');
    });

    it('receives notifications/resources/updated on the GET stream', async () => {
      await eventually(() => recorder.exchanges.some((exchange) => exchange.method === 'GET' && exchange.status === 200), 'the GET stream');
      await client.subscribeResource({ uri: WATCHED_URI });
      assert.equal(
        textOf(await client.callTool({ name: 'update_watched_resource', arguments: {} })),
        `Sent notifications/resources/updated for ${WATCHED_URI}`,
      );
      await eventually(() => updates.length > 0, 'notifications/resources/updated');
      assert.deepEqual(updates, [{ uri: WATCHED_URI }]);
      const stream = recorder.exchanges.find((exchange) => exchange.method === 'GET' && exchange.status === 200);
      assert.match(stream?.text ?? '', /notifications\/resources\/updated/);
    });

    it('gets the result of a call whose SSE stream the server closes mid-way (test_reconnection)', async () => {
      // The handler cuts its own stream (SEP-1699), then answers 100 ms later; the client must still get the answer,
      // either by resuming with Last-Event-ID or because the stream is not cut where that cannot work.
      const result = await client.callTool({ name: 'test_reconnection', arguments: {} }, undefined, { timeout: 4_000 });
      assert.equal(textOf(result), 'Reconnection test completed successfully.');
    });

    it('ends the session with DELETE', async () => {
      assert.equal(await internalsOf(gw.gateway).sessions.count(), 1);
      await transport.terminateSession();
      assert.equal(recorder.exchanges.find((exchange) => exchange.method === 'DELETE')?.status, 200);
      assert.equal(await internalsOf(gw.gateway).sessions.count(), 0);
    });
  });
}

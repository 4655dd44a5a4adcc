/**
 * The official SDK v2 client (`@modelcontextprotocol/client`) against the gateway, in both eras: its default legacy
 * mode (a 2025-11-25 session: initialize, Mcp-Session-Id, SSE replies, the GET stream, DELETE) and pinned to
 * 2026-07-28 (stateless requests with the `_meta` envelope, InputRequiredResult round trips, `subscriptions/listen`).
 * Every test goes through the real client over real HTTP; a recording `fetch` lets the tests check what travelled.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type {
  CallToolResult,
  CreateMessageRequest,
  ElicitRequest,
  ElicitResult,
  LoggingMessageNotification,
  Progress,
  Tool,
} from '@modelcontextprotocol/client';
import { Client, LOG_LEVEL_META_KEY, StreamableHTTPClientTransport, SUBSCRIPTION_ID_META_KEY } from '@modelcontextprotocol/client';
import type { McpRequestContext, McpServer } from '@modelcontextprotocol/server';
import { InMemoryServerEventBus } from '@modelcontextprotocol/server';
import * as z from 'zod';
import { createDemoServer } from '../src/index.js';
import { eventually, modernPost, readSse, recordingFetch, startTestGateway, type RecordedExchange, type RpcMessage, type TestGateway } from './harness.js';
import { internalsOf } from '../src/gateway.js';

const WATCHED_URI = 'test://watched-resource';
const SAMPLING_MODEL = 'test-model-7';

function textOf(result: CallToolResult): string {
  assert.equal(result.isError, undefined, JSON.stringify(result));
  assert.equal(result.content.length, 1, JSON.stringify(result));
  const [block] = result.content;
  assert.ok(block?.type === 'text', JSON.stringify(result));
  return block.text;
}

/** Requests a client POSTed whose JSON-RPC body names `method` (and, for tools/call, the tool). */
function posted(exchanges: readonly RecordedExchange[], method: string, tool?: string): RecordedExchange[] {
  return exchanges.filter((exchange) => {
    const body = exchange.body as RpcMessage | undefined;
    if (exchange.method !== 'POST' || body?.method !== method) return false;
    return tool === undefined || body.params?.['name'] === tool;
  });
}

/** A client that answers sampling and elicitation, and remembers every request and notification it saw. */
class RecordingClient {
  readonly samplingRequests: CreateMessageRequest['params'][] = [];
  readonly elicitRequests: ElicitRequest['params'][] = [];
  readonly notifications: { method: string; params: unknown }[] = [];
  readonly logs: LoggingMessageNotification['params'][] = [];
  elicitAnswer: ElicitResult = { action: 'accept', content: { username: 'ada', email: 'ada@example.com' } };
  readonly client: Client;

  constructor(options: ConstructorParameters<typeof Client>[1] = {}) {
    this.client = new Client({ name: 'gateway-sdk-v2-test', version: '1.0.0' }, { capabilities: { sampling: {}, elicitation: {} }, ...options });
    this.client.setRequestHandler('sampling/createMessage', (request) => {
      this.samplingRequests.push(request.params);
      const last = request.params.messages.at(-1)?.content;
      const prompt = last !== undefined && !Array.isArray(last) && last.type === 'text' ? last.text : '?';
      return { model: SAMPLING_MODEL, role: 'assistant', content: { type: 'text', text: `answer to <${prompt}>` }, stopReason: 'endTurn' };
    });
    this.client.setRequestHandler('elicitation/create', (request) => {
      this.elicitRequests.push(request.params);
      return this.elicitAnswer;
    });
    this.client.setNotificationHandler('notifications/message', (notification) => {
      this.logs.push(notification.params);
    });
    for (const method of ['notifications/resources/updated', 'notifications/tools/list_changed', 'notifications/resources/list_changed'] as const) {
      this.client.setNotificationHandler(method, (notification) => {
        this.notifications.push({ method, params: notification.params });
      });
    }
  }
}

describe('SDK v2 client in its default legacy mode', () => {
  let gw: TestGateway;
  const legacyServers: McpServer[] = [];
  const factory = (ctx: McpRequestContext): McpServer => {
    const server = createDemoServer(ctx);
    if (ctx.era === 'legacy') legacyServers.push(server);
    return server;
  };
  let rc: RecordingClient;
  let transport: StreamableHTTPClientTransport;
  const recorder = recordingFetch();
  const toolChanges: Tool[][] = [];

  before(async () => {
    gw = await startTestGateway({}, { factory });
    rc = new RecordingClient({
      listChanged: { tools: { debounceMs: 0, onChanged: (error, tools) => (error === null && tools !== null ? toolChanges.push(tools) : undefined) } },
    });
    transport = new StreamableHTTPClientTransport(new URL(gw.url), { fetch: recorder.fetch });
    await rc.client.connect(transport);
  });
  after(async () => {
    await rc.client.close();
    await gw.close();
  });

  it('initializes a 2025-11-25 session with a session id and the demo server identity', async () => {
    assert.equal(rc.client.getProtocolEra(), 'legacy');
    assert.equal(rc.client.getNegotiatedProtocolVersion(), '2025-11-25');
    assert.equal(rc.client.getServerVersion()?.name, 'mcp-fargate-demo');
    const sessionId = transport.sessionId;
    assert.ok(sessionId !== undefined && sessionId.length >= 22, `session id ${String(sessionId)}`);
    const [initialize] = posted(recorder.exchanges, 'initialize');
    assert.equal(initialize?.status, 200);
    assert.equal(initialize?.responseHeaders['mcp-session-id'], sessionId);
    assert.equal(await internalsOf(gw.gateway).sessions.count(), 1);
  });

  it('lists tools and calls echo', async () => {
    const { tools } = await rc.client.listTools();
    const echo = tools.find((tool) => tool.name === 'echo');
    assert.ok(echo !== undefined, tools.map((tool) => tool.name).join(', '));
    assert.deepEqual(echo.inputSchema.required, ['text']);
    assert.ok(tools.some((tool) => tool.name === 'test_tool_with_progress'));
    const text = 'héllo, gateway ✓ 42';
    assert.equal(textOf(await rc.client.callTool({ name: 'echo', arguments: { text } })), text);
  });

  it('reads a static resource and a templated one', async () => {
    const { contents } = await rc.client.readResource({ uri: 'test://static-text' });
    assert.deepEqual(contents, [{ uri: 'test://static-text', mimeType: 'text/plain', text: 'This is the content of the static text resource.' }]);
    const templated = await rc.client.readResource({ uri: 'test://template/4711/data' });
    const first = templated.contents[0];
    assert.ok(first !== undefined && 'text' in first, JSON.stringify(templated));
    assert.deepEqual(JSON.parse(first.text), { id: '4711', templateTest: true, data: 'Data for ID: 4711' });
  });

  it('gets a prompt with arguments', async () => {
    const { messages } = await rc.client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'alpha', arg2: 'beta' } });
    assert.deepEqual(messages, [{ role: 'user', content: { type: 'text', text: "Prompt with arguments: arg1='alpha', arg2='beta'" } }]);
  });

  it('receives progress notifications on the SSE reply of the call', async () => {
    const progress: Progress[] = [];
    const result = await rc.client.callTool({ name: 'test_tool_with_progress', arguments: {} }, { onprogress: (p) => progress.push(p) });
    assert.match(textOf(result), /^Progress reported for token \d+$/);
    assert.deepEqual(
      progress.map((p) => [p.progress, p.total, p.message]),
      [
        [0, 100, 'Completed 0 of 100'],
        [50, 100, 'Completed 50 of 100'],
        [100, 100, 'Completed 100 of 100'],
      ],
    );
    const [call] = posted(recorder.exchanges, 'tools/call', 'test_tool_with_progress');
    assert.equal(call?.contentType, 'text/event-stream');
  });

  it('receives logging notifications in order', async () => {
    const before = rc.logs.length;
    const result = await rc.client.callTool({ name: 'test_tool_with_logging', arguments: {} });
    assert.equal(textOf(result), 'Tool with logging executed successfully');
    assert.deepEqual(
      rc.logs.slice(before).map((log) => [log.level, log.data]),
      [
        ['info', 'Tool execution started'],
        ['info', 'Tool processing data'],
        ['info', 'Tool execution completed'],
      ],
    );
  });

  it('answers a sampling/createMessage request sent over SSE and gets its reply into the result', async () => {
    const result = await rc.client.callTool({ name: 'test_sampling', arguments: { prompt: 'What is 2+2?' } });
    assert.equal(textOf(result), 'LLM response: answer to <What is 2+2?>');
    assert.equal(rc.samplingRequests.length, 1);
    assert.equal(rc.samplingRequests[0]?.maxTokens, 100);
    // The server-to-client request travelled on the call's SSE reply; the client's answer was POSTed back (202).
    const [call] = posted(recorder.exchanges, 'tools/call', 'test_sampling');
    assert.equal(call?.contentType, 'text/event-stream');
    assert.match(call?.text ?? '', /"method":"sampling\/createMessage"/);
    const answer = recorder.exchanges.find((exchange) => (exchange.body as RpcMessage | undefined)?.result?.['model'] === SAMPLING_MODEL);
    assert.equal(answer?.status, 202);
    assert.equal(answer?.headers['mcp-session-id'], transport.sessionId);
  });

  it('answers an elicitation/create request (accept, then decline)', async () => {
    const accepted = await rc.client.callTool({ name: 'test_elicitation', arguments: { message: 'Who are you?' } });
    assert.equal(textOf(accepted), 'User response: action=accept, content={"username":"ada","email":"ada@example.com"}');
    assert.equal(rc.elicitRequests[0]?.message, 'Who are you?');
    rc.elicitAnswer = { action: 'decline' };
    const declined = await rc.client.callTool({ name: 'test_elicitation', arguments: { message: 'Still there?' } });
    assert.equal(textOf(declined), 'User response: action=decline, content={}');
    assert.equal(rc.elicitRequests.length, 2);
  });

  it('receives notifications/resources/updated on the standalone GET stream after subscribing', async () => {
    await eventually(() => recorder.exchanges.some((exchange) => exchange.method === 'GET' && exchange.status === 200), 'the GET stream');
    await rc.client.subscribeResource({ uri: WATCHED_URI });
    const result = await rc.client.callTool({ name: 'update_watched_resource', arguments: {} });
    assert.equal(textOf(result), `Sent notifications/resources/updated for ${WATCHED_URI}`);
    await eventually(() => rc.notifications.some((n) => n.method === 'notifications/resources/updated'), 'notifications/resources/updated');
    assert.deepEqual(rc.notifications.find((n) => n.method === 'notifications/resources/updated')?.params, { uri: WATCHED_URI });
    const stream = recorder.exchanges.find((exchange) => exchange.method === 'GET' && exchange.status === 200);
    assert.equal(stream?.contentType, 'text/event-stream');
    assert.equal(stream?.headers['mcp-session-id'], transport.sessionId);
    assert.match(stream?.text ?? '', /notifications\/resources\/updated/);
  });

  it('receives notifications/tools/list_changed on the GET stream when the hosted server adds a tool, and refetches', async () => {
    const server = legacyServers.at(-1);
    assert.ok(server !== undefined, 'the factory built no legacy server');
    await eventually(() => recorder.exchanges.some((exchange) => exchange.method === 'GET' && exchange.status === 200), 'the GET stream');
    server.registerTool('late_tool', { description: 'Registered after the session began.', inputSchema: z.object({}) }, () => ({
      content: [{ type: 'text', text: 'late' }],
    }));
    await eventually(() => toolChanges.length > 0, 'the listChanged refetch');
    assert.ok(
      toolChanges[0]?.some((tool) => tool.name === 'late_tool'),
      JSON.stringify(toolChanges[0]?.map((tool) => tool.name)),
    );
    // The client's listChanged option owns the handler, so the wire shows where the notification came from.
    const stream = recorder.exchanges.find((exchange) => exchange.method === 'GET' && exchange.status === 200);
    assert.match(stream?.text ?? '', /"method":"notifications\/tools\/list_changed"/);
    assert.equal(textOf(await rc.client.callTool({ name: 'late_tool', arguments: {} })), 'late');
  });

  it('resumes with Last-Event-ID when the server closes the call stream mid-way (test_reconnection)', async () => {
    const result = await rc.client.callTool({ name: 'test_reconnection', arguments: {} }, { timeout: 5_000 });
    assert.equal(textOf(result), 'Reconnection test completed successfully.');
    const [call] = posted(recorder.exchanges, 'tools/call', 'test_reconnection');
    const primingId = /^id: (\S+)\n/m.exec(call?.text ?? '')?.[1];
    assert.ok(primingId !== undefined, `no priming event id on the cut stream: ${JSON.stringify(call?.text)}`);
    const resumed = recorder.exchanges.find((exchange) => exchange.method === 'GET' && exchange.headers['last-event-id'] === primingId);
    assert.equal(resumed?.status, 200);
    assert.match(resumed?.text ?? '', /Reconnection test completed successfully/);
  });

  it('terminates the session with DELETE, after which the session id is unknown', async () => {
    const sessionId = transport.sessionId;
    assert.ok(sessionId !== undefined);
    await transport.terminateSession();
    const deletion = recorder.exchanges.find((exchange) => exchange.method === 'DELETE');
    assert.equal(deletion?.status, 200);
    assert.equal(deletion?.headers['mcp-session-id'], sessionId);
    const stale = await fetch(gw.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/list' }),
    });
    assert.equal(stale.status, 404);
    await stale.text();
  });
});

describe('SDK v2 client pinned to 2026-07-28', () => {
  let gw: TestGateway;
  const bus = new InMemoryServerEventBus();
  let rc: RecordingClient;
  const recorder = recordingFetch();

  before(async () => {
    gw = await startTestGateway({}, { bus });
    rc = new RecordingClient({ versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await rc.client.connect(new StreamableHTTPClientTransport(new URL(gw.url), { fetch: recorder.fetch }));
  });
  after(async () => {
    await rc.client.close();
    await gw.close();
  });

  it('connects with server/discover: modern era, no initialize, no session', async () => {
    assert.equal(rc.client.getProtocolEra(), 'modern');
    assert.equal(rc.client.getNegotiatedProtocolVersion(), '2026-07-28');
    assert.deepEqual(rc.client.getDiscoverResult()?.supportedVersions, ['2026-07-28']);
    assert.equal(rc.client.getServerCapabilities()?.resources?.subscribe, true);
    const [discover] = posted(recorder.exchanges, 'server/discover');
    assert.equal(discover?.status, 200);
    assert.equal(discover?.headers['mcp-method'], 'server/discover');
    assert.equal(posted(recorder.exchanges, 'initialize').length, 0);
    assert.equal(await internalsOf(gw.gateway).sessions.count(), 0);
  });

  it('lists tools and calls echo, every request stateless with the envelope', async () => {
    const { tools } = await rc.client.listTools();
    assert.ok(
      tools.some((tool) => tool.name === 'echo'),
      tools.map((tool) => tool.name).join(', '),
    );
    const text = 'modern ✓ echo 2026';
    assert.equal(textOf(await rc.client.callTool({ name: 'echo', arguments: { text } })), text);
    const [call] = posted(recorder.exchanges, 'tools/call', 'echo');
    assert.equal(call?.headers['mcp-protocol-version'], '2026-07-28');
    assert.equal(call?.headers['mcp-name'], 'echo');
    assert.equal(call?.responseHeaders['mcp-session-id'], undefined);
    for (const exchange of recorder.exchanges) {
      assert.equal(exchange.headers['mcp-session-id'], undefined, 'a modern request carried a session id');
      assert.notEqual(exchange.method, 'GET', 'a modern client opened a GET stream');
    }
    assert.equal(await internalsOf(gw.gateway).sessions.count(), 0);
  });

  it('reads a resource and gets a prompt', async () => {
    const { contents } = await rc.client.readResource({ uri: 'test://static-text' });
    assert.deepEqual(contents, [{ uri: 'test://static-text', mimeType: 'text/plain', text: 'This is the content of the static text resource.' }]);
    const { messages } = await rc.client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'x', arg2: 'y' } });
    assert.deepEqual(messages, [{ role: 'user', content: { type: 'text', text: "Prompt with arguments: arg1='x', arg2='y'" } }]);
  });

  it('receives progress notifications on the request stream', async () => {
    const progress: Progress[] = [];
    const result = await rc.client.callTool({ name: 'test_tool_with_progress', arguments: {} }, { onprogress: (p) => progress.push(p) });
    assert.match(textOf(result), /^Progress reported for token \d+$/);
    assert.deepEqual(
      progress.map((p) => p.progress),
      [0, 50, 100],
    );
  });

  it('receives logging notifications when the request asks for a log level in _meta', async () => {
    const before = rc.logs.length;
    const result = await rc.client.callTool({ name: 'test_tool_with_logging', arguments: {}, _meta: { [LOG_LEVEL_META_KEY]: 'info' } });
    assert.equal(textOf(result), 'Tool with logging executed successfully');
    assert.deepEqual(
      rc.logs.slice(before).map((log) => log.data),
      ['Tool execution started', 'Tool processing data', 'Tool execution completed'],
    );
  });

  it('fulfils sampling through an InputRequiredResult round trip', async () => {
    const result = await rc.client.callTool({ name: 'test_sampling', arguments: { prompt: 'Name a prime' } });
    assert.equal(textOf(result), 'LLM response: answer to <Name a prime>');
    assert.equal(rc.samplingRequests.length, 1);
    const calls = posted(recorder.exchanges, 'tools/call', 'test_sampling');
    assert.equal(calls.length, 2, 'expected the first call and its retry');
    const first = JSON.parse(calls[0]?.text ?? '{}') as RpcMessage;
    assert.equal(first.result?.['resultType'], 'input_required');
    assert.deepEqual(Object.keys((first.result?.['inputRequests'] ?? {}) as object), ['answer']);
    const retry = calls[1]?.body as RpcMessage;
    const response = (retry.params?.['inputResponses'] as Record<string, { model?: string }> | undefined)?.['answer'];
    assert.equal(response?.model, SAMPLING_MODEL);
    assert.notEqual(retry.id, (calls[0]!.body as RpcMessage).id, 'the retry must use a fresh request id');
  });

  it('fulfils elicitation through an InputRequiredResult round trip', async () => {
    rc.elicitAnswer = { action: 'accept', content: { username: 'grace', email: 'grace@example.com' } };
    const result = await rc.client.callTool({ name: 'test_elicitation', arguments: { message: 'Sign in' } });
    assert.equal(textOf(result), 'User response: action=accept, content={"username":"grace","email":"grace@example.com"}');
    assert.equal(rc.elicitRequests.at(-1)?.message, 'Sign in');
    const calls = posted(recorder.exchanges, 'tools/call', 'test_elicitation');
    assert.equal(calls.length, 2);
    assert.equal((JSON.parse(calls[0]?.text ?? '{}') as RpcMessage).result?.['resultType'], 'input_required');
  });

  it('completes a prompt argument and reports a failing tool as isError', async () => {
    const completion = await rc.client.complete({ ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' }, argument: { name: 'arg1', value: 'par' } });
    assert.deepEqual(completion.completion.values, ['paris', 'park', 'party']);
    const failed = await rc.client.callTool({ name: 'test_error_handling', arguments: {} });
    assert.equal(failed.isError, true);
    assert.deepEqual(failed.content, [{ type: 'text', text: 'This tool intentionally returns an error for testing' }]);
  });

  it('listens with subscriptions/listen and receives a tools_list_changed published on the bus; close unsubscribes', async () => {
    const subscription = await rc.client.listen({ toolsListChanged: true });
    assert.deepEqual(subscription.honoredFilter, { toolsListChanged: true });
    assert.equal(bus.listenerCount, 1);
    const before = rc.notifications.length;
    bus.publish({ kind: 'tools_list_changed' });
    await eventually(() => rc.notifications.length > before, 'notifications/tools/list_changed');
    assert.equal(rc.notifications.at(-1)?.method, 'notifications/tools/list_changed');
    await subscription.close();
    assert.equal(await subscription.closed, 'local');
    await eventually(() => bus.listenerCount === 0, 'the gateway to drop the closed subscription');
  });

  it('delivers resource_updated only for the URIs the listen filter names', async () => {
    const subscription = await rc.client.listen({ resourceSubscriptions: [WATCHED_URI] });
    assert.deepEqual(subscription.honoredFilter, { resourceSubscriptions: [WATCHED_URI] });
    const before = rc.notifications.length;
    bus.publish({ kind: 'resource_updated', uri: 'test://static-text' });
    bus.publish({ kind: 'resource_updated', uri: WATCHED_URI });
    await eventually(() => rc.notifications.length > before, 'notifications/resources/updated');
    await subscription.close();
    const delivered = rc.notifications.slice(before);
    assert.equal(delivered.length, 1, JSON.stringify(delivered));
    assert.equal(delivered[0]?.method, 'notifications/resources/updated');
    assert.equal((delivered[0]!.params as { uri?: string }).uri, WATCHED_URI);
  });

  it('auto-opens a listen stream for ClientOptions.listChanged and refetches tools on a change', async (t) => {
    const changes: Tool[][] = [];
    const client = new Client(
      { name: 'list-changed', version: '1.0.0' },
      {
        versionNegotiation: { mode: { pin: '2026-07-28' } },
        listChanged: { tools: { debounceMs: 0, onChanged: (error, tools) => (error === null && tools !== null ? changes.push(tools) : undefined) } },
      },
    );
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
    t.after(() => client.close());
    await eventually(() => client.autoOpenedSubscription !== undefined && bus.listenerCount > 0, 'the auto-opened subscription');
    bus.publish({ kind: 'tools_list_changed' });
    await eventually(() => changes.length > 0, 'the refetched tool list');
    assert.ok(changes[0]?.some((tool) => tool.name === 'echo'));
  });

  it('carries the acknowledgement and stamped notifications on the raw subscriptions/listen SSE stream', async (t) => {
    const abort = new AbortController();
    const response = await modernPost(
      gw.url,
      { id: 'raw-listen-1', method: 'subscriptions/listen', params: { notifications: { toolsListChanged: true, promptsListChanged: true } } },
      abort.signal,
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    const stream = readSse(response);
    t.after(async () => {
      abort.abort();
      await stream.cancel();
    });
    const ack = await stream.waitFor(() => true);
    assert.equal(ack.method, 'notifications/subscriptions/acknowledged');
    assert.deepEqual(ack.params?.['notifications'], { toolsListChanged: true, promptsListChanged: true });
    assert.equal((ack.params!['_meta'] as Record<string, unknown>)[SUBSCRIPTION_ID_META_KEY], 'raw-listen-1');
    bus.publish({ kind: 'resources_list_changed' }); // not asked for: must not arrive
    bus.publish({ kind: 'prompts_list_changed' });
    const change = await stream.waitFor((message) => message.method !== 'notifications/subscriptions/acknowledged');
    assert.equal(change.method, 'notifications/prompts/list_changed');
    assert.equal((change.params!['_meta'] as Record<string, unknown>)[SUBSCRIPTION_ID_META_KEY], 'raw-listen-1');
    assert.deepEqual(
      stream.messages.map((message) => message.method),
      ['notifications/subscriptions/acknowledged', 'notifications/prompts/list_changed'],
    );
  });

  it('routes a change notification the hosted server emits itself to subscriptions/listen streams', async (t) => {
    // update_watched_resource makes the modern demo instance send notifications/resources/updated; the gateway's
    // ModernChannel is meant to publish it on the bus for every open listen stream.
    const subscription = await rc.client.listen({ resourceSubscriptions: [WATCHED_URI] });
    const before = rc.notifications.length;
    t.after(() => subscription.close());
    const result = await rc.client.callTool({ name: 'update_watched_resource', arguments: {} });
    assert.equal(textOf(result), `Sent notifications/resources/updated for ${WATCHED_URI}`);
    await eventually(() => rc.notifications.length > before, 'notifications/resources/updated from the hosted server', 2_000);
    assert.deepEqual(
      rc.notifications.slice(before).map((n) => [n.method, (n.params as { uri?: string }).uri]),
      [['notifications/resources/updated', WATCHED_URI]],
    );
  });
});

describe('SDK v2 client pinned to 2026-07-28, gateway drain', () => {
  it('ends an open listen stream gracefully when the gateway drains', async (t) => {
    const gw = await startTestGateway();
    const client = new Client({ name: 'drain', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    t.after(async () => {
      await client.close();
      await gw.close();
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
    const subscription = await client.listen({ toolsListChanged: true });
    await gw.gateway.drain();
    assert.equal(await subscription.closed, 'graceful');
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';

import type { CallToolResult, ClientOptions, LoggingMessageNotification } from '@modelcontextprotocol/client';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { McpRequestContext } from '@modelcontextprotocol/server';
import { createMcpHandler, InMemoryTransport } from '@modelcontextprotocol/server';

import createDemoServerDefault, { createDemoServer, DEMO_SERVER_NAME, SLOW_MAX_MS, WATCHED_URI } from './demo-server.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CONFORMANCE_TOOLS = [
  'test_simple_text',
  'test_image_content',
  'test_audio_content',
  'test_embedded_resource',
  'test_multiple_content_types',
  'test_tool_with_logging',
  'test_tool_with_progress',
  'test_error_handling',
  'test_reconnection',
  'test_sampling',
  'test_elicitation',
  'test_elicitation_sep1034_defaults',
  'test_elicitation_sep1330_enums',
  'json_schema_2020_12_tool',
];

const SAMPLING_REPLY = {
  role: 'assistant',
  content: { type: 'text', text: 'four' },
  model: 'test-model',
  stopReason: 'endTurn',
} as const;

/** A 2025-era session: one demo instance, connected in memory, the way a legacy session is served. */
async function connectLegacy(t: TestContext, options: ClientOptions = {}): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const server = createDemoServer({ era: 'legacy' });
  await server.connect(serverSide);
  const client = new Client({ name: 'demo-test', version: '1.0.0' }, options);
  await client.connect(clientSide);
  t.after(() => client.close());
  return client;
}

function textOf(result: CallToolResult): string {
  assert.equal(result.content.length, 1, JSON.stringify(result));
  const [block] = result.content;
  assert.ok(block?.type === 'text', JSON.stringify(result));
  return block.text;
}

test('the default export is the factory, and each call builds a fresh server', () => {
  assert.equal(createDemoServerDefault, createDemoServer);
  assert.notEqual(createDemoServer(), createDemoServer());
});

test('initialize reports the demo server name and the subscribe, logging and completions capabilities', async (t) => {
  const client = await connectLegacy(t);
  assert.equal(client.getServerVersion()?.name, DEMO_SERVER_NAME);
  const capabilities = client.getServerCapabilities();
  assert.equal(capabilities?.resources?.subscribe, true);
  assert.deepEqual(capabilities?.logging, {});
  assert.deepEqual(capabilities?.completions, {});
});

test('tools/list offers echo, slow and every conformance fixture, each with a description', async (t) => {
  const client = await connectLegacy(t);
  const { tools } = await client.listTools();
  const names = tools.map((tool) => tool.name);
  for (const name of ['echo', 'slow', 'update_watched_resource', ...CONFORMANCE_TOOLS]) {
    assert.ok(names.includes(name), `missing tool ${name} in ${names.join(', ')}`);
  }
  for (const tool of tools) assert.ok(tool.description, `tool ${tool.name} has no description`);

  const jsonSchemaTool = tools.find((tool) => tool.name === 'json_schema_2020_12_tool');
  assert.equal(jsonSchemaTool?.inputSchema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  assert.equal(jsonSchemaTool?.inputSchema.additionalProperties, false);
  assert.ok(jsonSchemaTool?.inputSchema.$defs, 'the $defs keyword was stripped');
});

test('echo returns exactly the text it was given', async (t) => {
  const client = await connectLegacy(t);
  const result = await client.callTool({ name: 'echo', arguments: { text: 'héllo, world' } });
  assert.deepEqual(result.content, [{ type: 'text', text: 'héllo, world' }]);
  assert.notEqual(result.isError, true);
});

test('image and audio fixtures return decodable PNG and WAV data with their MIME types', async (t) => {
  const client = await connectLegacy(t);

  const image = await client.callTool({ name: 'test_image_content', arguments: {} });
  const [png] = image.content;
  assert.ok(png?.type === 'image');
  assert.equal(png.mimeType, 'image/png');
  assert.deepEqual(Buffer.from(png.data, 'base64').subarray(0, 8), PNG_SIGNATURE);

  const audio = await client.callTool({ name: 'test_audio_content', arguments: {} });
  const [wav] = audio.content;
  assert.ok(wav?.type === 'audio');
  assert.equal(wav.mimeType, 'audio/wav');
  const bytes = Buffer.from(wav.data, 'base64');
  assert.equal(bytes.toString('ascii', 0, 4), 'RIFF');
  assert.equal(bytes.readUInt32LE(4), bytes.length - 8, 'the RIFF size must match the clip');
});

test('the mixed content fixture returns text, image and embedded resource in that order', async (t) => {
  const client = await connectLegacy(t);
  const result = await client.callTool({ name: 'test_multiple_content_types', arguments: {} });
  assert.deepEqual(
    result.content.map((block) => block.type),
    ['text', 'image', 'resource'],
  );
});

test('the error fixture answers a tool error, not a protocol error', async (t) => {
  const client = await connectLegacy(t);
  const result = await client.callTool({ name: 'test_error_handling', arguments: {} });
  assert.equal(result.isError, true);
  assert.equal(textOf(result), 'This tool intentionally returns an error for testing');
});

test('slow waits the requested time, rejects out-of-range input, and stops waiting when cancelled', async (t) => {
  const client = await connectLegacy(t);

  const started = performance.now();
  assert.equal(textOf(await client.callTool({ name: 'slow', arguments: { ms: 30 } })), 'slept 30 ms');
  assert.ok(performance.now() - started >= 29);

  const tooLong = await client.callTool({ name: 'slow', arguments: { ms: SLOW_MAX_MS + 1 } });
  assert.equal(tooLong.isError, true);

  const cancelledAt = performance.now();
  await assert.rejects(client.callTool({ name: 'slow', arguments: { ms: SLOW_MAX_MS } }, { signal: AbortSignal.timeout(20) }));
  assert.ok(performance.now() - cancelledAt < 2_000);
  // The server-side wait must end with the cancellation, or a drained task would keep a timer for two minutes.
  await new Promise((resolve) => setImmediate(resolve));
  const longTimers = process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout');
  assert.equal(longTimers.length, 0, `timers still pending: ${longTimers.length}`);
});

test('logging fixture sends three messages at info, filtered by logging/setLevel', async (t) => {
  const client = await connectLegacy(t);
  const messages: LoggingMessageNotification['params'][] = [];
  client.setNotificationHandler('notifications/message', (notification) => {
    messages.push(notification.params);
  });

  await client.setLoggingLevel('info');
  await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
  assert.deepEqual(
    messages.map((message) => [message.level, message.data]),
    [
      ['info', 'Tool execution started'],
      ['info', 'Tool processing data'],
      ['info', 'Tool execution completed'],
    ],
  );

  messages.length = 0;
  await client.setLoggingLevel('warning');
  await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
  assert.deepEqual(messages, []);
});

test('progress fixture reports 0, 50 and 100 of 100 to the caller', async (t) => {
  const client = await connectLegacy(t);
  const progress: number[] = [];
  await client.callTool({ name: 'test_tool_with_progress', arguments: {} }, { onprogress: (update) => progress.push(update.progress) });
  assert.deepEqual(progress, [0, 50, 100]);
});

test('legacy session: sampling sends sampling/createMessage to the client and returns its answer', async (t) => {
  const client = await connectLegacy(t, { capabilities: { sampling: {} } });
  const requests: unknown[] = [];
  client.setRequestHandler('sampling/createMessage', ({ params: { messages, maxTokens } }) => {
    requests.push({ messages, maxTokens });
    return SAMPLING_REPLY;
  });

  const result = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'two plus two?' } });
  assert.equal(textOf(result), 'LLM response: four');
  assert.deepEqual(requests, [{ messages: [{ role: 'user', content: { type: 'text', text: 'two plus two?' } }], maxTokens: 100 }]);
});

test('legacy session: sampling without the client capability is a tool error', async (t) => {
  const client = await connectLegacy(t);
  const result = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'p' } });
  assert.equal(result.isError, true);
});

test('legacy session: elicitation reports the action and content the user returned', async (t) => {
  const client = await connectLegacy(t, { capabilities: { elicitation: {} } });
  const answers = [{ action: 'accept', content: { username: 'ada', email: 'ada@example.com' } }, { action: 'decline' }] as const;
  let asked = 0;
  client.setRequestHandler('elicitation/create', (request) => {
    assert.equal(request.params.message, 'Who are you?');
    const answer = answers[asked++];
    assert.ok(answer);
    return answer;
  });

  const accepted = await client.callTool({ name: 'test_elicitation', arguments: { message: 'Who are you?' } });
  assert.equal(textOf(accepted), 'User response: action=accept, content={"username":"ada","email":"ada@example.com"}');
  const declined = await client.callTool({ name: 'test_elicitation', arguments: { message: 'Who are you?' } });
  assert.equal(textOf(declined), 'User response: action=decline, content={}');
});

test('the SEP-1034 fixture sends defaults for every primitive type', async (t) => {
  const client = await connectLegacy(t, { capabilities: { elicitation: {} } });
  let properties: Record<string, { default?: unknown }> = {};
  client.setRequestHandler('elicitation/create', (request) => {
    assert.ok('requestedSchema' in request.params);
    properties = request.params.requestedSchema.properties;
    return { action: 'cancel' };
  });

  const result = await client.callTool({ name: 'test_elicitation_sep1034_defaults', arguments: {} });
  assert.equal(textOf(result), 'Elicitation completed: action=cancel, content={}');
  assert.deepEqual(Object.fromEntries(Object.entries(properties).map(([name, schema]) => [name, schema.default])), {
    name: 'John Doe',
    age: 30,
    score: 95.5,
    status: 'active',
    verified: true,
  });
});

test('prompts render their fixed texts, arguments, embedded resource and image', async (t) => {
  const client = await connectLegacy(t);

  const simple = await client.getPrompt({ name: 'test_simple_prompt' });
  assert.deepEqual(simple.messages, [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }]);

  const withArgs = await client.getPrompt({
    name: 'test_prompt_with_arguments',
    arguments: { arg1: 'hello', arg2: 'world' },
  });
  assert.deepEqual(withArgs.messages, [{ role: 'user', content: { type: 'text', text: "Prompt with arguments: arg1='hello', arg2='world'" } }]);

  const embedded = await client.getPrompt({
    name: 'test_prompt_with_embedded_resource',
    arguments: { resourceUri: 'test://example-resource' },
  });
  const [resourceMessage] = embedded.messages;
  assert.ok(resourceMessage?.content.type === 'resource');
  assert.equal(resourceMessage.content.resource.uri, 'test://example-resource');

  const image = await client.getPrompt({ name: 'test_prompt_with_image' });
  assert.deepEqual(
    image.messages.map((message) => message.content.type),
    ['image', 'text'],
  );
});

test('resources read as text, as blob and through the template', async (t) => {
  const client = await connectLegacy(t);

  const { resources } = await client.listResources();
  assert.deepEqual(resources.map((resource) => resource.uri).sort(), ['test://static-binary', 'test://static-text', WATCHED_URI]);

  const staticText = await client.readResource({ uri: 'test://static-text' });
  assert.deepEqual(staticText.contents, [{ uri: 'test://static-text', mimeType: 'text/plain', text: 'This is the content of the static text resource.' }]);

  const [binary] = (await client.readResource({ uri: 'test://static-binary' })).contents;
  assert.ok(binary && 'blob' in binary);
  assert.deepEqual(Buffer.from(binary.blob, 'base64').subarray(0, 8), PNG_SIGNATURE);

  const templated = await client.readResource({ uri: 'test://template/123/data' });
  assert.deepEqual(templated.contents, [
    {
      uri: 'test://template/123/data',
      mimeType: 'application/json',
      text: '{"id":"123","templateTest":true,"data":"Data for ID: 123"}',
    },
  ]);
});

test('completion suggests prompt argument and template variable values by prefix', async (t) => {
  const client = await connectLegacy(t);

  const arg1 = await client.complete({
    ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' },
    argument: { name: 'arg1', value: 'par' },
  });
  assert.deepEqual(arg1.completion.values, ['paris', 'park', 'party']);

  const narrowed = await client.complete({
    ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' },
    argument: { name: 'arg1', value: 'part' },
  });
  assert.deepEqual(narrowed.completion.values, ['party']);

  const id = await client.complete({
    ref: { type: 'ref/resource', uri: 'test://template/{id}/data' },
    argument: { name: 'id', value: '4' },
  });
  assert.deepEqual(id.completion.values, ['456']);
});

test('resource updates reach a subscribed session only, and stop after unsubscribe', async (t) => {
  const subscriber = await connectLegacy(t);
  const bystander = await connectLegacy(t);
  const updated: string[] = [];
  subscriber.setNotificationHandler('notifications/resources/updated', (notification) => {
    updated.push(notification.params.uri);
  });

  await subscriber.subscribeResource({ uri: WATCHED_URI });
  const sent = await subscriber.callTool({ name: 'update_watched_resource', arguments: {} });
  assert.equal(textOf(sent), `Sent notifications/resources/updated for ${WATCHED_URI}`);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(updated, [WATCHED_URI]);

  // Subscriptions belong to one server instance, so another session's call must not see them.
  const elsewhere = await bystander.callTool({ name: 'update_watched_resource', arguments: {} });
  assert.equal(textOf(elsewhere), `Not subscribed to ${WATCHED_URI}; no notification sent`);

  await subscriber.unsubscribeResource({ uri: WATCHED_URI });
  const after = await subscriber.callTool({ name: 'update_watched_resource', arguments: {} });
  assert.equal(textOf(after), `Not subscribed to ${WATCHED_URI}; no notification sent`);
  assert.deepEqual(updated, [WATCHED_URI]);
});

test('modern era: sampling and elicitation complete through input_required retries', async (t) => {
  const eras: McpRequestContext['era'][] = [];
  const handler = createMcpHandler(
    (ctx) => {
      eras.push(ctx.era);
      return createDemoServer(ctx);
    },
    { legacy: 'reject' },
  );
  t.after(() => handler.close());
  const client = new Client(
    { name: 'demo-test', version: '1.0.0' },
    { capabilities: { sampling: {}, elicitation: {} }, versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  client.setRequestHandler('sampling/createMessage', () => SAMPLING_REPLY);
  client.setRequestHandler('elicitation/create', () => ({ action: 'accept', content: { username: 'ada', email: 'a@b' } }));
  // The handler is served in process: requests never touch the network.
  await client.connect(
    new StreamableHTTPClientTransport(new URL('http://127.0.0.1/mcp'), {
      fetch: (url, init) => handler.fetch(new Request(url, init)),
    }),
  );
  t.after(() => client.close());

  assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
  const sampled = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'two plus two?' } });
  assert.equal(textOf(sampled), 'LLM response: four');
  const elicited = await client.callTool({ name: 'test_elicitation', arguments: { message: 'Who?' } });
  assert.equal(textOf(elicited), 'User response: action=accept, content={"username":"ada","email":"a@b"}');
  const echoed = await client.callTool({ name: 'echo', arguments: { text: 'modern' } });
  assert.equal(textOf(echoed), 'modern');

  assert.ok(eras.length > 0);
  assert.deepEqual(new Set(eras), new Set(['modern']));
});

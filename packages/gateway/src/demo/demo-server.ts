/**
 * The built-in demo MCP server, served when no user server is configured. It follows the same contract as a user
 * module (the default export is a factory returning a fresh `McpServer`) and doubles as the fixture for the official
 * conformance suite (`@modelcontextprotocol/conformance`, server scenarios), so its fixture names, texts and shapes
 * are fixed by those scenarios and must not drift.
 *
 * Surface beyond the conformance fixtures:
 * - `echo` `{ text }`: returns the same text; the benchmark and the gateway tests depend on this exact shape.
 * - `slow` `{ ms }`: waits `ms` (at most {@link SLOW_MAX_MS}) then answers `slept <ms> ms`; cancellation aborts the
 *   wait. Drain tests use it to hold a request open.
 * - `update_watched_resource`: emits `notifications/resources/updated` for {@link WATCHED_URI}.
 *
 * Sampling and elicitation are written once as multi round-trip handlers (`inputRequired`): on 2026-07-28 requests
 * the client fulfils the embedded request and retries; on a 2025-era session the SDK's legacy shim sends the real
 * `sampling/createMessage` / `elicitation/create` request to the client and re-enters the handler with the answer.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import type { CallToolResult, ElicitInputParams, InputRequiredResult, McpRequestContext, ServerContext } from '@modelcontextprotocol/server';
import { completable, fromJsonSchema, inputRequired, inputResponse, McpServer, ResourceTemplate } from '@modelcontextprotocol/server';
import * as z from 'zod';

export const DEMO_SERVER_NAME = 'mcp-fargate-demo';

/** Upper bound of the `slow` tool: long enough for drain tests, short enough that a stray call cannot pin a task. */
export const SLOW_MAX_MS = 120_000; // 2 minutes

export const WATCHED_URI = 'test://watched-resource';

// A 1x1 red RGBA PNG.
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

// A complete 45-byte WAV: 8 kHz mono 8-bit PCM, one silent sample. (The WAV often copied between conformance
// servers declares two data bytes it does not carry, which strict decoders reject.)
const WAV_BASE64 = 'UklGRiUAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQEAAACA';

const STEP_DELAY_MS = 50; // the logging and progress scenarios ask for ~50 ms between notifications

// Key of the single embedded request each sampling/elicitation fixture asks for.
const INPUT_KEY = 'answer';

const PROMPT_ARG1_SUGGESTIONS = ['paris', 'park', 'party'];
const TEMPLATE_ID_SUGGESTIONS = ['123', '456', '789'];

function text(value: string): CallToolResult {
  return { content: [{ type: 'text', text: value }] };
}

function toolError(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** One elicitation round trip: ask on the first call, report the client's answer on the retry. */
function elicit(ctx: ServerContext, params: ElicitInputParams, label: string): CallToolResult | InputRequiredResult {
  const answer = inputResponse(ctx.mcpReq.inputResponses, INPUT_KEY);
  if (answer.kind === 'missing') {
    return inputRequired({ inputRequests: { [INPUT_KEY]: inputRequired.elicit(params) } });
  }
  if (answer.kind !== 'elicit') return toolError(`Expected an elicitation result, got a ${answer.kind} result`);
  return text(`${label}: action=${answer.action}, content=${JSON.stringify(answer.content ?? {})}`);
}

/**
 * Builds a fresh demo server. Legacy sessions get one instance for their lifetime, so per-session state (resource
 * subscriptions) lives in this closure and is never shared between clients.
 */
export function createDemoServer(ctx?: McpRequestContext): McpServer {
  const era = ctx?.era ?? 'legacy';
  const server = new McpServer(
    { name: DEMO_SERVER_NAME, version: '1.0.0' },
    {
      capabilities: {
        resources: { subscribe: true },
        // Deprecated in 2026-07-28 (SEP-2577) but still negotiated by 2025-era clients and the conformance
        // suite; it also installs the SDK's logging/setLevel handler.
        logging: {},
        completions: {},
      },
      instructions:
        'mcp-fargate demo server: `echo` and `slow` tools plus the MCP conformance fixtures (tools, resources, prompts, completion, logging, sampling, elicitation).',
    },
  );

  registerTools(server);
  registerResources(server, era);
  registerPrompts(server);
  return server;
}

export default createDemoServer;

/**
 * Every schema is built once for all instances: the factory runs per session,
 * and a JSON Schema compiled per instance is compiled again each time and
 * stays in the validator's cache for good.
 */
const SCHEMAS = {
  echo: z.object({ text: z.string() }),
  slow: z.object({ ms: z.number().int().min(0).max(SLOW_MAX_MS) }),
  sampling: z.object({ prompt: z.string().describe('The prompt to send to the LLM') }),
  elicitation: z.object({ message: z.string().describe('The message to show the user') }),
  jsonSchema2020: fromJsonSchema<{ name?: string; address?: { street?: string; city?: string } }>({
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    $defs: {
      address: {
        type: 'object',
        properties: { street: { type: 'string' }, city: { type: 'string' } },
      },
    },
    properties: {
      name: { type: 'string' },
      address: { $ref: '#/$defs/address' },
    },
    additionalProperties: false,
  }),
  promptWithArguments: z.object({
    arg1: completable(z.string().describe('First test argument'), (value) => PROMPT_ARG1_SUGGESTIONS.filter((suggestion) => suggestion.startsWith(value))),
    arg2: z.string().describe('Second test argument'),
  }),
  promptWithResource: z.object({ resourceUri: z.string().describe('URI of the resource to embed') }),
};

function registerTools(server: McpServer): void {
  server.registerTool('echo', { description: 'Returns the given text unchanged.', inputSchema: SCHEMAS.echo }, ({ text: value }) => text(value));

  server.registerTool(
    'slow',
    {
      description: `Waits the given number of milliseconds (at most ${SLOW_MAX_MS}), then answers. Cancellable.`,
      inputSchema: SCHEMAS.slow,
    },
    async ({ ms }, ctx) => {
      await sleep(ms, undefined, { signal: ctx.mcpReq.signal });
      return text(`slept ${ms} ms`);
    },
  );

  server.registerTool('test_simple_text', { description: 'Returns a simple text response.' }, () => text('This is a simple text response for testing.'));

  server.registerTool('test_image_content', { description: 'Returns a PNG image.' }, () => ({
    content: [{ type: 'image', data: PNG_BASE64, mimeType: 'image/png' }],
  }));

  server.registerTool('test_audio_content', { description: 'Returns a WAV audio clip.' }, () => ({
    content: [{ type: 'audio', data: WAV_BASE64, mimeType: 'audio/wav' }],
  }));

  server.registerTool('test_embedded_resource', { description: 'Returns an embedded text resource.' }, () => ({
    content: [
      {
        type: 'resource',
        resource: {
          uri: 'test://embedded-resource',
          mimeType: 'text/plain',
          text: 'This is an embedded resource content.',
        },
      },
    ],
  }));

  server.registerTool('test_multiple_content_types', { description: 'Returns text, image and embedded resource content together.' }, () => ({
    content: [
      { type: 'text', text: 'Multiple content types test:' },
      { type: 'image', data: PNG_BASE64, mimeType: 'image/png' },
      {
        type: 'resource',
        resource: {
          uri: 'test://mixed-content-resource',
          mimeType: 'application/json',
          text: JSON.stringify({ test: 'data', value: 123 }),
        },
      },
    ],
  }));

  server.registerTool('test_tool_with_logging', { description: 'Sends three info log notifications while it runs.' }, async (ctx) => {
    // ctx.mcpReq.log honours logging/setLevel (2025) and the per-request _meta log level (2026-07-28).
    await ctx.mcpReq.log('info', 'Tool execution started', DEMO_SERVER_NAME);
    await sleep(STEP_DELAY_MS);
    await ctx.mcpReq.log('info', 'Tool processing data', DEMO_SERVER_NAME);
    await sleep(STEP_DELAY_MS);
    await ctx.mcpReq.log('info', 'Tool execution completed', DEMO_SERVER_NAME);
    return text('Tool with logging executed successfully');
  });

  server.registerTool(
    'test_tool_with_progress',
    { description: 'Reports progress 0, 50 and 100 of 100 when the request carries a progress token.' },
    async (ctx) => {
      const progressToken = ctx.mcpReq._meta?.progressToken;
      for (const progress of [0, 50, 100]) {
        // The spec forbids progress notifications the client did not ask for with a token.
        if (progressToken !== undefined) {
          await ctx.mcpReq.notify({
            method: 'notifications/progress',
            params: { progressToken, progress, total: 100, message: `Completed ${progress} of 100` },
          });
        }
        if (progress < 100) await sleep(STEP_DELAY_MS);
      }
      return text(`Progress reported for token ${String(progressToken ?? 'none')}`);
    },
  );

  server.registerTool('test_error_handling', { description: 'Always fails with a tool error.' }, () => {
    throw new Error('This tool intentionally returns an error for testing');
  });

  server.registerTool(
    'test_reconnection',
    {
      description: 'Closes its own SSE stream mid-call (SEP-1699), then answers; the client gets the result after reconnecting with Last-Event-ID.',
    },
    async (ctx) => {
      // Only hosts with resumable streams provide closeSSE; elsewhere the call simply answers.
      ctx.http?.closeSSE?.();
      await sleep(100); // lets the client see the close and reconnect before the result is written
      return text('Reconnection test completed successfully.');
    },
  );

  server.registerTool(
    'test_sampling',
    {
      description: 'Asks the client for an LLM completion (sampling/createMessage) of the given prompt.',
      inputSchema: SCHEMAS.sampling,
    },
    ({ prompt }, ctx) => {
      const answer = inputResponse(ctx.mcpReq.inputResponses, INPUT_KEY);
      if (answer.kind === 'missing') {
        return inputRequired({
          inputRequests: {
            [INPUT_KEY]: inputRequired.createMessage({
              messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
              maxTokens: 100,
            }),
          },
        });
      }
      if (answer.kind !== 'sampling') return toolError(`Expected a sampling result, got a ${answer.kind} result`);
      const { content } = answer.result;
      const reply = (Array.isArray(content) ? content : [content]).flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
      return text(`LLM response: ${reply}`);
    },
  );

  server.registerTool(
    'test_elicitation',
    {
      description: 'Asks the user (elicitation/create) for a username and an email address.',
      inputSchema: SCHEMAS.elicitation,
    },
    ({ message }, ctx) =>
      elicit(
        ctx,
        {
          message,
          requestedSchema: {
            type: 'object',
            properties: {
              username: { type: 'string', description: "User's response" },
              email: { type: 'string', description: "User's email address" },
            },
            required: ['username', 'email'],
          },
        },
        'User response',
      ),
  );

  server.registerTool(
    'test_elicitation_sep1034_defaults',
    { description: 'Elicits a form whose fields carry default values for every primitive type (SEP-1034).' },
    (ctx) =>
      elicit(
        ctx,
        {
          message: 'Please review and update the form fields with defaults',
          requestedSchema: {
            type: 'object',
            properties: {
              name: { type: 'string', description: 'User name', default: 'John Doe' },
              age: { type: 'integer', description: 'User age', default: 30 },
              score: { type: 'number', description: 'User score', default: 95.5 },
              status: {
                type: 'string',
                description: 'User status',
                enum: ['active', 'inactive', 'pending'],
                default: 'active',
              },
              verified: { type: 'boolean', description: 'Verification status', default: true },
            },
            required: [],
          },
        },
        'Elicitation completed',
      ),
  );

  server.registerTool('test_elicitation_sep1330_enums', { description: 'Elicits a form with all five enum schema variants (SEP-1330).' }, (ctx) =>
    elicit(
      ctx,
      {
        message: 'Please select options from the enum fields',
        requestedSchema: {
          type: 'object',
          properties: {
            untitledSingle: {
              type: 'string',
              description: 'Select one option',
              enum: ['option1', 'option2', 'option3'],
            },
            titledSingle: {
              type: 'string',
              description: 'Select one option with titles',
              oneOf: [
                { const: 'value1', title: 'First Option' },
                { const: 'value2', title: 'Second Option' },
                { const: 'value3', title: 'Third Option' },
              ],
            },
            legacyEnum: {
              type: 'string',
              description: 'Select one option (legacy)',
              enum: ['opt1', 'opt2', 'opt3'],
              enumNames: ['Option One', 'Option Two', 'Option Three'],
            },
            untitledMulti: {
              type: 'array',
              description: 'Select multiple options',
              items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
            },
            titledMulti: {
              type: 'array',
              description: 'Select multiple options with titles',
              items: {
                anyOf: [
                  { const: 'value1', title: 'First Choice' },
                  { const: 'value2', title: 'Second Choice' },
                  { const: 'value3', title: 'Third Choice' },
                ],
              },
            },
          },
          required: [],
        },
      },
      'Elicitation completed',
    ),
  );

  server.registerTool(
    'json_schema_2020_12_tool',
    {
      description: 'Tool with JSON Schema 2020-12 features ($schema, $defs, $ref, additionalProperties; SEP-1613).',
      // A raw JSON Schema, so tools/list advertises these keywords exactly as written.
      inputSchema: SCHEMAS.jsonSchema2020,
    },
    (args) => text(`JSON Schema 2020-12 tool called with: ${JSON.stringify(args)}`),
  );
}

function registerResources(server: McpServer, era: McpRequestContext['era']): void {
  server.registerResource(
    'static-text',
    'test://static-text',
    { title: 'Static text', description: 'A static text resource.', mimeType: 'text/plain' },
    (uri) => ({
      contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }],
    }),
  );

  server.registerResource(
    'static-binary',
    'test://static-binary',
    { title: 'Static binary', description: 'A static binary resource (a PNG image).', mimeType: 'image/png' },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: PNG_BASE64 }] }),
  );

  server.registerResource(
    'template-data',
    new ResourceTemplate('test://template/{id}/data', {
      list: undefined,
      complete: { id: (value) => TEMPLATE_ID_SUGGESTIONS.filter((id) => id.startsWith(value)) },
    }),
    { title: 'Template data', description: 'JSON data for the id in the URI.', mimeType: 'application/json' },
    (uri, { id }) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: 'application/json',
          text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${String(id)}` }),
        },
      ],
    }),
  );

  server.registerResource(
    'watched-resource',
    WATCHED_URI,
    {
      title: 'Watched resource',
      description: 'Subscribe to it, then call update_watched_resource to receive notifications/resources/updated.',
      mimeType: 'text/plain',
    },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Watched resource content' }] }),
  );

  // McpServer leaves resources/subscribe to the server author. The 2025 era subscribes per session; the
  // 2026-07-28 era has no such request (clients name URIs on subscriptions/listen, which the host serves).
  const subscriptions = new Set<string>();
  server.server.setRequestHandler('resources/subscribe', (request) => {
    subscriptions.add(request.params.uri);
    return {};
  });
  server.server.setRequestHandler('resources/unsubscribe', (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });

  server.registerTool('update_watched_resource', { description: `Emits notifications/resources/updated for ${WATCHED_URI} to its subscribers.` }, async () => {
    // A 2025 session hears only about URIs it subscribed to. A 2026-07-28 instance never sees a subscribe, so
    // it always emits; reaching a subscriptions/listen stream is then the host's job (the SDK's stdio entry
    // routes instance change notifications to listen streams; its createMcpHandler drops them).
    if (era === 'legacy' && !subscriptions.has(WATCHED_URI)) {
      return text(`Not subscribed to ${WATCHED_URI}; no notification sent`);
    }
    await server.server.sendResourceUpdated({ uri: WATCHED_URI });
    return text(`Sent notifications/resources/updated for ${WATCHED_URI}`);
  });
}

function registerPrompts(server: McpServer): void {
  server.registerPrompt('test_simple_prompt', { description: 'A prompt without arguments.' }, () => ({
    messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }],
  }));

  server.registerPrompt(
    'test_prompt_with_arguments',
    {
      description: 'A prompt with two required arguments; arg1 offers completions.',
      argsSchema: SCHEMAS.promptWithArguments,
    },
    ({ arg1, arg2 }) => ({
      messages: [
        {
          role: 'user',
          content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` },
        },
      ],
    }),
  );

  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    {
      description: 'A prompt that embeds the resource named by its argument.',
      argsSchema: SCHEMAS.promptWithResource,
    },
    ({ resourceUri }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: {
              uri: resourceUri,
              mimeType: 'text/plain',
              text: 'Embedded resource content for testing.',
            },
          },
        },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }),
  );

  server.registerPrompt('test_prompt_with_image', { description: 'A prompt that includes an image.' }, () => ({
    messages: [
      { role: 'user', content: { type: 'image', data: PNG_BASE64, mimeType: 'image/png' } },
      { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
    ],
  }));
}

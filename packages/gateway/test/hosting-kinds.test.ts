/**
 * Every kind of hosted server, with real servers: the official server-everything (stdio, its own streamable HTTP,
 * and as one of several), an SDK v1 module, a Python server on the standard library only, and the official
 * filesystem and memory servers side by side. The official SDK v2 client talks to each in both eras.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type SpawnedGateway, spawnGateway } from './harness.js';
import {
  connectClient,
  type Era,
  EVERYTHING,
  type EverythingHttp,
  FILESYSTEM,
  MEMORY,
  nodeCommand,
  PYTHON_FIXTURE,
  SDK_V1_FIXTURE,
  startEverythingHttp,
  textOf,
} from './hosted-servers.js';

const ERAS: readonly Era[] = ['legacy', 'modern'];

/** What every era of a gateway hosting server-everything must do: tools, a call, progress, resources, prompts. */
function everythingCases(label: string, url: () => string): void {
  for (const era of ERAS) {
    it(`${label}, ${era} era: lists and calls tools (with progress), reads resources, gets prompts`, async (t) => {
      const client = await connectClient(url(), era);
      t.after(() => client.close());
      const tools = (await client.listTools()).tools.map((tool) => tool.name);
      assert.ok(tools.includes('echo') && tools.includes('get-sum'), tools.join(','));
      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { message: `hi ${era}` } })), `Echo: hi ${era}`);
      assert.match(textOf(await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } })), /42/);
      const progress: number[] = [];
      const long = await client.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
        { onprogress: (update) => progress.push(update.progress) },
      );
      assert.match(textOf(long), /completed/i);
      assert.deepEqual(progress, [1, 2, 3]);
      const resources = (await client.listResources()).resources;
      assert.ok(resources.length > 0);
      const read = await client.readResource({ uri: (resources[0] as { uri: string }).uri });
      assert.ok(read.contents.length > 0);
      const prompt = await client.getPrompt({ name: 'args-prompt', arguments: { city: 'Lisbon', state: 'PT' } });
      assert.match(JSON.stringify(prompt.messages), /Lisbon/);
    });
  }
  it(`${label}, legacy era: completes a sampling round trip through the gateway`, async (t) => {
    const client = await connectClient(url(), 'legacy');
    t.after(() => client.close());
    const result = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hello', maxTokens: 5 } });
    assert.match(JSON.stringify(result), /sampled by the test client/);
  });
  it(`${label}, modern era: does not offer sampling, which needs a 2025-era session`, async (t) => {
    const client = await connectClient(url(), 'modern');
    t.after(() => client.close());
    const tools = (await client.listTools()).tools.map((tool) => tool.name);
    // The 2026-07-28 pool declares no sampling capability, so server-everything does not register the tool.
    assert.ok(!tools.includes('trigger-sampling-request'), tools.join(','));
    const result = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hello', maxTokens: 5 } });
    assert.equal(result.isError, true);
  });
}

describe('server-everything behind the gateway as a stdio child (MCP_SERVER_COMMAND)', () => {
  let gw: SpawnedGateway;
  before(async () => {
    gw = await spawnGateway({ MCP_SERVER_COMMAND: nodeCommand(EVERYTHING, 'stdio') }, 30_000);
  });
  after(() => gw.kill());
  everythingCases('stdio', () => gw.url);
  it('names the server it hosts and the child in its logs', () => {
    assert.match(gw.output(), /"msg":"gateway ready"/);
    assert.match(gw.output(), /"hosts":"stdio command [^"]*node"/);
    assert.match(gw.output(), /"pid":\d+,"session":"[\w-]+","stderr":"Starting default \(STDIO\) server\.\.\."/);
  });
});

describe('server-everything behind the gateway as an upstream streamable-HTTP server (MCP_SERVER_URL)', () => {
  let upstream: EverythingHttp;
  let gw: SpawnedGateway;
  before(async () => {
    upstream = await startEverythingHttp();
    gw = await spawnGateway({ MCP_SERVER_URL: upstream.url }, 30_000);
  });
  after(async () => {
    gw.kill();
    await upstream.stop();
  });
  everythingCases('upstream', () => gw.url);
  it('answers an unknown session with 404 where the upstream itself answers 400, and refuses a foreign Origin it would let in', async () => {
    const probe = { jsonrpc: '2.0', id: 1, method: 'ping' };
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': 'no-such-session' };
    const direct = await fetch(upstream.url, { method: 'POST', headers, body: JSON.stringify(probe) });
    await direct.text();
    assert.equal(direct.status, 400, 'server-everything deviates from the spec here');
    const fronted = await fetch(gw.url, { method: 'POST', headers, body: JSON.stringify(probe) });
    await fronted.text();
    assert.equal(fronted.status, 404);
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    };
    const foreign = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', origin: 'https://evil.example' };
    const open = await fetch(upstream.url, { method: 'POST', headers: foreign, body: JSON.stringify(initialize) });
    await open.text();
    assert.equal(open.status, 200, 'server-everything does no Origin check');
    const guarded = await fetch(gw.url, { method: 'POST', headers: foreign, body: JSON.stringify(initialize) });
    await guarded.text();
    assert.equal(guarded.status, 403);
  });
});

describe('several servers in one gateway (MCP_SERVERS): server-everything, filesystem and memory', () => {
  let gw: SpawnedGateway;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hosting-fs-'));
    await writeFile(join(dir, 'hello.txt'), 'hello from the filesystem server');
    gw = await spawnGateway(
      {
        MCP_SERVERS: JSON.stringify({
          everything: { command: [process.execPath, EVERYTHING, 'stdio'], default: true },
          files: { command: [process.execPath, FILESYSTEM, dir] },
          memory: { command: [process.execPath, MEMORY], env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') } },
        }),
      },
      30_000,
    );
  });
  after(async () => {
    gw.kill();
    await rm(dir, { recursive: true, force: true });
  });
  everythingCases('one of several', () => `${gw.base}/everything/mcp`);

  for (const era of ERAS) {
    it(`serves each server at /<name>/mcp and the default at /mcp, ${era} era`, async (t) => {
      const files = await connectClient(`${gw.base}/files/mcp`, era);
      t.after(() => files.close());
      const read = await files.callTool({ name: 'read_text_file', arguments: { path: join(dir, 'hello.txt') } });
      assert.match(textOf(read), /hello from the filesystem server/);
      const memory = await connectClient(`${gw.base}/memory/mcp`, era);
      t.after(() => memory.close());
      await memory.callTool({
        name: 'create_entities',
        arguments: { entities: [{ name: `ada-${era}`, entityType: 'person', observations: ['wrote notes'] }] },
      });
      assert.match(textOf(await memory.callTool({ name: 'read_graph', arguments: {} })), new RegExp(`ada-${era}`));
      const fallback = await connectClient(`${gw.base}/mcp`, era);
      t.after(() => fallback.close());
      assert.ok((await fallback.listTools()).tools.some((tool) => tool.name === 'get-sum'));
    });
  }

  it('answers an unknown server name with 404 and a JSON-RPC error', async () => {
    const response = await fetch(`${gw.base}/nope/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(response.status, 404);
    const body = (await response.json()) as { error: { code: number; message: string } };
    assert.equal(body.error.code, -32601);
    assert.match(body.error.message, /\/everything\/mcp/);
  });

  it('reports every server in /healthz, and names the server in each log line', async () => {
    const health = (await (await fetch(`${gw.base}/healthz`)).json()) as { servers: Record<string, { problem?: string }> };
    assert.deepEqual(Object.keys(health.servers).sort(), ['everything', 'files', 'memory']);
    assert.match(gw.output(), /"server":"files".*"msg":"mcp request"/);
  });
});

describe('an SDK v1 module (MCP_SERVER), detected, not configured', () => {
  let gw: SpawnedGateway;
  before(async () => {
    gw = await spawnGateway({ MCP_SERVER: SDK_V1_FIXTURE }, 30_000);
  });
  after(() => gw.kill());
  for (const era of ERAS) {
    it(`serves its tools, progress and resources in the ${era} era`, async (t) => {
      const client = await connectClient(gw.url, era);
      t.after(() => client.close());
      assert.equal(textOf(await client.callTool({ name: 'shout', arguments: { text: 'quiet' } })), 'QUIET');
      const progress: number[] = [];
      await client.callTool({ name: 'progress', arguments: {} }, { onprogress: (update) => progress.push(update.progress) });
      assert.deepEqual(progress, [1, 2]);
      const read = await client.readResource({ uri: 'v1://greeting' });
      assert.match(JSON.stringify(read.contents), /hello from v1/);
    });
  }
  it('says in its log that it serves an SDK v1 server', () => {
    assert.match(gw.output(), /\(SDK v1\)/);
  });
});

describe('a stdio server in another language: Python, standard library only', () => {
  let gw: SpawnedGateway;
  before(async () => {
    gw = await spawnGateway(
      {
        MCP_SERVER_COMMAND: `python3 ${PYTHON_FIXTURE}`,
        MCP_SERVER_ENV: 'NAMED_SECRET',
        NAMED_SECRET: 'passed on purpose',
        UNNAMED_SECRET: 'must not reach the child',
      },
      30_000,
    );
  });
  after(() => gw.kill());
  for (const era of ERAS) {
    it(`hosts it in the ${era} era, with progress`, async (t) => {
      const client = await connectClient(gw.url, era);
      t.after(() => client.close());
      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: `from ${era}` } })), `from ${era}`);
      const progress: number[] = [];
      await client.callTool({ name: 'progress', arguments: {} }, { onprogress: (update) => progress.push(update.progress) });
      assert.deepEqual(progress, [1, 2, 3]);
    });
  }
  it('gives the child only the allowlist and the variables MCP_SERVER_ENV names', async (t) => {
    const client = await connectClient(gw.url, 'legacy');
    t.after(() => client.close());
    const value = async (name: string): Promise<unknown> => JSON.parse(textOf(await client.callTool({ name: 'env', arguments: { name } })));
    assert.equal(await value('NAMED_SECRET'), 'passed on purpose');
    assert.equal(await value('UNNAMED_SECRET'), null);
    assert.equal(await value('LOG_LEVEL'), null, "the gateway's own settings are not the child's");
    assert.ok(await value('PATH'));
  });
  it('relays a sampling request from the child in a 2025-era session', async (t) => {
    const client = await connectClient(gw.url, 'legacy');
    t.after(() => client.close());
    assert.equal(textOf(await client.callTool({ name: 'sample', arguments: {} })), 'sampled: sampled by the test client');
  });
  it('answers a sampling request from the child in a 2026-07-28 request with a clear JSON-RPC error the child reports', async (t) => {
    const client = await connectClient(gw.url, 'modern');
    t.after(() => client.close());
    const result = await client.callTool({ name: 'sample', arguments: {} });
    assert.equal(result.isError, true);
    assert.match(
      textOf(result),
      /sampling failed: Method not found: the client cannot be asked this on a 2026-07-28 request: sampling\/createMessage needs a 2025-era session/,
    );
  });
});

/**
 * The MCP Inspector CLI (`@modelcontextprotocol/inspector --cli`), as a person would run it, against the gateway
 * running as its own process. Each run gets a throwaway HOME so the Inspector's catalog and storage stay out of the
 * real one.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { eventually, spawnGateway, type SpawnedGateway } from './harness.js';

const run = promisify(execFile);
const INSPECTOR = fileURLToPath(new URL('../../../../node_modules/.bin/mcp-inspector', import.meta.url));

interface LogLine {
  readonly era?: string;
  readonly mcpMethod?: string;
  readonly status?: number;
  readonly session?: string;
}

describe('MCP Inspector CLI against a spawned gateway', () => {
  let gw: SpawnedGateway;
  let home: string;

  before(async () => {
    gw = await spawnGateway();
    home = await mkdtemp(join(tmpdir(), 'inspector-home-'));
  });
  after(async () => {
    gw.kill();
    await gw.exited;
    await rm(home, { recursive: true, force: true });
  });

  /** Runs the CLI; resolves with its stdout, or fails with its exit code and stderr. */
  async function inspector(...args: string[]): Promise<string> {
    try {
      const { stdout } = await run(process.execPath, [INSPECTOR, '--cli', gw.url, '--transport', 'http', ...args], {
        cwd: home,
        env: { PATH: process.env['PATH'] ?? '', HOME: home, NO_COLOR: '1' },
        timeout: 30_000,
        maxBuffer: 4 * 1024 * 1024,
      });
      return stdout;
    } catch (error) {
      const failure = error as { code?: unknown; signal?: unknown; stdout?: string; stderr?: string };
      assert.fail(`inspector ${args.join(' ')} failed (${String(failure.code ?? failure.signal)}):\n${failure.stderr ?? ''}\n${failure.stdout ?? ''}`);
    }
  }

  /** The gateway's request log lines since `mark` (an offset into its output). */
  function requestLog(mark: number): LogLine[] {
    const output = gw.output();
    return output
      .slice(mark, output.lastIndexOf('\n') + 1)
      .split('\n')
      .filter((line) => line.includes('"mcp request"'))
      .map((line) => JSON.parse(line) as LogLine);
  }

  it('lists tools (--method tools/list)', async () => {
    const mark = gw.output().length;
    const listed = JSON.parse(await inspector('--method', 'tools/list')) as {
      tools: { name: string; inputSchema: { properties?: Record<string, { type?: string }> } }[];
    };
    const names = listed.tools.map((tool) => tool.name);
    for (const name of ['echo', 'slow', 'test_simple_text', 'test_tool_with_progress', 'test_sampling', 'test_elicitation']) {
      assert.ok(names.includes(name), `tools/list lacks ${name}: ${names.join(', ')}`);
    }
    assert.equal(listed.tools.find((tool) => tool.name === 'echo')?.inputSchema.properties?.['text']?.type, 'string');
    // By default the CLI speaks the 2025 era: a session was initialized and tools/list answered 200 in it.
    // The log reaches us through a pipe, possibly after the CLI has exited.
    await eventually(() => requestLog(mark).some((line) => line.mcpMethod === 'tools/list'), 'the tools/list log line');
    const lines = requestLog(mark);
    const initialize = lines.find((line) => line.mcpMethod === 'initialize');
    assert.equal(initialize?.status, 200);
    assert.equal(initialize?.era, 'legacy');
    assert.ok(
      lines.some((line) => line.mcpMethod === 'tools/list' && line.status === 200 && line.session === initialize.session),
      JSON.stringify(lines),
    );
  });

  it('calls echo (--method tools/call --tool-name echo --tool-arg text=hello)', async () => {
    const result = JSON.parse(await inspector('--method', 'tools/call', '--tool-name', 'echo', '--tool-arg', 'text=hello')) as unknown;
    assert.deepEqual(result, { content: [{ type: 'text', text: 'hello' }] });
  });

  it('calls echo in the 2026-07-28 era (--protocol-era modern --format json)', async () => {
    const mark = gw.output().length;
    const out = JSON.parse(
      await inspector('--protocol-era', 'modern', '--format', 'json', '--method', 'tools/call', '--tool-name', 'echo', '--tool-arg', 'text=modern hello'),
    ) as { result: { content: unknown; _meta?: Record<string, unknown> } };
    assert.deepEqual(out.result.content, [{ type: 'text', text: 'modern hello' }]);
    assert.deepEqual(out.result._meta?.['io.modelcontextprotocol/serverInfo'], { name: 'mcp-fargate-demo', version: '1.0.0' });
    await eventually(() => requestLog(mark).some((line) => line.mcpMethod === 'tools/call'), 'the tools/call log line');
    const lines = requestLog(mark);
    for (const line of lines) {
      assert.equal(line.era, 'modern', JSON.stringify(line));
      assert.equal(line.session, undefined, JSON.stringify(line));
    }
    assert.deepEqual(
      lines.filter((line) => line.mcpMethod === 'server/discover' || line.mcpMethod === 'tools/call').map((line) => [line.mcpMethod, line.status]),
      [
        ['server/discover', 200],
        ['tools/call', 200],
      ],
    );
  });

  it('reads a resource and gets a prompt', async () => {
    const resource = JSON.parse(await inspector('--method', 'resources/read', '--uri', 'test://static-text')) as unknown;
    assert.deepEqual(resource, {
      contents: [{ uri: 'test://static-text', mimeType: 'text/plain', text: 'This is the content of the static text resource.' }],
    });
    const prompt = JSON.parse(
      await inspector('--method', 'prompts/get', '--prompt-name', 'test_prompt_with_arguments', '--prompt-args', 'arg1=one', 'arg2=two'),
    ) as unknown;
    assert.deepEqual(prompt, { messages: [{ role: 'user', content: { type: 'text', text: "Prompt with arguments: arg1='one', arg2='two'" } }] });
  });
});

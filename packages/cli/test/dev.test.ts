// `mcp-fargate dev` as a person runs it: its own process, the URL it prints answers MCP, and Ctrl-C drains and exits.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { McpProbe } from '../src/verify/mcp-probe.js';
import { CLI_MAIN, EXAMPLE_CONFIG, freePort, tempDir } from './helpers.js';

const FIXTURE_MODULE = fileURLToPath(new URL('../../test/fixtures/hello-server.js', import.meta.url));
const FIXTURE_STDIO = fileURLToPath(new URL('../../test/fixtures/stdio-server.js', import.meta.url));

async function startDev(config: string): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI_MAIN, 'dev', '--config', config, '--port', String(port)], {
    env: { PATH: process.env.PATH ?? '', AWS_EC2_METADATA_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const deadline = Date.now() + 20_000;
  while (!out.includes('Ctrl-C stops it') && Date.now() < deadline && child.exitCode === null) await sleep(50);
  assert.match(out, /mcp-fargate dev: http:\/\/127\.0\.0\.1:\d+\/mcp/, out);
  return { child, url: `http://127.0.0.1:${port}/mcp`, out: () => out };
}

async function stop(child: ChildProcess): Promise<number | null> {
  child.kill('SIGINT');
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

describe('dev', () => {
  test('GIVEN the example config THEN the gateway serves the demo, the notes name what differs from AWS, and Ctrl-C drains and exits 0', async () => {
    const dev = await startDev(EXAMPLE_CONFIG);
    try {
      assert.match(dev.out(), /note: GITHUB_TOKEN comes from Secrets Manager in AWS/);
      assert.match(dev.out(), /try it: {2}npx @modelcontextprotocol\/inspector --cli http:\/\/127\.0\.0\.1:\d+\/mcp --transport http --method tools\/list/);
      // The example protects the MCP with keys: dev stands a fresh local key in for the secret and says which.
      const key = /a local key stands in for \S+: send "([\w-]+): ([0-9a-f]+)"/.exec(dev.out());
      assert.ok(key, dev.out());
      await assert.rejects(new McpProbe(dev.url, { headers: {} }).open(), /initialize answered 401/);
      const probe = new McpProbe(dev.url, { headers: { [key[1] as string]: key[2] as string } });
      const { sessionId } = await probe.open();
      const list = await probe.legacy(sessionId, { id: 2, method: 'tools/list' });
      assert.ok(Array.isArray(list.message?.result?.tools));
    } finally {
      assert.equal(await stop(dev.child), 0, dev.out());
    }
    assert.match(dev.out(), /drained/);
  });

  test('GIVEN a config whose server is a module THEN dev hosts that module', async () => {
    const dir = tempDir('dev');
    const config = join(dir, 'mcp-fargate.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        serviceName: 'hello',
        region: 'eu-west-1',
        image: { repositoryName: 'hello' },
        server: { module: FIXTURE_MODULE },
        auth: { mode: 'none' },
        loadBalancer: { scheme: 'internal', insecureHttpForTesting: true },
      }),
    );
    const dev = await startDev(config);
    try {
      const probe = new McpProbe(dev.url, { headers: {} });
      const { sessionId, answer } = await probe.open();
      assert.equal((answer.message?.result?.serverInfo as { name?: string } | undefined)?.name, 'hello-fixture');
      const call = await probe.legacy(sessionId, { id: 2, method: 'tools/call', params: { name: 'hello', arguments: { name: 'dev' } } });
      assert.deepEqual(call.message?.result?.content, [{ type: 'text', text: 'hello dev' }]);
    } finally {
      await stop(dev.child);
    }
  });

  test('GIVEN a config whose server is a stdio command THEN dev runs it as a child of the gateway', async () => {
    const dir = tempDir('dev');
    const config = join(dir, 'mcp-fargate.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        serviceName: 'shout',
        region: 'eu-west-1',
        image: { repositoryName: 'shout' },
        server: { command: `node ${FIXTURE_STDIO}` },
        auth: { mode: 'none' },
        loadBalancer: { scheme: 'internal', insecureHttpForTesting: true },
      }),
    );
    const dev = await startDev(config);
    try {
      const probe = new McpProbe(dev.url, { headers: {} });
      const { sessionId } = await probe.open();
      const call = await probe.legacy(sessionId, { id: 2, method: 'tools/call', params: { name: 'shout', arguments: { text: 'hi' } } });
      assert.deepEqual(call.message?.result?.content, [{ type: 'text', text: 'HI' }]);
    } finally {
      await stop(dev.child);
    }
  });

  test('GIVEN a config file that does not exist THEN it says so and how to make one', async () => {
    const child = spawn(process.execPath, [CLI_MAIN, 'dev', '--config', join(tempDir('dev'), 'nope.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 2);
    assert.match(err, /nope\.json does not exist\. Run `mcp-fargate init` in your project to write one, or pass --config <file>\./);
  });
});

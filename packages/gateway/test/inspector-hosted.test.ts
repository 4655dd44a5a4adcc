/** The MCP Inspector CLI against the gateway hosting server-everything as a stdio child, in both eras. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type SpawnedGateway, spawnGateway } from './harness.js';
import { EVERYTHING, nodeCommand } from './hosted-servers.js';

const run = promisify(execFile);
const INSPECTOR = fileURLToPath(new URL('../../../../node_modules/.bin/mcp-inspector', import.meta.url));

describe('MCP Inspector CLI against a hosted stdio server', () => {
  let gw: SpawnedGateway;
  let home: string;
  before(async () => {
    gw = await spawnGateway({ MCP_SERVER_COMMAND: nodeCommand(EVERYTHING, 'stdio') }, 30_000);
    home = await mkdtemp(join(tmpdir(), 'inspector-hosted-'));
  });
  after(async () => {
    gw.kill();
    await rm(home, { recursive: true, force: true });
  });

  for (const era of ['legacy', 'modern'] as const) {
    it(`lists tools and calls echo, ${era} era`, async () => {
      const inspector = async (...args: string[]): Promise<unknown> => {
        const eraArgs = era === 'modern' ? ['--protocol-era', 'modern'] : [];
        const { stdout } = await run(process.execPath, [INSPECTOR, '--cli', gw.url, '--transport', 'http', ...eraArgs, ...args], {
          cwd: home,
          env: { PATH: process.env['PATH'] ?? '', HOME: home, NO_COLOR: '1' },
          timeout: 30_000,
          maxBuffer: 4 * 1024 * 1024,
        });
        return JSON.parse(stdout);
      };
      const listed = (await inspector('--method', 'tools/list')) as { tools: { name: string }[] };
      assert.ok(listed.tools.some((tool) => tool.name === 'get-sum'));
      const called = JSON.stringify(await inspector('--method', 'tools/call', '--tool-name', 'echo', '--tool-arg', 'message=through the inspector'));
      assert.match(called, /Echo: through the inspector/);
    });
  }
});

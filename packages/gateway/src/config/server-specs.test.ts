import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { serverSpecsOf } from './server-specs.js';

const NO_AUTH = { mode: 'none' } as const;

const sourceOf = (env: Record<string, string>) => (serverSpecsOf(env, NO_AUTH)[0] as ReturnType<typeof serverSpecsOf>[number]).source;

describe('serverSpecsOf', () => {
  it('refuses two ways of naming the server, naming both', () => {
    assert.throws(
      () => serverSpecsOf({ MCP_SERVER: './a.js', MCP_SERVER_URL: 'http://127.0.0.1:1/mcp' }, NO_AUTH),
      /^ConfigError: MCP_SERVER="\.\/a\.js" is not valid: expected one way to name the hosted server, but MCP_SERVER_URL is set too$/m,
    );
  });

  it('refuses a helper variable without the one it belongs to', () => {
    assert.throws(
      () => serverSpecsOf({ MCP_SERVER_CWD: '/srv' }, NO_AUTH),
      /MCP_SERVER_CWD="\/srv" is not valid: expected to be set only with MCP_SERVER_COMMAND/,
    );
    assert.throws(() => serverSpecsOf({ MCP_SERVER_HEADERS: '{}' }, NO_AUTH), /expected to be set only with MCP_SERVER_URL/);
  });

  it('runs a stdio command in MCP_SERVER_CWD', () => {
    assert.deepEqual(sourceOf({ MCP_SERVER_COMMAND: 'uvx my-server', MCP_SERVER_CWD: '/srv/app', PATH: '/bin' }), {
      kind: 'command',
      argv: ['uvx', 'my-server'],
      cwd: '/srv/app',
      env: { PATH: '/bin' },
    });
  });

  it("fills $NAME references in MCP_SERVER_HEADERS from the gateway's environment, and names a variable that is not set", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the gateway's own ${NAME} reference syntax, not a template.
    const env = { MCP_SERVER_URL: 'http://127.0.0.1:8000/mcp', MCP_SERVER_HEADERS: '{"X-Api-Key":"${UPSTREAM_KEY}","X-Team":"a ${TEAM}"}' };
    assert.deepEqual(sourceOf({ ...env, UPSTREAM_KEY: 'k-1', TEAM: 'blue' }), {
      kind: 'url',
      url: 'http://127.0.0.1:8000/mcp',
      headers: { 'x-api-key': 'k-1', 'x-team': 'a blue' },
    });
    assert.throws(
      () => serverSpecsOf({ ...env, TEAM: 'blue' }, NO_AUTH),
      /MCP_SERVER_HEADERS="\$\{UPSTREAM_KEY\}" is not valid: expected references to variables set in the gateway's environment \(UPSTREAM_KEY is not set\)/,
    );
  });

  it('reads MCP_SERVERS from a file when it is a path, and names a path it cannot read', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mcpf-servers-')), 'servers.json');
    writeFileSync(file, JSON.stringify({ docs: { url: 'http://127.0.0.1:8000/mcp', default: true }, gh: { command: 'gh-mcp' } }));
    const specs = serverSpecsOf({ MCP_SERVERS: file }, NO_AUTH);
    assert.deepEqual(
      specs.map((spec) => [spec.name, spec.paths, spec.source.kind]),
      [
        ['docs', ['/docs/mcp', '/mcp'], 'url'],
        ['gh', ['/gh/mcp'], 'command'],
      ],
    );
    assert.throws(
      () => serverSpecsOf({ MCP_SERVERS: `${file}.missing` }, NO_AUTH),
      /MCP_SERVERS=".*servers\.json\.missing" is not valid: expected inline JSON or the path of a readable JSON file \(ENOENT/,
    );
  });
});

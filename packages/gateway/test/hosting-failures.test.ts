/**
 * What a hosted server can do wrong, and what the gateway does about it: a child that exits, is killed, hangs or
 * writes garbage; a command that does not exist; a module whose factory throws; an upstream that goes down and comes back; children at their cap;
 * children when the gateway drains, and when it is killed outright.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { eventually, initializeSession, postJson, type SpawnedGateway, spawnGateway } from './harness.js';
import { connectClient, EVERYTHING, type EverythingHttp, nodeCommand, PYTHON_FIXTURE, startEverythingHttp, textOf } from './hosted-servers.js';

/** The pids of the stdio children a gateway started, from its log. */
function childPids(gw: SpawnedGateway): number[] {
  return [...gw.output().matchAll(/"pid":(\d+),"session":"[^"]*","msg":"stdio server started"/g)].map((match) => Number(match[1]));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface RpcAnswer {
  result?: { content?: { text?: string }[]; isError?: boolean };
  error?: { code: number; message: string; data?: { code?: string } };
}

async function call(gw: SpawnedGateway, sessionId: string, id: number, name: string, args: Record<string, unknown> = {}): Promise<RpcAnswer> {
  const response = await postJson(gw.url, sessionId, { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
  return (await response.json()) as RpcAnswer;
}

describe('a stdio child that fails', () => {
  let gw: SpawnedGateway;
  before(async () => {
    gw = await spawnGateway({ MCP_SERVER_COMMAND: `python3 ${PYTHON_FIXTURE}`, HANDLER_TIMEOUT_MS: '1500' }, 30_000);
  });
  after(() => gw.kill());

  const cases: [string, string, RegExp][] = [
    ['exits mid-call', 'crash', /the stdio server exited with code 3/],
    ['writes garbage to stdout', 'garbage', /wrote something that is not JSON-RPC to stdout: this is not json-rpc/],
    ['never answers (and is replaced, having said nothing since)', 'hang', /Request timed out/],
  ];
  for (const [what, tool, expected] of cases) {
    it(`${what}: the call gets an error naming it, the next call gets a fresh child, other sessions carry on`, async () => {
      const [broken, healthy] = await Promise.all([initializeSession(gw.url), initializeSession(gw.url)]);
      assert.equal((await call(gw, healthy, 1, 'echo', { text: 'before' })).result?.content?.[0]?.text, 'before');
      const before = childPids(gw).length;
      const failed = await call(gw, broken, 2, tool);
      assert.match(failed.error?.message ?? '', expected, JSON.stringify(failed));
      const again = await call(gw, broken, 3, 'echo', { text: 'after' });
      assert.equal(again.result?.content?.[0]?.text, 'after', JSON.stringify(again));
      assert.ok(childPids(gw).length > before, 'a fresh child served the next call');
      assert.equal((await call(gw, healthy, 4, 'echo', { text: 'unaffected' })).result?.content?.[0]?.text, 'unaffected');
    });
  }

  it('is killed with SIGKILL mid-call: the call gets an error naming the signal, the next call gets a fresh child', async () => {
    const sessionId = await initializeSession(gw.url);
    assert.equal((await call(gw, sessionId, 1, 'echo', { text: 'warm' })).result?.content?.[0]?.text, 'warm');
    const pid = childPids(gw).at(-1) as number;
    const pending = call(gw, sessionId, 2, 'slow', { ms: 5000 });
    await sleep(200);
    process.kill(pid, 'SIGKILL');
    const failed = await pending;
    assert.match(failed.error?.message ?? '', /was stopped by SIGKILL/, JSON.stringify(failed));
    assert.equal((await call(gw, sessionId, 3, 'echo', { text: 'next' })).result?.content?.[0]?.text, 'next');
  });

  it('logs its stderr line by line with its pid and the session', () => {
    assert.match(gw.output(), /"pid":\d+,"session":"[\w-]+","stderr":"python fixture started","msg":"stdio server stderr"/);
  });
});

describe('a stdio command that does not exist', () => {
  it('stops the gateway at start with a message naming it', async () => {
    await assert.rejects(spawnGateway({ MCP_SERVER_COMMAND: 'no-such-mcp-server --flag' }, 10_000), /command "no-such-mcp-server" was not found on the PATH/);
  });
});

describe('a stdio command that never answers initialize', () => {
  it('stops the gateway at start once CHILD_START_TIMEOUT_MS has passed, naming the variable', async () => {
    const started = Date.now();
    await assert.rejects(
      spawnGateway({ MCP_SERVER_COMMAND: nodeCommand('-e', 'process.stdin.resume()'), CHILD_START_TIMEOUT_MS: '500' }, 10_000),
      /stdio command \S+ did not answer initialize within CHILD_START_TIMEOUT_MS \(500 ms\)/,
    );
    assert.ok(Date.now() - started < 8000, 'the start timeout fired, not the harness deadline');
  });
});

describe('a module whose factory throws', () => {
  it("stops the gateway at start with the factory's own message, not a protocol failure", async () => {
    await assert.rejects(
      spawnGateway({ MCP_SERVER: fileURLToPath(new URL('./fixtures/throwing-factory.js', import.meta.url)) }, 10_000),
      /module \S+throwing-factory\.js: the factory threw: GITHUB_TOKEN is not set/,
    );
  });
});

describe('stdio sessions over one live server (MAX_LIVE_SERVERS=1)', () => {
  let gw: SpawnedGateway;
  before(async () => {
    gw = await spawnGateway({ MCP_SERVER_COMMAND: `python3 ${PYTHON_FIXTURE}`, MAX_LIVE_SERVERS: '1', MODERN_POOL_SIZE: '1' }, 30_000);
  });
  after(() => gw.kill());

  it("evicts one session's child for the other's, stops it, and rebuilds it by replay when its session comes back", async () => {
    const [a, b] = await Promise.all([initializeSession(gw.url), initializeSession(gw.url)]);
    const sessionChildren = () =>
      [...gw.output().matchAll(/"pid":(\d+),"session":"(?!modern-pool)[^"]*","msg":"stdio server started"/g)].map((m) => Number(m[1]));
    const before = sessionChildren().length;
    for (let turn = 0; turn < 4; turn += 1) {
      const sessionId = turn % 2 === 0 ? a : b;
      assert.equal((await call(gw, sessionId, turn + 2, 'echo', { text: `turn ${turn}` })).result?.content?.[0]?.text, `turn ${turn}`);
    }
    const started = sessionChildren().slice(before);
    assert.ok(started.length >= 4, `a child for every turn, as the other session's was evicted: ${started.join(',')}`);
    await eventually(() => started.slice(0, -1).every((pid) => !alive(pid)), 'every evicted child to be stopped', 5000);
    const health = (await (await fetch(`${gw.base}/healthz`)).json()) as { sessions: number; liveServers: number };
    assert.deepEqual([health.sessions, health.liveServers], [2, 1]);
  });
});

describe('stdio children at their cap', () => {
  let gw: SpawnedGateway;
  before(async () => {
    gw = await spawnGateway({ MCP_SERVER_COMMAND: `python3 ${PYTHON_FIXTURE}`, MAX_CHILDREN: '3', MODERN_POOL_SIZE: '1' }, 30_000);
  });
  after(() => gw.kill());

  it('answers a session that needs one more child with 503 and Retry-After, and serves it once one frees', async () => {
    const sessions = await Promise.all([1, 2, 3].map(() => initializeSession(gw.url)));
    const busy = sessions.slice(0, 2).map((sessionId) => call(gw, sessionId, 1, 'slow', { ms: 1500 }));
    await sleep(500);
    const refused = await postJson(gw.url, sessions[2] as string, {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'echo', arguments: { text: 'x' } },
    });
    assert.equal(refused.status, 503);
    assert.ok(refused.headers.get('retry-after'));
    assert.equal(((await refused.json()) as RpcAnswer).error?.data?.code, 'SERVERS_BUSY');
    await Promise.all(busy);
    assert.equal((await call(gw, sessions[2] as string, 2, 'echo', { text: 'served' })).result?.content?.[0]?.text, 'served');
  });
});

describe('an upstream that goes down and comes back', () => {
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

  it('answers calls while it is down with an error naming it, and carries the session on once it is back', async (t) => {
    const client = await connectClient(gw.url, 'legacy');
    t.after(() => client.close());
    assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { message: 'before' } })), 'Echo: before');
    await upstream.stop();
    await assert.rejects(client.callTool({ name: 'echo', arguments: { message: 'down' } }), /the upstream server is unreachable \(ECONNREFUSED\)/);
    const health = (await (await fetch(`${gw.base}/healthz`)).json()) as { servers: { default: { problem?: string } } };
    assert.match(health.servers.default.problem ?? '', /unreachable/);
    upstream = await startEverythingHttp(upstream.port);
    // A restarted upstream has forgotten the session: the gateway makes it again by replay, and the client never knows.
    assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { message: 'back' } })), 'Echo: back');
    assert.match(gw.output(), /upstream session lost: made again by replay/);
  });
});

describe('stdio children when the gateway stops', () => {
  it('on SIGTERM: children are stopped within the drain, and none outlives the gateway', async () => {
    const gw = await spawnGateway({ MCP_SERVER_COMMAND: nodeCommand(EVERYTHING, 'stdio'), CHILD_STOP_GRACE_MS: '2000' }, 30_000);
    const sessionId = await initializeSession(gw.url);
    await postJson(gw.url, sessionId, { jsonrpc: '2.0', id: 2, method: 'ping' }).then((response) => response.text());
    // The 2026-07-28 pool's child and the session's (the child that answered the lazy initialize is gone already).
    const pids = childPids(gw).filter(alive);
    assert.ok(pids.length >= 2, `children ${pids.join(',')} are running`);
    gw.child.kill('SIGTERM');
    const { code } = await gw.exited;
    assert.equal(code, 0);
    await eventually(() => !pids.some(alive), 'every child to be gone', 5000);
  });

  it('on SIGTERM, a child that ignores SIGTERM and outlives its stdin gets SIGKILL once CHILD_STOP_GRACE_MS has passed', async () => {
    const gw = await spawnGateway({ MCP_SERVER_COMMAND: `python3 ${PYTHON_FIXTURE} --stubborn`, CHILD_STOP_GRACE_MS: '500', DRAIN_TIMEOUT_MS: '1000' }, 30_000);
    const sessionId = await initializeSession(gw.url);
    await postJson(gw.url, sessionId, { jsonrpc: '2.0', id: 2, method: 'ping' }).then((response) => response.text());
    const pids = childPids(gw).filter(alive);
    assert.ok(pids.length >= 2, `children ${pids.join(',')} are running`);
    gw.child.kill('SIGTERM');
    assert.equal((await gw.exited).code, 0);
    await eventually(() => !pids.some(alive), 'every stubborn child to be killed', 5000);
  });

  it('on SIGKILL: the children see their stdin close and exit by themselves', async () => {
    const gw = await spawnGateway({ MCP_SERVER_COMMAND: `python3 ${PYTHON_FIXTURE}` }, 30_000);
    const sessionId = await initializeSession(gw.url);
    await postJson(gw.url, sessionId, { jsonrpc: '2.0', id: 2, method: 'ping' }).then((response) => response.text());
    const pids = childPids(gw).filter(alive);
    assert.ok(pids.length >= 2, `children ${pids.join(',')} are running`);
    gw.kill();
    await gw.exited;
    await eventually(() => !pids.some(alive), 'every child to exit on its own', 10_000);
  });
});

// `mcp-fargate verify` against real gateway processes on loopback: all green on a well-configured gateway, and the
// right line red (with a non-zero exit) for each way a deployment goes wrong.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { VerifyReport } from '../src/verify/report.js';
import { CLI_MAIN, cli, freePort, type GatewayProcess, startGateway, tempDir } from './helpers.js';

/** Small waits: a heartbeat every 200 ms, streams held 1.5 s, keep-alive connections 1 s. */
const QUICK = ['--idle-seconds', '1.5', '--keep-alive-seconds', '1'];

function statusOf(report: VerifyReport, id: string): string | undefined {
  return report.checks.find((c) => c.id === id)?.status;
}

describe('verify against a local gateway', () => {
  let gateway: GatewayProcess;
  before(async () => {
    gateway = await startGateway({ SSE_HEARTBEAT_MS: '200' });
  });
  after(() => gateway.stop());

  test('GIVEN a gateway as the stack configures it WHEN verified THEN every required check passes and it exits 0', async () => {
    const run = await cli(['verify', gateway.url, ...QUICK, '--json']);
    const report = JSON.parse(run.out) as VerifyReport;
    const failing = report.checks.filter((c) => c.status === 'fail');
    assert.deepEqual(failing, [], run.out);
    assert.equal(run.code, 0);
    assert.equal(report.ok, true);
    for (const id of [
      'healthz',
      'legacy-initialize',
      'legacy-tools-list',
      'legacy-ping',
      'legacy-delete',
      'modern-discover',
      'modern-tools-list',
      'continuity-no-cookies',
      'continuity-cookies',
      'sse-idle',
      'keep-alive',
      'origin',
    ]) {
      assert.equal(statusOf(report, id), 'pass', id);
    }
    assert.equal(statusOf(report, 'auth'), 'skip', 'auth is checked only when asked');
    assert.equal(report.tasks.length, 1, 'one process answered everything');
  });

  test('GIVEN --call with arguments THEN one real tool call is made and reported; a bad call fails its line', async () => {
    const good = await cli(['verify', gateway.url, ...QUICK, '--call', 'echo', '--args', '{"text":"hello"}']);
    assert.equal(good.code, 0, good.out);
    assert.match(good.out, /✔ tools\/call echo\s+returned "hello"/);
    const bad = await cli(['verify', gateway.url, ...QUICK, '--call', 'echo', '--args', '{"wrong":1}']);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /✘ tools\/call echo\s+failed: /);
    assert.match(bad.out, /fix: check the tool name/);
  });

  test('GIVEN --expect-auth against a gateway that lets anyone in THEN the auth line fails and it exits 1', async () => {
    const run = await cli(['verify', gateway.url, ...QUICK, '--expect-auth']);
    assert.equal(run.code, 1);
    assert.match(run.out, /✘ auth enforced\s+answered 200 without credentials: anyone with the URL can call this MCP/);
    assert.match(run.err, /a required check failed/);
  });

  test('GIVEN the text report THEN each line has its mark and the summary counts them', async () => {
    const run = await cli(['verify', gateway.url, ...QUICK]);
    assert.match(run.out, /^mcp-fargate verify http:\/\/127\.0\.0\.1:\d+\/mcp$/m);
    assert.match(run.out, /✔ SSE stream idle\s+open after 1\.5 s idle, \d+ heartbeats received/);
    assert.match(run.out, /✔ session continuity, cookie jar\s+20\/20 requests kept the session; 1 task answered/);
    assert.match(run.out, /^verify passed: 12 ok, 0 failing \(0 required\), 0 warnings, 1 not run; 1 serving task seen$/m);
  });
});

describe('verify fails the right line', () => {
  test('GIVEN the SSE heartbeat off (SSE_HEARTBEAT_MS=0) THEN the idle stream line fails, naming the heartbeat', async () => {
    const gateway = await startGateway({ SSE_HEARTBEAT_MS: '0' });
    try {
      const run = await cli(['verify', gateway.url, ...QUICK, '--json']);
      const report = JSON.parse(run.out) as VerifyReport;
      assert.equal(run.code, 1);
      assert.deepEqual(
        report.checks.filter((c) => c.status === 'fail').map((c) => c.id),
        ['sse-idle'],
      );
      const line = report.checks.find((c) => c.id === 'sse-idle');
      assert.match(line?.detail ?? '', /no heartbeat reached the client/);
      assert.match(line?.fix ?? '', /SSE_HEARTBEAT_MS/);
    } finally {
      await gateway.stop();
    }
  });

  test('GIVEN a keep-alive shorter than the idle wait THEN the keep-alive line fails, naming KEEP_ALIVE_TIMEOUT_MS', async () => {
    // Node 24 closes an idle connection keepAliveTimeout plus its 1 s keepAliveTimeoutBuffer after the last response:
    // about 2 s here, inside the 3 s the probe waits.
    const gateway = await startGateway({ SSE_HEARTBEAT_MS: '200', KEEP_ALIVE_TIMEOUT_MS: '1000' });
    try {
      const run = await cli(['verify', gateway.url, '--idle-seconds', '1', '--keep-alive-seconds', '3', '--json']);
      const report = JSON.parse(run.out) as VerifyReport;
      assert.equal(run.code, 1);
      assert.deepEqual(
        report.checks.filter((c) => c.status === 'fail').map((c) => c.id),
        ['keep-alive'],
      );
      const line = report.checks.find((c) => c.id === 'keep-alive');
      assert.match(line?.detail ?? '', /the server closed an idle connection after [12]\.\d s, before 3 s/);
      assert.match(line?.fix ?? '', /KEEP_ALIVE_TIMEOUT_MS/);
    } finally {
      await gateway.stop();
    }
  });

  test('GIVEN a closed port THEN a clear error, the other lines not run, and a non-zero exit', async () => {
    const port = await freePort();
    const run = await cli(['verify', `http://127.0.0.1:${port}/mcp`]);
    assert.equal(run.code, 1);
    assert.match(run.out, /✘ GET \/healthz\s+cannot reach 127\.0\.0\.1:\d+: connection refused: nothing listens on that host and port/);
    assert.match(run.out, /- legacy era\s+not run: the URL is unreachable/);
    assert.match(run.err, /^mcp-fargate: http:\/\/127\.0\.0\.1:\d+\/mcp is unreachable/);
  });

  test('GIVEN the real process on a closed port THEN it exits 1 with the message and no stack trace', async () => {
    const port = await freePort();
    const error = await promisify(execFile)(process.execPath, [CLI_MAIN, 'verify', `http://127.0.0.1:${port}/mcp`]).then(
      () => assert.fail('verify should fail'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(error.code, 1);
    assert.match(error.stderr, /is unreachable/);
    assert.doesNotMatch(error.stderr, /\n\s+at /, 'no stack trace');
  });
});

describe('verify usage errors', () => {
  for (const [argv, pattern] of [
    [['verify', 'not a url'], /"not a url" is not a URL; give the MCP URL/],
    [['verify', 'ftp://x/mcp'], /must be an http:\/\/ or https:\/\/ URL/],
    [['verify', 'http://127.0.0.1:9/mcp', '--call', 'echo', '--args', '[1]'], /--args must be a JSON object/],
    [['verify', 'http://127.0.0.1:9/mcp', '--args', '{}x'], /--args goes with --call TOOL|--args must be/],
    [['verify', 'http://127.0.0.1:9/mcp', '--header', 'no colon'], /expected "Name: value"/],
    [['verify', 'http://127.0.0.1:9/mcp', '--idle-seconds', '-3'], /expected a number above 0/],
  ] as const) {
    test(`GIVEN ${argv.slice(2).join(' ') || argv[1]} THEN exit 2 with the problem and the fix`, async () => {
      const run = await cli(argv);
      assert.equal(run.code, 2, run.out + run.err);
      assert.match(run.err, pattern);
    });
  }
});

describe('verify over TLS', () => {
  test('GIVEN an https URL whose certificate is self-signed THEN the TLS line fails with the fix, and nothing else runs', async () => {
    const dir = tempDir('tls');
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-days',
      '1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => res.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as { port: number };
      const run = await cli(['verify', `https://127.0.0.1:${port}/mcp`, '--json']);
      const report = JSON.parse(run.out) as VerifyReport;
      assert.equal(run.code, 1);
      const tls = report.checks.find((c) => c.id === 'tls');
      assert.equal(tls?.status, 'fail');
      assert.match(tls?.detail ?? '', /not valid for 127\.0\.0\.1:\d+: .*(SELF_SIGNED|self-signed)/i);
      assert.match(tls?.fix ?? '', /ACM certificate covering this host/);
      assert.ok(report.checks.filter((c) => c.id !== 'tls').every((c) => c.status === 'skip'));
    } finally {
      server.close();
    }
  });
});

describe('verify with auth (the gateway’s AUTH_MODE)', () => {
  test('GIVEN keys auth WHEN verified with --expect-auth and the key in --header THEN 401 without it, and every call passes with it', async () => {
    const gateway = await startGateway({ SSE_HEARTBEAT_MS: '200', AUTH_MODE: 'keys', AUTH_KEYS: 'k-123', AUTH_HEADER: 'X-Api-Key' });
    try {
      const run = await cli(['verify', gateway.url, ...QUICK, '--expect-auth', '--header', 'X-Api-Key: k-123', '--json']);
      const report = JSON.parse(run.out) as VerifyReport;
      assert.deepEqual(
        report.checks.filter((c) => c.status === 'fail'),
        [],
      );
      assert.equal(statusOf(report, 'auth'), 'pass');
      assert.equal(run.code, 0);
    } finally {
      await gateway.stop();
    }
  });
});

describe('verify against a gateway hosting a stdio server', () => {
  test('GIVEN MCP_SERVER_COMMAND running an SDK v1 stdio server THEN every required check passes and --call reaches the child', async () => {
    const fixture = fileURLToPath(new URL('../../test/fixtures/stdio-server.js', import.meta.url));
    const gateway = await startGateway({ SSE_HEARTBEAT_MS: '200', MCP_SERVER_COMMAND: `${process.execPath} ${fixture}` });
    try {
      const run = await cli(['verify', gateway.url, ...QUICK, '--call', 'shout', '--args', '{"text":"hi"}', '--json']);
      const report = JSON.parse(run.out) as VerifyReport;
      assert.deepEqual(
        report.checks.filter((c) => c.status === 'fail'),
        [],
      );
      assert.match(report.checks.find((c) => c.id === 'call')?.detail ?? '', /returned "HI"/);
      assert.equal(run.code, 0);
    } finally {
      await gateway.stop();
    }
  });
});

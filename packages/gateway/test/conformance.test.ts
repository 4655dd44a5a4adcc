/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance server`) against the gateway process serving
 * the built-in demo: every server scenario, active and pending (`--suite all`), must pass with no expected-failures
 * baseline. The suite's own summary only counts SUCCESS and FAILURE, so the per-check results it writes with
 * `--output-dir` are read too: no check may be a FAILURE or a WARNING.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { spawnGateway, type SpawnedGateway } from './harness.js';
import { EVERYTHING, type EverythingHttp, nodeCommand, startEverythingHttp } from './hosted-servers.js';

const run = promisify(execFile);
const CONFORMANCE = fileURLToPath(new URL('../../../../node_modules/.bin/conformance', import.meta.url));
const SUITE_TIMEOUT_MS = 240_000;

interface Check {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly description?: string;
  readonly errorMessage?: string;
}

async function conformance(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CONFORMANCE, ...args], {
      cwd,
      env: { PATH: process.env['PATH'] ?? '', HOME: cwd, NO_COLOR: '1' },
      timeout: SUITE_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: unknown; signal?: unknown; stdout?: string; stderr?: string };
    if (typeof failure.code !== 'number')
      throw new Error(`conformance ${args.join(' ')} did not finish (${String(failure.code ?? failure.signal)}): ${failure.stderr ?? ''}`);
    return { code: failure.code, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}

describe('official conformance suite against the spawned gateway', { timeout: SUITE_TIMEOUT_MS + 30_000 }, () => {
  let gw: SpawnedGateway;
  let work: string;

  before(async () => {
    gw = await spawnGateway({ LOG_LEVEL: 'warn' });
    work = await mkdtemp(join(tmpdir(), 'conformance-'));
  });
  after(async () => {
    gw.kill();
    await gw.exited;
    await rm(work, { recursive: true, force: true });
  });

  it('passes every server scenario (--suite all) with 0 failed and no warnings', { timeout: SUITE_TIMEOUT_MS }, async () => {
    // The scenarios the installed suite knows, so a scenario that silently did not run is noticed.
    const listed = await conformance(work, 'list', '--server');
    assert.equal(listed.code, 0, listed.stderr);
    const known = [...listed.stdout.matchAll(/^\s+- (\S+) \[/gm)].map((match) => match[1] ?? '');
    assert.ok(known.length >= 30, `expected the suite to list its server scenarios, got: ${listed.stdout}`);

    const results = join(work, 'results');
    const { code, stdout, stderr } = await conformance(work, 'server', '--url', gw.url, '--suite', 'all', '--output-dir', results);
    const summary = stdout.slice(stdout.indexOf('=== SUMMARY ==='));
    assert.match(stdout, new RegExp(`Running all suite \\(${known.length} scenarios\\)`), stdout.slice(0, 500));

    const lines = [...summary.matchAll(/^([✓✗]) (\S+): (\d+) passed, (\d+) failed$/gm)].map((match) => ({
      ok: match[1] === '✓',
      scenario: match[2] ?? '',
      passed: Number(match[3]),
      failed: Number(match[4]),
    }));
    assert.deepEqual(lines.map((line) => line.scenario).sort(), [...known].sort(), `the summary does not name every scenario:\n${summary}`);
    const failing = lines.filter((line) => !line.ok || line.failed !== 0 || line.passed === 0);
    assert.deepEqual(failing, [], `failing scenarios:\n${summary}\n${stderr}`);

    const total = /^Total: (\d+) passed, (\d+) failed$/m.exec(summary);
    assert.ok(total !== null, summary);
    assert.equal(Number(total[2]), 0, summary);
    assert.equal(
      Number(total[1]),
      lines.reduce((sum, line) => sum + line.passed, 0),
    );
    assert.equal(code, 0, `conformance exited ${code}\n${summary}\n${stderr}`);

    // Every check of every scenario, as the suite recorded it.
    const checks: Check[] = [];
    const scenarioDirs = await readdir(results);
    assert.equal(scenarioDirs.length, known.length, scenarioDirs.join(', '));
    for (const dir of scenarioDirs) checks.push(...(JSON.parse(await readFile(join(results, dir, 'checks.json'), 'utf8')) as Check[]));
    const bad = checks.filter((check) => check.status !== 'SUCCESS' && check.status !== 'INFO');
    assert.deepEqual(bad, [], 'checks that are neither SUCCESS nor INFO');
    assert.equal(checks.filter((check) => check.status === 'SUCCESS').length, Number(total[1]));
  });
});

/**
 * The suite's scenarios that do not depend on the demo's fixtures (tool and resource names the suite specifies),
 * against server-everything hosted as a stdio child and as an upstream HTTP server: what the gateway adds (sessions,
 * resumable streams, Origin checks, subscriptions) holds whatever it hosts.
 */
const GENERIC_SCENARIOS = [
  'server-initialize',
  'ping',
  'tools-list',
  'resources-list',
  'prompts-list',
  'logging-set-level',
  'resources-subscribe',
  'resources-unsubscribe',
  'dns-rebinding-protection',
  'server-sse-multiple-streams',
];

describe('official conformance scenarios that apply to any server, against hosted server-everything', { timeout: SUITE_TIMEOUT_MS }, () => {
  let work: string;
  let upstream: EverythingHttp;
  const gateways: SpawnedGateway[] = [];
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'conformance-hosted-'));
    upstream = await startEverythingHttp();
  });
  after(async () => {
    for (const gw of gateways) gw.kill();
    await upstream.stop();
    await rm(work, { recursive: true, force: true });
  });

  for (const [kind, env] of [
    ['a stdio child', () => ({ MCP_SERVER_COMMAND: nodeCommand(EVERYTHING, 'stdio') })],
    ['an upstream HTTP server', () => ({ MCP_SERVER_URL: upstream.url })],
  ] as const) {
    it(`passes ${GENERIC_SCENARIOS.length} scenarios hosting it as ${kind}`, { timeout: SUITE_TIMEOUT_MS }, async () => {
      const gw = await spawnGateway({ LOG_LEVEL: 'warn', ...env() }, 30_000);
      gateways.push(gw);
      for (const scenario of GENERIC_SCENARIOS) {
        const { code, stdout, stderr } = await conformance(work, 'server', '--url', gw.url, '--scenario', scenario);
        assert.match(stdout, /Passed: (\d+)\/\1, 0 failed, 0 warnings/, `${scenario}:\n${stdout}\n${stderr}`);
        assert.equal(code, 0, `${scenario}: ${stderr}`);
      }
    });
  }
});

// verify through a real HAProxy in front of gateway processes: what it reports about session continuity with and
// without stickiness and with the memory and the shared (redis) session store, and an idle timeout that cuts streams
// when the heartbeat is off.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { VerifyReport } from '../src/verify/report.js';
import { startCluster, startRedis } from './haproxy-cluster.js';
import { cli } from './helpers.js';

/** The proxy's idle timeout (2 s) sits between the keep-alive probe (1 s) and the idle stream (3 s), as the ALB's 120 s does between 115 and 130. */
const PROXY_IDLE_MS = 2000;
const WAITS = ['--idle-seconds', '3', '--keep-alive-seconds', '1', '--json'];

async function verifyThrough(options: Parameters<typeof startCluster>[0]): Promise<{ code: number; report: VerifyReport; raw: string }> {
  const cluster = await startCluster(options);
  try {
    const run = await cli(['verify', cluster.url, ...WAITS]);
    return { code: run.code, report: JSON.parse(run.out) as VerifyReport, raw: run.out };
  } finally {
    await cluster.stop();
  }
}

const line = (report: VerifyReport, id: string) => report.checks.find((c) => c.id === id);

describe('verify behind HAProxy', () => {
  test('GIVEN one gateway behind the proxy WHEN verified THEN every required check passes (heartbeats outlive the proxy idle timeout)', async () => {
    const { code, report, raw } = await verifyThrough({
      gateways: 1,
      stickiness: 'off',
      idleTimeoutMs: PROXY_IDLE_MS,
      gatewayEnv: { SSE_HEARTBEAT_MS: '300' },
    });
    assert.deepEqual(
      report.checks.filter((c) => c.status === 'fail' || c.status === 'warn'),
      [],
      raw,
    );
    assert.equal(code, 0);
    assert.match(line(report, 'sse-idle')?.detail ?? '', /open after 3\.0 s idle/);
  });

  test('GIVEN two gateways with memory sessions and no stickiness THEN continuity fails with a cookie jar, warns without, and two tasks are seen', async () => {
    const { code, report } = await verifyThrough({ gateways: 2, stickiness: 'off', idleTimeoutMs: PROXY_IDLE_MS, gatewayEnv: { SSE_HEARTBEAT_MS: '300' } });
    assert.equal(code, 1);
    assert.equal(report.tasks.length, 2);
    const withCookies = line(report, 'continuity-cookies');
    assert.equal(withCookies?.status, 'fail');
    assert.match(withCookies?.detail ?? '', /the session was lost on \d+ of 20 requests \(404: another task answered\); 2 tasks answered/);
    assert.match(withCookies?.fix ?? '', /stickiness/);
    const withoutCookies = line(report, 'continuity-no-cookies');
    assert.equal(withoutCookies?.status, 'warn');
    assert.equal(withoutCookies?.required, false);
    // Stateless modern requests do not care which task answers.
    assert.equal(line(report, 'modern-tools-list')?.status, 'pass');
  });

  test('GIVEN two gateways with cookie stickiness THEN the cookie jar keeps its session on one task, a cookie-less client still loses it (a warning), and it exits 0', async () => {
    const { code, report, raw } = await verifyThrough({
      gateways: 2,
      stickiness: 'cookie',
      idleTimeoutMs: PROXY_IDLE_MS,
      gatewayEnv: { SSE_HEARTBEAT_MS: '300' },
    });
    const withCookies = line(report, 'continuity-cookies');
    assert.equal(withCookies?.status, 'pass', raw);
    assert.match(withCookies?.detail ?? '', /20\/20 requests kept the session; 1 task answered/);
    const withoutCookies = line(report, 'continuity-no-cookies');
    assert.equal(withoutCookies?.status, 'warn');
    assert.match(withoutCookies?.detail ?? '', /2 tasks answered/);
    assert.equal(report.tasks.length, 2);
    assert.deepEqual(
      report.checks.filter((c) => c.status === 'fail'),
      [],
      raw,
    );
    assert.equal(code, 0);
  });

  test('GIVEN the heartbeat off behind the proxy THEN the proxy cuts the idle stream at its timeout and that line fails', async () => {
    const { code, report } = await verifyThrough({ gateways: 1, stickiness: 'off', idleTimeoutMs: PROXY_IDLE_MS, gatewayEnv: { SSE_HEARTBEAT_MS: '0' } });
    assert.equal(code, 1);
    assert.deepEqual(
      report.checks.filter((c) => c.status === 'fail').map((c) => c.id),
      ['sse-idle'],
    );
    assert.match(line(report, 'sse-idle')?.detail ?? '', /the stream was closed after 2\.\d s, before 3 s \(0 heartbeats received\)/);
  });

  test('GIVEN two gateways sharing a redis session store and no stickiness THEN every session survives every hop, with and without cookies, and it exits 0', async () => {
    const redis = await startRedis();
    try {
      const { code, report, raw } = await verifyThrough({
        gateways: 2,
        stickiness: 'off',
        idleTimeoutMs: PROXY_IDLE_MS,
        gatewayEnv: { SSE_HEARTBEAT_MS: '300', SESSION_STORE: 'redis', REDIS_URL: redis.url },
      });
      for (const id of ['continuity-cookies', 'continuity-no-cookies']) {
        assert.equal(line(report, id)?.status, 'pass', raw);
        assert.match(line(report, id)?.detail ?? '', /20\/20 requests kept the session; 2 tasks answered/);
      }
      assert.deepEqual(
        report.checks.filter((c) => c.status === 'fail' || c.status === 'warn'),
        [],
        raw,
      );
      assert.equal(code, 0);
    } finally {
      await redis.stop();
    }
  });
});

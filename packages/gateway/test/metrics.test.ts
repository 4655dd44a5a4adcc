import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EMF } from '../src/metrics/emf-metrics.js';
import { initializeSession, modernRequest, postJson, startTestGateway } from './harness.js';

interface EmfDocument {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

describe('CloudWatch EMF metrics', () => {
  it('uses exactly the names the CDK dashboard reads', async () => {
    // A test-only look across packages: the gateway must not depend on aws-cdk-lib.
    const cdkPath = '../../../cdk/dist/src/gateway-metrics.js';
    const { GATEWAY_METRICS } = (await import(cdkPath)) as { GATEWAY_METRICS: Record<string, string> };
    assert.deepEqual({ ...EMF }, { ...GATEWAY_METRICS });
  });

  it('writes per-method requests, errors and latencies, and live sessions, under the configured service', async (t) => {
    const written: string[] = [];
    const gw = await startTestGateway(
      { METRICS: 'emf', METRICS_SERVICE: 'mcp-test', METRICS_INTERVAL_MS: '3600000' },
      { writeMetrics: (lines) => written.push(lines) },
    );
    t.after(() => gw.close());
    const sessionId = await initializeSession(gw.url);
    for (const id of [2, 3, 4])
      await (await postJson(gw.url, sessionId, { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text: 'm' } } })).text();
    await (await postJson(gw.url, sessionId, { jsonrpc: '2.0', id: 5, method: 'no/such' })).text();
    const mismatched = modernRequest(6, 'tools/call', { name: 'echo', arguments: { text: 'm' } }, 'other');
    await (await fetch(gw.url, { method: 'POST', headers: mismatched.headers, body: mismatched.body })).text();
    await gw.close();
    const documents = written
      .join('')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as EmfDocument);
    const byMethod = new Map(documents.filter((doc) => doc[EMF.methodDimension] !== undefined).map((doc) => [doc[EMF.methodDimension], doc]));
    const calls = byMethod.get('tools/call');
    assert.ok(calls, JSON.stringify(documents));
    assert.equal(calls[EMF.serviceDimension], 'mcp-test');
    assert.equal((calls[EMF.latencyMs] as number[]).length, 4);
    const directive = calls._aws.CloudWatchMetrics[0];
    assert.equal(directive?.Namespace, 'McpFargate');
    assert.deepEqual(directive?.Dimensions, [['Service'], ['Service', 'McpMethod'], ['Service', 'Server'], ['Service', 'Server', 'McpMethod']]);
    assert.equal(calls[EMF.serverDimension], 'default');
    assert.equal(byMethod.get('no/such'), undefined, 'a made-up method never becomes a metric of its own');
    assert.equal(byMethod.get('other')?.[EMF.errors], 1, 'an in-band JSON-RPC error counts as an error');
    assert.equal(calls[EMF.requests], 4, 'the modern request counts under its method too');
    assert.equal(calls[EMF.errors], 1, 'a modern request refused for its headers counts as an error');
    const live = documents.find((doc) => doc[EMF.liveSessions] !== undefined);
    assert.equal(live?.[EMF.liveSessions], 1);
  });

  it('keeps the McpMethod dimension to the methods the spec defines, whatever names clients make up', async (t) => {
    const written: string[] = [];
    const gw = await startTestGateway({ METRICS: 'emf', METRICS_INTERVAL_MS: '3600000' }, { writeMetrics: (lines) => written.push(lines) });
    t.after(() => gw.close());
    const sessionId = await initializeSession(gw.url);
    for (let i = 0; i < 300; i += 1) {
      await (await postJson(gw.url, sessionId, { jsonrpc: '2.0', id: i + 10, method: `made/up-${i}` })).text();
      const modern = modernRequest(i, `made/up-modern-${i}`);
      await (await fetch(gw.url, { method: 'POST', headers: modern.headers, body: modern.body })).text();
    }
    await gw.close();
    const methods = new Set(
      written
        .join('')
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as EmfDocument)[EMF.methodDimension])
        .filter((method) => method !== undefined),
    );
    assert.deepEqual([...methods].sort(), ['initialize', 'notifications/initialized', 'other']);
  });
});

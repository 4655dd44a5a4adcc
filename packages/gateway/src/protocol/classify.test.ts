import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { classifyInboundRequest, type InboundHttpRequest } from '@modelcontextprotocol/server';
import { InboundClassifier } from './classify.js';

const PV = 'io.modelcontextprotocol/protocolVersion';
const CI = 'io.modelcontextprotocol/clientInfo';
const CC = 'io.modelcontextprotocol/clientCapabilities';

/** What routing depends on: the era, or the exact rejection. */
function decision(outcome: ReturnType<typeof classifyInboundRequest>): unknown {
  switch (outcome.kind) {
    case 'reject':
      return { kind: 'reject', status: outcome.httpStatus, code: outcome.code, message: outcome.message };
    case 'legacy':
      return { kind: 'legacy' };
    case 'modern':
      return { kind: 'modern', messageKind: outcome.messageKind, message: outcome.message, classification: outcome.classification };
  }
}

const version = fc.constantFrom(undefined, '2025-11-25', '2025-03-26', '2026-07-28', '2099-01-01', 'garbage', 7);
const envelope = fc.record(
  {
    [PV]: version,
    [CI]: fc.oneof(fc.constant({ name: 'c', version: '1' }), fc.constant({ name: 3 }), fc.constant('x'), fc.constant({ name: 'c', version: '1', title: 'T' })),
    [CC]: fc.oneof(fc.constant({}), fc.constant({ sampling: {} }), fc.constant({ sampling: 'yes' }), fc.constant(null)),
    progressToken: fc.oneof(fc.constant('p'), fc.constant(3), fc.constant({ bad: true })),
    other: fc.constant('x'),
  },
  { requiredKeys: [] },
);
const request: fc.Arbitrary<InboundHttpRequest> = fc.record(
  {
    httpMethod: fc.constant('POST'),
    protocolVersionHeader: fc.constantFrom(undefined, '2025-11-25', '2026-07-28', '2099-01-01'),
    mcpMethodHeader: fc.constantFrom(undefined, 'tools/call', 'initialize', 'ping'),
    body: fc.oneof(
      fc.record(
        {
          jsonrpc: fc.constantFrom('2.0', '1.0'),
          id: fc.oneof(fc.constant(1), fc.constant('a'), fc.constant(1.5), fc.constant(null), fc.constant({})),
          method: fc.constantFrom('tools/call', 'initialize', 'ping', 'notifications/initialized', 7),
          params: fc.oneof(
            fc.constant(undefined),
            fc.constant(null),
            fc.constant([]),
            fc.record({ name: fc.constant('echo'), _meta: fc.oneof(envelope, fc.constant(null)) }, { requiredKeys: [] }),
          ),
        },
        { requiredKeys: ['jsonrpc', 'method'] },
      ),
      fc.jsonValue(),
    ),
  },
  { requiredKeys: ['httpMethod', 'body'] },
);

describe('InboundClassifier', () => {
  it('decides exactly as the SDK classifier does, for every shape of request', () => {
    const classifier = new InboundClassifier();
    fc.assert(
      fc.property(request, (input) => {
        assert.deepEqual(decision(classifier.classify(input)), decision(classifyInboundRequest(input)));
      }),
      { numRuns: 3000 },
    );
  });

  it('GIVEN an envelope that claims a 2025 revision, matching its header THEN it decides as the SDK does (fast-check counterexample, seed -1979800977)', () => {
    const input: InboundHttpRequest = {
      httpMethod: 'POST',
      protocolVersionHeader: '2025-11-25',
      body: { jsonrpc: '2.0', id: 'a', method: 'tools/call', params: { _meta: { [PV]: '2025-11-25', [CC]: {} } } },
    };
    assert.deepEqual(decision(new InboundClassifier().classify(input)), decision(classifyInboundRequest(input)));
  });

  it('takes the fast path for a plain modern request with a valid envelope', () => {
    const classifier = new InboundClassifier();
    const body = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { [PV]: '2026-07-28', [CI]: { name: 'c', version: '1' }, [CC]: {} } } };
    const outcome = classifier.classify({ httpMethod: 'POST', protocolVersionHeader: '2026-07-28', mcpMethodHeader: 'tools/list', body });
    assert.equal(outcome.kind, 'modern');
    assert.equal(outcome.kind === 'modern' ? outcome.message : undefined, body);
  });
});

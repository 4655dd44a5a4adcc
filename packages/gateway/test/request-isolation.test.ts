/**
 * CVE-2026-25536-style isolation: the SDK once let one request see another's answer when a server instance was reused
 * across requests that carried the same JSON-RPC id. Here many requests run at once, all with the SAME id, each with
 * its own data, and every answer (and every notification on its stream) must be exactly its own. Modern requests
 * share one hosted instance (the default) or get one each; legacy sessions each have their own instance but share the
 * gateway's routing.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { initializeSession, modernPost, postJson, readSse, rpcMessages, startTestGateway, type RpcMessage, type TestGateway } from './harness.js';

const N = 50;
const indexes = Array.from({ length: N }, (_, i) => i);

function resultText(message: RpcMessage | undefined): string {
  const content = message?.result?.['content'] as { type?: string; text?: string }[] | undefined;
  assert.ok(Array.isArray(content) && content.length === 1 && content[0]?.type === 'text', JSON.stringify(message));
  return content[0]?.text ?? '';
}

/** The single response of a reply (JSON or SSE) plus the notifications that came before it. */
async function reply(response: Response): Promise<{ response: RpcMessage | undefined; notifications: RpcMessage[] }> {
  assert.equal(response.status, 200);
  const messages = await rpcMessages(response);
  const responses = messages.filter((message) => message.method === undefined);
  assert.equal(responses.length, 1, JSON.stringify(messages));
  return { response: responses[0], notifications: messages.filter((message) => message.method !== undefined) };
}

/** Distinct sleep lengths, longest first, so the calls finish in the reverse of the order they started. */
const sleepMs = (i: number): number => 30 + (N - 1 - i) * 6;

for (const instances of ['shared', 'per-request'] as const) {
  describe(`modern requests (MODERN_INSTANCES=${instances}) that all use id 1`, () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startTestGateway({ MODERN_INSTANCES: instances });
    });
    after(() => gw.close());

    it(`${N} concurrent echo calls each get their own text`, async () => {
      const texts = indexes.map((i) => `modern-${instances}-${i}-${'x'.repeat(i)}`);
      const replies = await Promise.all(
        texts.map(async (text) =>
          reply(await modernPost(gw.url, { id: 1, method: 'tools/call', name: 'echo', params: { name: 'echo', arguments: { text } } })),
        ),
      );
      replies.forEach(({ response }, i) => {
        assert.equal(response?.id, 1);
        assert.equal(resultText(response), texts[i]);
      });
    });

    it(`${N} overlapping slow calls that finish in reverse order each get their own answer`, async () => {
      const replies = await Promise.all(
        indexes.map(async (i) =>
          reply(await modernPost(gw.url, { id: 1, method: 'tools/call', name: 'slow', params: { name: 'slow', arguments: { ms: sleepMs(i) } } })),
        ),
      );
      replies.forEach(({ response }, i) => {
        assert.equal(response?.id, 1);
        assert.equal(resultText(response), `slept ${sleepMs(i)} ms`);
      });
    });

    it(`${N} concurrent progress calls each see only their own progress notifications`, async () => {
      const replies = await Promise.all(
        indexes.map(async (i) =>
          reply(
            await modernPost(gw.url, {
              id: 1,
              method: 'tools/call',
              name: 'test_tool_with_progress',
              params: { name: 'test_tool_with_progress', arguments: {} },
              meta: { progressToken: `token-${i}` },
            }),
          ),
        ),
      );
      replies.forEach(({ response, notifications }, i) => {
        assert.equal(response?.id, 1);
        assert.equal(resultText(response), `Progress reported for token token-${i}`);
        assert.deepEqual(
          notifications.map((n) => [n.method, n.params?.['progressToken'], n.params?.['progress']]),
          [
            ['notifications/progress', `token-${i}`, 0],
            ['notifications/progress', `token-${i}`, 50],
            ['notifications/progress', `token-${i}`, 100],
          ],
        );
      });
    });

    it(`${N} concurrent InputRequiredResult retries each see only their own inputResponses`, async () => {
      const replies = await Promise.all(
        indexes.map(async (i) =>
          reply(
            await modernPost(gw.url, {
              id: 1,
              method: 'tools/call',
              name: 'test_sampling',
              params: {
                name: 'test_sampling',
                arguments: { prompt: `prompt-${i}` },
                inputResponses: { answer: { role: 'assistant', model: 'm', content: { type: 'text', text: `answer-${i}` } } },
              },
            }),
          ),
        ),
      );
      replies.forEach(({ response }, i) => {
        assert.equal(response?.id, 1);
        assert.equal(resultText(response), `LLM response: answer-${i}`);
      });
    });

    it('keeps the ids 1 and "1" apart', async () => {
      const ids = indexes.map((i) => (i % 2 === 0 ? 1 : '1'));
      const replies = await Promise.all(
        ids.map(async (id, i) =>
          reply(await modernPost(gw.url, { id, method: 'tools/call', name: 'slow', params: { name: 'slow', arguments: { ms: sleepMs(i) } } })),
        ),
      );
      replies.forEach(({ response }, i) => {
        assert.equal(response?.id, ids[i]);
        assert.equal(resultText(response), `slept ${sleepMs(i)} ms`);
      });
    });
  });
}

describe(`${N} legacy sessions that all use id 1`, () => {
  let gw: TestGateway;
  let sessions: string[];
  before(async () => {
    gw = await startTestGateway();
    sessions = await Promise.all(indexes.map(() => initializeSession(gw.url, '2025-11-25', { sampling: {} })));
    assert.equal(new Set(sessions).size, N);
  });
  after(() => gw.close());

  it('each get their own echo text', async () => {
    const replies = await Promise.all(
      sessions.map(async (session, i) =>
        reply(
          await postJson(gw.url, session, {
            jsonrpc: '2.0',
            id: 1,
            method: 'tools/call',
            params: { name: 'echo', arguments: { text: `legacy-${i}-${session}` } },
          }),
        ),
      ),
    );
    replies.forEach(({ response }, i) => {
      assert.equal(response?.id, 1);
      assert.equal(resultText(response), `legacy-${i}-${sessions[i]}`);
    });
  });

  it('each get their own answer from overlapping slow calls that finish in reverse order', async () => {
    const replies = await Promise.all(
      sessions.map(async (session, i) =>
        reply(await postJson(gw.url, session, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'slow', arguments: { ms: sleepMs(i) } } })),
      ),
    );
    replies.forEach(({ response }, i) => {
      assert.equal(response?.id, 1);
      assert.equal(resultText(response), `slept ${sleepMs(i)} ms`);
    });
  });

  it('each see only their own progress notifications', async () => {
    const replies = await Promise.all(
      sessions.map(async (session, i) =>
        reply(
          await postJson(gw.url, session, {
            jsonrpc: '2.0',
            id: 1,
            method: 'tools/call',
            params: { name: 'test_tool_with_progress', arguments: {}, _meta: { progressToken: `legacy-token-${i}` } },
          }),
        ),
      ),
    );
    replies.forEach(({ response, notifications }, i) => {
      assert.equal(resultText(response), `Progress reported for token legacy-token-${i}`);
      assert.deepEqual(
        notifications.map((n) => [n.method, n.params?.['progressToken']]),
        [0, 1, 2].map(() => ['notifications/progress', `legacy-token-${i}`]),
      );
    });
  });

  it('each complete their own sampling round trip, with the same ids on both sides', async () => {
    const results = await Promise.all(
      sessions.map(async (session, i) => {
        const response = await postJson(gw.url, session, {
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'test_sampling', arguments: { prompt: `prompt-${i}` } },
        });
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('content-type'), 'text/event-stream');
        const stream = readSse(response);
        try {
          const request = await stream.waitFor((message) => message.method === 'sampling/createMessage', 10_000);
          const messages = request.params?.['messages'] as { content: { text: string } }[];
          assert.equal(messages[0]?.content.text, `prompt-${i}`);
          const answered = await postJson(gw.url, session, {
            jsonrpc: '2.0',
            id: request.id,
            result: { model: 'm', role: 'assistant', content: { type: 'text', text: `answer-${i}` } },
          });
          assert.equal(answered.status, 202);
          await answered.text();
          const result = await stream.waitFor((message) => message.method === undefined && message.id === 1, 10_000);
          return { requestId: request.id, result };
        } finally {
          await stream.cancel();
        }
      }),
    );
    // Every session's server numbered its request the same way: the ids collide across sessions, the answers may not.
    assert.equal(new Set(results.map(({ requestId }) => JSON.stringify(requestId))).size, 1);
    for (const [i, { result }] of results.entries()) assert.equal(resultText(result), `LLM response: answer-${i}`);
  });
});

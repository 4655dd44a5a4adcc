import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { modernRequest, startTestGateway, type TestGateway } from './harness.js';

/** Opens a modern subscriptions/listen stream and reads up to its acknowledgement. */
async function listen(
  url: string,
  id: number,
  resourceSubscriptions: string[],
): Promise<{ status: number; text: string; close: () => void; read: (until: RegExp) => Promise<string> }> {
  const request = modernRequest(id, 'subscriptions/listen', { notifications: { resourceSubscriptions } });
  const controller = new AbortController();
  const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body, signal: controller.signal });
  if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) {
    return { status: response.status, text: await response.text(), close: () => {}, read: async () => '' };
  }
  const reader = response.body!.getReader();
  let text = '';
  const read = async (until: RegExp): Promise<string> => {
    const deadline = Date.now() + 5000;
    while (!until.test(text) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    return text;
  };
  await read(/subscriptions\/acknowledged/);
  return { status: response.status, text, close: () => controller.abort(), read };
}

describe('subscriptions/listen resource watches', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw.close());

  it('releases the watch of a closed listen, so churn never exhausts the hosted instance', async () => {
    for (let i = 0; i < 600; i += 1) {
      const stream = await listen(gw.url, i, [`test://junk/${i}`]);
      assert.equal(stream.status, 200);
      stream.close();
    }
    const watcher = await listen(gw.url, 9999, ['test://watched-resource']);
    const update = modernRequest(10_000, 'tools/call', { name: 'update_watched_resource', arguments: {} }, 'update_watched_resource');
    await (await fetch(gw.url, { method: 'POST', headers: update.headers, body: update.body })).text();
    const text = await watcher.read(/notifications\/resources\/updated/);
    watcher.close();
    assert.match(text, /test:\/\/watched-resource/);
  });

  it('refuses a filter with too many resources (Invalid params)', async () => {
    const refused = await listen(
      gw.url,
      1,
      Array.from({ length: 65 }, (_, i) => `test://many/${i}`),
    );
    assert.match(refused.text, /-32602/);
  });
});

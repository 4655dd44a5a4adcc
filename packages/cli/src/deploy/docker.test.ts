import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { commandRunner, pushedDigest, tail } from './docker.js';

describe('commandRunner', () => {
  const run = commandRunner();

  test('GIVEN a child that exits without reading a large input THEN its exit code comes back, no EPIPE escapes', async () => {
    // Larger than a pipe buffer, so the write is still pending when the child exits.
    const result = await run('sh', ['-c', 'echo refused >&2; exit 3'], { input: 'x'.repeat(4 * 1024 * 1024) });
    assert.equal(result.code, 3);
    assert.match(result.stderr, /refused/);
  });

  test('GIVEN input THEN the child reads it on stdin; GIVEN none THEN stdin is closed', async () => {
    assert.equal((await run('sh', ['-c', 'cat'], { input: 'secret' })).stdout, 'secret');
    assert.equal((await run('sh', ['-c', 'cat; echo done'])).stdout, 'done\n');
  });

  test('GIVEN a command that is not installed THEN code null and the reason, not an exception', async () => {
    const result = await run('mcp-fargate-no-such-command', []);
    assert.equal(result.code, null);
    assert.match(result.stderr, /ENOENT/);
  });

  test('GIVEN docker push output THEN the digest; GIVEN a long failure THEN its last lines', () => {
    assert.equal(pushedDigest(`v1: digest: sha256:${'e'.repeat(64)} size: 1789`), `sha256:${'e'.repeat(64)}`);
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n');
    assert.equal(tail({ code: 1, stdout: lines, stderr: 'denied' }, 2), 'line 39\ndenied');
  });
});

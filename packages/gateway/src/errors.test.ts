import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GATEWAY_ERRORS, RETIRED_ERROR_CODES } from './errors.js';

/** The gateway's sources as written (tests read the TypeScript, not the build). */
const SOURCE_ROOT = fileURLToPath(new URL('../../src/', import.meta.url));
const README = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');

function sources(dir: string): { path: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    if (!entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts') || entry.name.endsWith('.contract.ts')) return [];
    return [{ path: path.slice(SOURCE_ROOT.length), text: readFileSync(path, 'utf8') }];
  });
}

describe('the errors table', () => {
  const files = sources(SOURCE_ROOT);
  const answering = files.filter((file) => file.path !== 'errors.ts');

  it('has no code that no path produces', () => {
    for (const code of Object.keys(GATEWAY_ERRORS)) {
      assert.ok(
        answering.some((file) => file.text.includes(`'${code}'`)),
        `${code} is in the table but no source answers with it: remove it (and add it to RETIRED_ERROR_CODES)`,
      );
    }
  });

  it('never reuses a retired code', () => {
    for (const code of RETIRED_ERROR_CODES) assert.ok(!(code in GATEWAY_ERRORS), `${code} was retired`);
  });

  it('is the only place a JSON-RPC error code is written', () => {
    for (const file of answering) {
      assert.doesNotMatch(file.text, /-32\d{3}\b/, `${file.path} writes a JSON-RPC error code of its own: add the error to the table`);
      assert.doesNotMatch(file.text, /ProtocolErrorCode\./, `${file.path} answers with an SDK error code of its own: add the error to the table`);
    }
  });

  it('is documented in the README, code by code, with its status and JSON-RPC code', () => {
    for (const [code, { status, rpc }] of Object.entries(GATEWAY_ERRORS)) {
      const row = README.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      assert.ok(row, `README has no row for ${code}`);
      assert.ok(row.includes(`| ${status} |`) && row.includes(`| ${rpc} |`), `README row for ${code} does not say ${status} and ${rpc}: ${row}`);
    }
  });
});

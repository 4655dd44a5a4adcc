import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SOURCE_ROOT = fileURLToPath(new URL('../../src/', import.meta.url));
const ARCHITECTURE = readFileSync(new URL('../../../../ARCHITECTURE.md', import.meta.url), 'utf8');

/** The layer table of ARCHITECTURE.md: each top-level path of src/ and its rank (leaves have none). */
function layers(): Map<string, number | 'leaf'> {
  const ranks = new Map<string, number | 'leaf'>();
  for (const line of ARCHITECTURE.split('\n')) {
    const row = /^\| (\d+|leaf) \| (.+?) \|/.exec(line);
    if (row === null) continue;
    const rank = row[1] === 'leaf' ? 'leaf' : Number(row[1]);
    for (const path of (row[2] as string).match(/`[^`]+`/g) ?? []) ranks.set(path.slice(1, -1).replace(/\/$/, ''), rank);
  }
  return ranks;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** The top-level entry of src/ a file belongs to (`http` for `http/router.ts`, `errors.ts` for itself). */
function topOf(path: string): string {
  return relative(SOURCE_ROOT, path).split(/[\\/]/)[0] as string;
}

describe('ARCHITECTURE.md and the tree', () => {
  const ranks = layers();
  const files = sourceFiles(SOURCE_ROOT);

  it('names every top-level path of src/, and names nothing that does not exist', () => {
    const tops = new Set(files.map(topOf));
    for (const top of tops) assert.ok(ranks.has(top), `ARCHITECTURE.md does not place src/${top} in a layer`);
    for (const named of ranks.keys()) assert.ok(tops.has(named), `ARCHITECTURE.md names src/${named}, which does not exist`);
  });

  it('has imports that run down the layers, never up or sideways', () => {
    for (const file of files) {
      const from = topOf(file);
      const fromRank = ranks.get(from);
      const text = readFileSync(file, 'utf8');
      for (const [, specifier] of text.matchAll(/^(?:import|export)[^'"]*from '(\.[^']+)'/gm)) {
        const target = topOf(normalize(join(dirname(file), (specifier as string).replace(/\.js$/, '.ts'))));
        if (target === from) continue;
        const toRank = ranks.get(target);
        const where = `${relative(SOURCE_ROOT, file)} imports ${specifier}`;
        if (fromRank === 'leaf') {
          assert.equal(toRank, 'leaf', `${where}: a leaf imports only leaves`);
          continue;
        }
        if (toRank === 'leaf') continue;
        // The entry files of layer 1 (main, index) build on gateway.ts; every other row is strictly one way.
        const allowed = typeof fromRank === 'number' && typeof toRank === 'number' && (toRank > fromRank || (fromRank === 1 && toRank === 1));
        assert.ok(allowed, `${where}: layer ${fromRank} may only import layers below it, not ${toRank}`);
      }
    }
  });

  it('keeps node:http in http/', () => {
    for (const file of files) {
      if (topOf(file) === 'http') continue;
      assert.doesNotMatch(readFileSync(file, 'utf8'), /from 'node:http'/, `${relative(SOURCE_ROOT, file)} imports node:http`);
    }
  });
});

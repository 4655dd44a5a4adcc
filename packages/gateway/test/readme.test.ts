import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CONFIG_VARIABLES } from '../src/index.js';

const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');

it('the README opens with the run and test commands', () => {
  const opening = readme.split('\n').slice(0, 8).join('\n');
  assert.match(opening, /```sh\nnpm ci && npm start .*\nnpm test /);
});

it('the README documents every configuration variable with its default', () => {
  for (const [name, fallback] of Object.entries(CONFIG_VARIABLES)) {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
    assert.ok(row, `README has no row for ${name}`);
    if (fallback !== '') assert.ok(row.includes(`\`${fallback}\``), `README row for ${name} does not name its default ${fallback}`);
  }
});

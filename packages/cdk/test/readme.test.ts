// The package README documents every prop of the construct and every field of the config file, with its default:
// a prop or field added without a row here fails.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { deploymentConfigJsonSchema } from '../src/deployment-config.js';
import { GATEWAY_SETTINGS, RESERVED_ENVIRONMENT } from '../src/gateway-env.js';
import { REPO_ROOT } from './fixtures.js';

const readme = readFileSync(join(REPO_ROOT, 'packages/cdk/README.md'), 'utf8');
const section = (from: string, to: string) => readme.slice(readme.indexOf(from), readme.indexOf(to, readme.indexOf(from) + from.length));
const rows = (text: string) => text.split('\n').filter((line) => line.startsWith('| '));

describe('README', () => {
  test('GIVEN McpFargateServiceProps THEN every prop has a @default in its doc (or is required) and a row in the props table', () => {
    const source = readFileSync(join(REPO_ROOT, 'packages/cdk/src/service/props.ts'), 'utf8');
    const start = source.indexOf('export interface McpFargateServiceProps {');
    const body = source.slice(start, source.indexOf('\n}\n', start));
    const props = [...body.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*readonly (\w+)(\??):/g)].map((m) => ({
      doc: m[1] ?? '',
      name: m[2] ?? '',
      optional: m[3] === '?',
    }));
    assert.ok(props.length >= 40, `${props.length} props found`);
    const table = rows(section('## The construct', '## Sessions on AWS'));
    for (const prop of props) {
      if (prop.optional) assert.match(prop.doc, /@default/, `${prop.name} documents its @default`);
      const row = table.find((line) => line.split('|')[1]?.includes(`\`${prop.name}\``));
      assert.ok(row !== undefined, `the README props table has a row for ${prop.name}`);
      assert.ok((row.split('|')[2] ?? '').trim() !== '', `the row of ${prop.name} gives its default`);
    }
  });

  test('GIVEN the config JSON Schema THEN every field (and every field of an object field) is in the config table with its default', () => {
    const schema = deploymentConfigJsonSchema() as { properties: Record<string, { properties?: Record<string, unknown> }> };
    const table = rows(section('## The deployment config', '## The gateway'));
    const documented = (parent: string, child?: string) =>
      table.some((line) => {
        const [, field = '', byDefault = ''] = line.split('|');
        if (!field.includes(`\`${parent}`) || byDefault.trim() === '') return false;
        return child === undefined || line.includes(`${parent}.${child}`) || line.includes(`\`${child}\``) || line.includes(`"${child}"`);
      });
    for (const [name, field] of Object.entries(schema.properties)) {
      assert.ok(documented(name), `the README config table documents ${name}`);
      for (const child of Object.keys(field.properties ?? {})) assert.ok(documented(name, child), `the README config table documents ${name}.${child}`);
    }
  });

  test("GIVEN the root README's gateway configuration table THEN each variable is one the construct sets or one in GATEWAY_SETTINGS", () => {
    // A stdio server's env values become gateway variables, so src/gateway-env.ts must know every name the gateway
    // reads; a variable the gateway adds to its table fails here until the list has it.
    const root = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const start = root.indexOf('### Configuration');
    const table = root.slice(start, root.indexOf('\n## ', start));
    const names = [...table.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1] ?? '');
    assert.ok(names.length >= 30, `${names.length} variables found`);
    const known = new Set([...RESERVED_ENVIRONMENT, ...GATEWAY_SETTINGS]);
    assert.deepEqual(
      names.filter((name) => !known.has(name)),
      [],
      'add these to GATEWAY_SETTINGS in packages/cdk/src/gateway-env.ts (or to GATEWAY_ENV if the construct sets them)',
    );
  });
});

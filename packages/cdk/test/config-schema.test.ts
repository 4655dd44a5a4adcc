// The config file's JSON Schema is generated from the zod schema that validates it, and committed so editors can
// use it; this fails while the committed file is stale.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { deploymentConfigJsonSchema } from '../src/deployment-config.js';
import { REPO_ROOT, readExampleConfig } from './fixtures.js';

const SCHEMA_FILE = join(REPO_ROOT, 'packages/cdk/mcp-fargate.config.schema.json');

describe('config JSON Schema', () => {
  test('GIVEN the committed mcp-fargate.config.schema.json THEN it is what the zod schema generates', () => {
    const committed = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as unknown;
    assert.deepEqual(
      committed,
      deploymentConfigJsonSchema(),
      'packages/cdk/mcp-fargate.config.schema.json is stale: run `npm run config-schema --workspace @mcp-fargate/cdk` and commit it',
    );
  });

  test('THEN the example names it in $schema, so editors complete and check the file', () => {
    assert.equal(readExampleConfig().$schema, '../packages/cdk/mcp-fargate.config.schema.json');
  });

  test('THEN it rejects unknown fields and shows defaults and ranges, as the parser does', () => {
    const schema = deploymentConfigJsonSchema() as { additionalProperties: boolean; required: string[]; properties: Record<string, any> };
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(schema.required, ['serviceName', 'image', 'auth']);
    assert.equal(schema.properties.task.properties.cpu.default, 512);
    assert.deepEqual(schema.properties.loadBalancer.properties.idleTimeoutSeconds, {
      description: 'ALB idle timeout (default 120)',
      type: 'integer',
      minimum: 1,
      maximum: 4000,
    });
  });
});

// Construct ids are permanent: a changed logical id makes CloudFormation replace the resource (a new load balancer, a
// new DNS name, a new log group). This pins the logical id and type of every resource the deployment config can make,
// so a refactor that renames one fails here; an intended change updates test/logical-ids.json in the same commit.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createMcpFargateApp } from '../src/app.js';
import { loadDeploymentConfig, parseDeploymentConfig } from '../src/deployment-config.js';
import {
  EXAMPLE_CONFIG,
  EXISTING_VPC_CONTEXT,
  EXISTING_VPC_ID,
  REPO_ROOT,
  S3_PREFIX_LIST_CONTEXT,
  readExampleConfig,
  resourceTypesByStack,
  tempDir,
} from './fixtures.js';

const PINNED = JSON.parse(readFileSync(join(REPO_ROOT, 'packages/cdk/test/logical-ids.json'), 'utf8')) as Record<
  string,
  Record<string, Record<string, string>>
>;

function variant(patch: (config: Record<string, any>) => void) {
  const config = structuredClone(readExampleConfig()) as Record<string, any>;
  patch(config);
  return parseDeploymentConfig(JSON.parse(JSON.stringify(config)));
}

/** GIVEN each shape of deployment config WHEN synthesized (validation included) THEN the ids are the pinned ones. */
const SHAPES: Record<string, () => { config: ReturnType<typeof loadDeploymentConfig>; context?: Record<string, unknown> }> = {
  example: () => ({ config: loadDeploymentConfig(EXAMPLE_CONFIG) }),
  'internal, vpc-endpoints, hosted zone, existing repository': () => ({
    config: variant((c) => {
      c.image.createRepository = false;
      delete c.image.keepImages;
      c.network = { egress: 'vpc-endpoints' };
      c.loadBalancer = {
        scheme: 'internal',
        domainName: 'mcp.internal.example.com',
        hostedZone: { id: 'Z0123456789ABCDEFGHIJ', name: 'internal.example.com' },
      };
    }),
    context: S3_PREFIX_LIST_CONTEXT,
  }),
  'existing VPC, plain HTTP': () => ({
    config: variant((c) => {
      c.network = { vpcId: EXISTING_VPC_ID };
      c.loadBalancer = { insecureHttpForTesting: true };
      c.auth = { mode: 'none', acknowledgeNoAuth: 'A test deployment of the demo server, which holds no data' };
      c.stickiness = { type: 'off' };
      c.scaling = { minTasks: 1, maxTasks: 1 };
    }),
    context: EXISTING_VPC_CONTEXT,
  }),
  // Issues 9-11: a valkey cache, a Cognito user pool and a web ACL (stdio); a sidecar server (sidecar).
  'stdio example': () => ({ config: loadDeploymentConfig(join(REPO_ROOT, 'examples/mcp-fargate.stdio.config.json')) }),
  'sidecar example': () => ({ config: loadDeploymentConfig(join(REPO_ROOT, 'examples/mcp-fargate.sidecar.config.json')) }),
};

describe('logical ids', () => {
  for (const [shape, make] of Object.entries(SHAPES)) {
    test(`GIVEN the ${shape} config WHEN synthesized THEN every resource keeps its pinned logical id and type`, () => {
      const { config, context } = make();
      const assembly = createMcpFargateApp(config, { outdir: tempDir('ids'), context }).app.synth();
      const actual = resourceTypesByStack(assembly);
      assert.deepEqual(
        actual,
        PINNED[shape],
        `logical ids of "${shape}" changed; if intended, update test/logical-ids.json to:\n${JSON.stringify(actual, null, 2)}`,
      );
    });
  }
});

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EXAMPLE_CONFIG, readExampleConfig, tempDir } from '../test/fixtures.js';
import { loadDeploymentConfig, parseDeploymentConfig } from './deployment-config.js';
import type { ErrorCode } from './errors.js';
import { McpFargateError } from './errors.js';

/** The example config with `patch` applied (a key set to undefined is removed). */
function withPatch(patch: (config: Record<string, any>) => void): Record<string, unknown> {
  const config = structuredClone(readExampleConfig()) as Record<string, any>;
  patch(config);
  return JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
}

function rejects(code: ErrorCode, patch: (config: Record<string, any>) => void, ...mentions: string[]): void {
  assert.throws(
    () => parseDeploymentConfig(withPatch(patch)),
    (error: unknown) => {
      assert.ok(error instanceof McpFargateError, String(error));
      assert.equal(error.code, code, error.message);
      for (const mention of ['mcp-fargate.config.json: ', ...mentions]) {
        assert.ok(error.message.includes(mention), `"${error.message}" mentions ${mention}`);
      }
      return true;
    },
  );
}

describe('deployment config', () => {
  test('GIVEN the example config THEN it loads, with defaults filled in and the result frozen', () => {
    const config = loadDeploymentConfig(EXAMPLE_CONFIG);
    assert.equal(config.serviceName, 'mcp-github');
    assert.equal(config.stackName, 'McpFargate-mcp-github');
    assert.match(config.image.digest, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(config.secrets.GITHUB_TOKEN?.jsonKey, 'token');
    assert.equal(config.loadBalancer.scheme, 'internet-facing');
    assert.deepEqual(config.stickiness, { type: 'lb-cookie', durationSeconds: 86400 });
    assert.deepEqual(config.network, { egress: 'nat', maxAzs: 2, natGateways: 2 });
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.loadBalancer));
  });

  test('GIVEN a minimal config THEN the documented defaults apply', () => {
    const config = parseDeploymentConfig({
      serviceName: 'mcp',
      image: { repositoryName: 'mcp', digest: `sha256:${'a'.repeat(64)}` },
      loadBalancer: { insecureHttpForTesting: true },
    });
    assert.deepEqual(config.task, { cpu: 512, memoryMiB: 1024, architecture: 'arm64' });
    assert.equal(config.image.createRepository, true);
    assert.deepEqual(config.network, { egress: 'nat', natGateways: undefined, maxAzs: undefined });
    assert.equal(config.logs.retentionDays, 30);
    assert.equal(config.stickiness, undefined);
  });

  test('WHEN the file is not JSON THEN the error names the file', () => {
    const path = join(tempDir('config'), 'mcp-fargate.config.json');
    writeFileSync(path, '{ "serviceName": ');
    assert.throws(
      () => loadDeploymentConfig(path),
      (e: unknown) => e instanceof McpFargateError && e.message.includes(`${path}: is not valid JSON`),
    );
    assert.throws(
      () => loadDeploymentConfig(`${path}.missing`),
      (e: unknown) => e instanceof McpFargateError && e.message.includes('cannot be read'),
    );
  });

  test('WHEN a field is unknown (a typo) THEN it is an error listing the known fields', () => {
    rejects('MCPF_CDK_CONFIG_INVALID', (c) => (c.loadBalancer.sheme = 'internal'), 'loadBalancer.sheme is not a known field', 'scheme');
    rejects('MCPF_CDK_CONFIG_INVALID', (c) => (c.servicename = 'x'), 'servicename is not a known field');
  });

  test('WHEN required fields are missing or mistyped THEN each is named', () => {
    rejects('MCPF_CDK_CONFIG_INVALID', (c) => delete c.serviceName, 'serviceName is required');
    rejects('MCPF_CDK_CONFIG_INVALID', (c) => (c.task.cpu = '512'), 'task.cpu must be a number, got "512"');
    rejects(
      'MCPF_CDK_CONFIG_INVALID',
      (c) => (c.loadBalancer.scheme = 'public'),
      'loadBalancer.scheme must be one of "internet-facing", "internal", got "public"',
    );
  });

  test('WHEN the image digest is missing or latest THEN the image rules apply with config field names', () => {
    rejects('MCPF_CDK_IMAGE_DIGEST_REQUIRED', (c) => delete c.image.digest, 'image.digest is required');
    rejects('MCPF_CDK_IMAGE_TAG_NOT_ALLOWED', (c) => (c.image.digest = 'latest'), 'image.digest', '"latest"');
  });

  test('WHEN cpu/memory, HTTPS, stickiness or a secret key are wrong THEN the shared rules report them', () => {
    rejects('MCPF_CDK_TASK_SIZE_INVALID', (c) => (c.task.memoryMiB = 512), 'task.memoryMiB 512 MiB');
    rejects('MCPF_CDK_HTTPS_CERTIFICATE_REQUIRED', (c) => delete c.loadBalancer.certificateArn, 'loadBalancer.certificateArn is required');
    rejects('MCPF_CDK_STICKINESS_DURATION_INVALID', (c) => (c.stickiness.durationSeconds = 0), 'stickiness.durationSeconds');
    rejects('MCPF_CDK_SECRET_JSON_KEY_ON_STRING', (c) => (c.secrets.GITHUB_TOKEN.format = 'string'), 'secrets.GITHUB_TOKEN.jsonKey');
    rejects('MCPF_CDK_ENV_CARRIES_SECRET', (c) => (c.environment.DB_PASSWORD = 'hunter2'), 'environment.DB_PASSWORD');
    rejects('MCPF_CDK_LOG_RETENTION_INVALID', (c) => (c.logs.retentionDays = 31), 'logs.retentionDays', 'got 31');
    rejects('MCPF_CDK_CONFIG_INVALID', (c) => (c.stickiness = { type: 'off', durationSeconds: 60 }), 'stickiness has durationSeconds');
  });

  test('WHEN an existing VPC is named THEN new-VPC fields conflict and account/region are required', () => {
    rejects('MCPF_CDK_VPC_CONFLICT', (c) => (c.network.vpcId = 'vpc-0123456789abcdef0'), 'network.egress');
    rejects(
      'MCPF_CDK_CONFIG_INVALID',
      (c) => {
        c.network = { vpcId: 'vpc-0123456789abcdef0' };
        delete c.account;
      },
      'network.vpcId needs account and region',
    );
  });

  test('WHEN several fields are wrong THEN all are reported at once', () => {
    assert.throws(
      () =>
        parseDeploymentConfig(
          withPatch((c) => {
            c.task.cpu = 3;
            c.image.digest = 'latest';
            c.loadBalancer.allowedCidrs = ['nope'];
          }),
        ),
      (error: unknown) => {
        assert.ok(error instanceof McpFargateError);
        assert.match(error.message, /has 3 problems/);
        for (const field of ['task.cpu', 'image.digest', 'loadBalancer.allowedCidrs[0]']) assert.ok(error.message.includes(field), field);
        return true;
      },
    );
  });
});

// The errors table is complete: every code in it is produced by some path (a trigger below shows which, and the
// compiler insists on one per code), the README documents exactly these codes, and no code is produced outside it.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { createMcpFargateApp } from '../src/app.js';
import { loadDeploymentConfig, parseDeploymentConfig } from '../src/deployment-config.js';
import type { ErrorCode } from '../src/errors.js';
import { ERROR_CODES, McpFargateError, RETIRED_ERROR_CODES } from '../src/errors.js';
import type { McpFargateServiceProps } from '../src/service/props.js';
import { McpFargateService } from '../src/mcp-fargate-service.js';
import { McpImageRepository } from '../src/mcp-image-repository.js';
import { CERTIFICATE_ARN, DIGEST, ENV, NO_AUTH, REPO_ROOT, readExampleConfig } from './fixtures.js';

/** The construct with valid props plus `extra`, in a fresh stack; never synthesized. */
function build(extra: Partial<McpFargateServiceProps> | ((stack: Stack) => Partial<McpFargateServiceProps>), env: { region?: string } = ENV): void {
  const stack = new Stack(new App(), 'Stack', { env });
  new McpFargateService(stack, 'Mcp', {
    imageDigest: DIGEST,
    certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERTIFICATE_ARN),
    domainName: 'mcp.example.com',
    allowedCidrs: ['203.0.113.0/24'],
    auth: NO_AUTH,
    ...(typeof extra === 'function' ? extra(stack) : extra),
  } as McpFargateServiceProps);
}

/** The example config with `patch` applied, parsed. */
function config(patch: (config: Record<string, any>) => void): void {
  const json = structuredClone(readExampleConfig()) as Record<string, any>;
  patch(json);
  parseDeploymentConfig(JSON.parse(JSON.stringify(json)));
}

const zone = (stack: Stack) => route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' });

/** One way to make each code, through the public API. */
const TRIGGERS: Record<ErrorCode, () => void> = {
  MCPF_CDK_IMAGE_DIGEST_REQUIRED: () => build({ imageDigest: '' }),
  MCPF_CDK_IMAGE_TAG_NOT_ALLOWED: () => build({ imageDigest: 'latest' }),
  MCPF_CDK_IMAGE_DIGEST_INVALID: () => build({ imageDigest: 'sha256:abc' }),
  MCPF_CDK_REPOSITORY_CONFLICT: () => build((stack) => ({ repository: ecr.Repository.fromRepositoryName(stack, 'Repo', 'mcp'), keepImages: 5 })),
  MCPF_CDK_TASK_SIZE_INVALID: () => build({ cpu: 256, memoryLimitMiB: 4096 }),
  MCPF_CDK_TASK_COUNT_INVALID: () => build({ minTasks: 3, maxTasks: 2 }),
  MCPF_CDK_NUMBER_OUT_OF_RANGE: () => build({ containerPort: 22 }),
  MCPF_CDK_CHOICE_INVALID: () => build({ egress: 'public' as never }),
  MCPF_CDK_HTTPS_CERTIFICATE_REQUIRED: () => build({ certificate: undefined }),
  MCPF_CDK_HTTP_CONFLICT: () => build({ insecureHttpForTesting: true }),
  MCPF_CDK_PUBLIC_ACCESS_NOT_ACKNOWLEDGED: () => build({ auth: { mode: 'none' } }),
  MCPF_CDK_DOMAIN_INVALID: () => build((stack) => ({ hostedZone: zone(stack), domainName: 'mcp.example.org' })),
  MCPF_CDK_DOMAIN_REQUIRED: () => build({ domainName: undefined }),
  MCPF_CDK_CERTIFICATE_ARN_INVALID: () => config((c) => (c.loadBalancer.certificateArn = 'arn:aws:acm:eu-west-1:123456789012:cert/x')),
  MCPF_CDK_CERTIFICATE_REGION_MISMATCH: () =>
    build((stack) => ({ certificate: acm.Certificate.fromCertificateArn(stack, 'UsCert', CERTIFICATE_ARN.replace(':eu-west-1:', ':us-east-1:')) })),
  MCPF_CDK_CIDR_INVALID: () => build({ allowedCidrs: ['10.0.0.0/33'] }),
  MCPF_CDK_PREFIX_LIST_INVALID: () => build({ allowedPrefixListIds: ['sg-0123'] }),
  MCPF_CDK_STICKINESS_DURATION_INVALID: () => config((c) => (c.stickiness.durationSeconds = 8 * 86400)),
  MCPF_CDK_STICKINESS_REQUIRED: () => build({ stickiness: { type: 'off' }, maxTasks: 2 }),
  MCPF_CDK_TIMEOUT_INVALID: () => build({ environment: { KEEP_ALIVE_TIMEOUT_MS: '60000' } }),
  MCPF_CDK_TAG_INVALID: () => build({ tags: { 'aws:team': 'mcp' } }),
  MCPF_CDK_SECRET_INVALID: () => build({ secrets: { API_KEY: { secret: 'arn:aws:s3:::bucket' } } }),
  MCPF_CDK_SECRET_JSON_KEY_ON_STRING: () => build({ secrets: { API_KEY: { secret: 'prod/api', format: 'string', jsonKey: 'key' } } }),
  MCPF_CDK_KMS_KEY_INVALID: () => build({ secrets: { API_KEY: { secret: 'prod/api', kmsKeyArn: 'alias/aws/secretsmanager' } } }),
  MCPF_CDK_ENV_NAME_INVALID: () => build({ environment: { '1ST': 'x' } }),
  MCPF_CDK_ENV_CARRIES_SECRET: () => build({ environment: { DB_PASSWORD: 'x' } }),
  MCPF_CDK_ENV_RESERVED: () => build({ environment: { HOST: '127.0.0.1' } }),
  MCPF_CDK_VPC_CONFLICT: () => build({ egress: 'vpc-endpoints', natGateways: 1 }),
  MCPF_CDK_LOG_RETENTION_INVALID: () => config((c) => (c.logs.retentionDays = 10)),
  MCPF_CDK_NAME_INVALID: () => new McpImageRepository(new Stack(new App(), 'Stack', { env: ENV }), 'Repo', { repositoryName: 'UPPER' }),
  MCPF_CDK_SERVER_INVALID: () => build({ server: { module: 'server.js' } }),
  MCPF_CDK_SERVER_CONFLICT: () => build({ servers: { a: { module: '/app/a.js', default: true }, b: { module: '/app/b.js', default: true } } }),
  MCPF_CDK_SESSION_STORE_INVALID: () => build({ sessionStore: { url: 'redis://user:password@cache:6379' } }),
  MCPF_CDK_AUTH_REQUIRED: () => build({ auth: undefined as never }),
  MCPF_CDK_AUTH_INVALID: () => build({ auth: { mode: 'oauth', issuer: 'http://idp.example.com' } }),
  MCPF_CDK_REGION_REQUIRED: () => {
    const { region: _region, ...noRegion } = readExampleConfig();
    createMcpFargateApp(parseDeploymentConfig(noRegion));
  },
  MCPF_CDK_CONFIG_INVALID: () => loadDeploymentConfig(join(REPO_ROOT, 'examples/cdk.json.missing')),
};

describe('errors table', () => {
  for (const [code, trigger] of Object.entries(TRIGGERS)) {
    test(`${code} is produced (${ERROR_CODES[code as ErrorCode]})`, () => {
      assert.throws(trigger, (error: unknown) => {
        assert.ok(error instanceof McpFargateError, String(error));
        assert.equal(error.code, code, error.message);
        return true;
      });
    });
  }

  test('THEN the README documents exactly the codes of the table', () => {
    const readme = readFileSync(join(REPO_ROOT, 'packages/cdk/README.md'), 'utf8');
    const errorsSection = readme.slice(readme.indexOf('## Errors'), readme.indexOf('\n## ', readme.indexOf('## Errors') + 1));
    const documented = [...errorsSection.matchAll(/^\| `(MCPF_CDK_[A-Z_]+)`/gm)].map((m) => m[1]);
    assert.deepEqual(documented.sort(), Object.keys(ERROR_CODES).sort());
  });

  test('THEN a retired code is never reused, and the README says it is retired', () => {
    const readme = readFileSync(join(REPO_ROOT, 'packages/cdk/README.md'), 'utf8');
    for (const code of RETIRED_ERROR_CODES) {
      assert.ok(!(code in ERROR_CODES), `${code} is retired`);
      assert.match(readme, new RegExp(`Retired[^\\n]*${code}`));
    }
  });

  test('THEN no source file throws a code that is not in the table', () => {
    const src = join(REPO_ROOT, 'packages/cdk/src');
    const sources = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    assert.ok(sources.length > 10, sources.join(', '));
    for (const file of sources) {
      const text = readFileSync(join(src, file), 'utf8');
      for (const [used] of text.matchAll(/MCPF_CDK_[A-Z_]+/g)) {
        const listedAsRetired = file === 'errors.ts' && RETIRED_ERROR_CODES.includes(used);
        assert.ok(used in ERROR_CODES || listedAsRetired, `${file} uses ${used}, which the table does not have`);
      }
    }
  });
});

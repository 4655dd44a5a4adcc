import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EXAMPLE_CONFIG, REPO_ROOT, readExampleConfig, tempDir } from '../test/fixtures.js';
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
    assert.deepEqual(config.network, { egress: 'nat', maxAzs: 2, natGateways: 2, egressRules: [] });
    assert.equal(config.sessionStore, 'memory');
    assert.equal(config.alarms.snsTopicArn, 'arn:aws:sns:eu-west-1:123456789012:mcp-alarms', 'the example shows how alarms reach a person');
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.loadBalancer));
  });

  test('GIVEN a minimal config THEN the documented defaults apply', () => {
    const config = parseDeploymentConfig({
      serviceName: 'mcp',
      image: { repositoryName: 'mcp', digest: `sha256:${'a'.repeat(64)}` },
      loadBalancer: { scheme: 'internal', insecureHttpForTesting: true },
      auth: { mode: 'none' },
    });
    assert.deepEqual(config.task, { cpu: 512, memoryMiB: 1024, architecture: 'arm64' });
    assert.equal(config.image.createRepository, true);
    assert.deepEqual(config.network, { egress: 'nat', natGateways: undefined, maxAzs: undefined, egressRules: [] });
    assert.equal(config.logs.retentionDays, 30);
    assert.equal(config.stickiness, undefined);
    assert.equal(config.sessionStore, 'memory');
    assert.equal(config.deletionProtection, true);
    assert.equal(config.containerInsights, 'enabled');
    assert.deepEqual(config.tags, {});
    assert.deepEqual([config.loadBalancer.httpRedirect, config.loadBalancer.allowedCidrs], [false, []]);
    assert.deepEqual([config.server, config.servers, config.waf, config.valkey], [undefined, undefined, false, undefined]);
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

  test('WHEN a field is unknown (a typo) THEN it is an error naming the closest known field and listing them all', () => {
    rejects(
      'MCPF_CDK_CONFIG_INVALID',
      (c) => (c.loadBalancer.sheme = 'internal'),
      'loadBalancer.sheme is not a known field of loadBalancer (did you mean "scheme"?); known: scheme, certificateArn',
    );
    rejects('MCPF_CDK_CONFIG_INVALID', (c) => (c.servicename = 'x'), 'servicename is not a known field of the top level (did you mean "serviceName"?)');
    rejects('MCPF_CDK_CONFIG_INVALID', (c) => (c.task.arch = 'arm64'), 'task.arch is not a known field of task (did you mean "architecture"?)');
    rejects('MCPF_CDK_CONFIG_INVALID', (c) => (c.secrets.GITHUB_TOKEN.jsonKy = 'token'), 'secrets.GITHUB_TOKEN.jsonKy', '(did you mean "jsonKey"?)');
    rejects(
      'MCPF_CDK_CONFIG_INVALID',
      (c) => (c.stickiness.cookie = 'x'),
      'stickiness.cookie is not a known field of stickiness; known: type, durationSeconds',
    );
  });

  test('WHEN an unknown field resembles no known one THEN no guess is offered', () => {
    assert.throws(
      () => parseDeploymentConfig(withPatch((c) => (c.loadBalancer.wafAclArn = 'x'))),
      (error: unknown) =>
        error instanceof McpFargateError && error.message.includes('loadBalancer.wafAclArn is not a known field') && !error.message.includes('did you mean'),
    );
  });

  test('WHEN required fields are missing or mistyped THEN each is named', () => {
    rejects('MCPF_CDK_CONFIG_INVALID', (c) => delete c.serviceName, 'serviceName is required');
    rejects('MCPF_CDK_CONFIG_INVALID', (c) => (c.task.memoryMiB = '1024'), 'task.memoryMiB must be a number, got "1024"');
    rejects(
      'MCPF_CDK_CONFIG_INVALID',
      (c) => (c.loadBalancer.insecureHttpForTesting = 'yes'),
      'loadBalancer.insecureHttpForTesting must be true or false, got "yes"',
    );
    rejects('MCPF_CDK_CONFIG_INVALID', (c) => (c.secrets.GITHUB_TOKEN = 42), 'secrets.GITHUB_TOKEN must be a string or a JSON object, got 42');
    rejects('MCPF_CDK_CONFIG_INVALID', (c) => (c.account = '1234'), 'account must be a 12-digit AWS account id, got "1234"');
    rejects('MCPF_CDK_CONFIG_INVALID', (c) => (c.stickiness = { type: 'sticky' }), 'stickiness.type must be one of "off", "lb-cookie"', 'got "sticky"');
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
    rejects('MCPF_CDK_TASK_SIZE_INVALID', (c) => (c.task.cpu = '512'), 'task.cpu must be one of 256, 512, 1024', 'got "512"');
    rejects('MCPF_CDK_HTTPS_CERTIFICATE_REQUIRED', (c) => delete c.loadBalancer.certificateArn, 'loadBalancer.certificateArn is required');
    rejects(
      'MCPF_CDK_STICKINESS_DURATION_INVALID',
      (c) => (c.stickiness.durationSeconds = 0),
      'stickiness.durationSeconds must be an integer from 1 to 604800, got 0',
    );
    rejects(
      'MCPF_CDK_NUMBER_OUT_OF_RANGE',
      (c) => (c.loadBalancer.idleTimeoutSeconds = 5000),
      'loadBalancer.idleTimeoutSeconds must be an integer from 1 to 4000, got 5000',
    );
    rejects(
      'MCPF_CDK_CERTIFICATE_ARN_INVALID',
      (c) => (c.loadBalancer.certificateArn = 'arn:aws:iam::123456789012:server-certificate/x'),
      'loadBalancer.certificateArn',
    );
    rejects('MCPF_CDK_SECRET_JSON_KEY_ON_STRING', (c) => (c.secrets.GITHUB_TOKEN.format = 'string'), 'secrets.GITHUB_TOKEN.jsonKey');
    rejects('MCPF_CDK_ENV_CARRIES_SECRET', (c) => (c.environment.DB_PASSWORD = 'hunter2'), 'environment.DB_PASSWORD');
    rejects('MCPF_CDK_LOG_RETENTION_INVALID', (c) => (c.logs.retentionDays = 31), 'logs.retentionDays', 'got 31');
    rejects(
      'MCPF_CDK_CONFIG_INVALID',
      (c) => (c.stickiness = { type: 'off', durationSeconds: 60 }),
      'stickiness.durationSeconds is not a known field of stickiness',
    );
  });

  test('WHEN auth is missing THEN an explicit choice is required (issue 11); an open load balancer with auth on is fine', () => {
    rejects('MCPF_CDK_AUTH_REQUIRED', (c) => delete c.auth, 'auth is required', "mode: 'keys'", "mode: 'none'");
    assert.deepEqual(parseDeploymentConfig(withPatch((c) => delete c.loadBalancer.allowedCidrs)).loadBalancer.allowedCidrs, []);
    rejects('MCPF_CDK_CONFIG_INVALID', (c) => (c.auth = { mode: 'basic' }), 'auth.mode must be one of "keys", "oauth", "none", got "basic"');
    rejects(
      'MCPF_CDK_CONFIG_INVALID',
      (c) => (c.loadBalancer.allowUnauthenticatedPublicAccess = true),
      'loadBalancer.allowUnauthenticatedPublicAccess is not a known field',
    );
  });

  test('WHEN auth is none on an internet-facing load balancer THEN acknowledgeNoAuth is required, in a sentence (issue 11)', () => {
    rejects('MCPF_CDK_PUBLIC_ACCESS_NOT_ACKNOWLEDGED', (c) => (c.auth = { mode: 'none' }), 'set auth.acknowledgeNoAuth', 'internet-facing');
    rejects('MCPF_CDK_AUTH_INVALID', (c) => (c.auth = { mode: 'none', acknowledgeNoAuth: 'fine' }), 'auth.acknowledgeNoAuth must say in a sentence');
    const internal = parseDeploymentConfig(
      withPatch((c) => {
        c.auth = { mode: 'none' };
        c.loadBalancer.scheme = 'internal';
      }),
    );
    assert.deepEqual(internal.auth, { mode: 'none' });
    const acknowledged = withPatch((c) => (c.auth = { mode: 'none', acknowledgeNoAuth: 'The demo server holds no data and no credentials' }));
    assert.equal(parseDeploymentConfig(acknowledged).auth.mode, 'none');
  });

  test('WHEN auth keys or oauth are malformed THEN the construct rules report them with the config names', () => {
    rejects('MCPF_CDK_AUTH_INVALID', (c) => (c.auth.header = 'content-type'), 'auth.header', '"content-type"');
    rejects('MCPF_CDK_SECRET_INVALID', (c) => (c.auth.keysSecret = 'arn:aws:s3:::keys'), 'auth.keysSecret.secret');
    rejects('MCPF_CDK_CONFIG_INVALID', (c) => delete c.auth.keysSecret, 'auth.keysSecret is required');
    rejects('MCPF_CDK_AUTH_INVALID', (c) => (c.auth = { mode: 'oauth' }), 'needs exactly one of issuer');
    rejects('MCPF_CDK_AUTH_INVALID', (c) => (c.auth = { mode: 'oauth', issuer: 'http://idp' }), 'auth.issuer must be an https:// URL');
    rejects('MCPF_CDK_AUTH_INVALID', (c) => (c.auth = { mode: 'oauth', issuer: 'https://idp.example.com', algorithms: ['HS256'] }), 'auth.algorithms[0]');
    rejects('MCPF_CDK_AUTH_INVALID', (c) => (c.auth = { mode: 'oauth', cognito: {}, scopes: ['x'] }), 'auth.scopes applies to an external issuer');
    rejects('MCPF_CDK_AUTH_INVALID', (c) => (c.auth = { mode: 'oauth', cognito: { domainPrefix: 'cognito-mcp' } }), 'auth.cognito.domainPrefix');
    rejects(
      'MCPF_CDK_AUTH_INVALID',
      (c) => {
        c.auth = { mode: 'oauth', cognito: {} };
        c.loadBalancer = { insecureHttpForTesting: true, scheme: 'internal' };
      },
      'MCP clients refuse OAuth over plain HTTP',
    );
  });

  test('WHEN a certificate has no domain, or is in another region THEN it is refused (issue 8, item 4)', () => {
    rejects('MCPF_CDK_DOMAIN_REQUIRED', (c) => delete c.loadBalancer.domainName, 'loadBalancer.domainName is required with certificateArn');
    rejects(
      'MCPF_CDK_CERTIFICATE_REGION_MISMATCH',
      (c) => (c.loadBalancer.certificateArn = c.loadBalancer.certificateArn.replace(':eu-west-1:', ':us-east-1:')),
      'is in us-east-1, but region is eu-west-1',
    );
  });

  test('WHEN httpRedirect comes with plain HTTP, or app-cookie stickiness is asked for THEN it is refused', () => {
    rejects(
      'MCPF_CDK_HTTP_CONFLICT',
      (c) => (c.loadBalancer = { insecureHttpForTesting: true, httpRedirect: true, scheme: 'internal' }),
      'loadBalancer.insecureHttpForTesting serves plain HTTP',
    );
    rejects(
      'MCPF_CDK_CONFIG_INVALID',
      (c) => (c.stickiness = { type: 'app-cookie', cookieName: 'x', durationSeconds: 60 }),
      'stickiness.type must be one of "off", "lb-cookie", got "app-cookie"',
    );
  });

  test('WHEN egress rules or tags are malformed THEN each is named', () => {
    rejects('MCPF_CDK_CONFIG_INVALID', (c) => (c.network.egressRules = [{ port: 5432 }]), 'network.egressRules[0] needs exactly one of cidr and prefixListId');
    rejects('MCPF_CDK_CIDR_INVALID', (c) => (c.network.egressRules = [{ cidr: 'db', port: 5432 }]), 'network.egressRules[0].cidr');
    rejects(
      'MCPF_CDK_NUMBER_OUT_OF_RANGE',
      (c) => (c.network.egressRules = [{ cidr: '10.0.0.0/8', port: 0 }]),
      'network.egressRules[0].port must be an integer from 1 to 65535',
    );
    rejects('MCPF_CDK_TAG_INVALID', (c) => (c.tags = { 'aws:owner': 'x' }), 'tags.aws:owner');
    rejects('MCPF_CDK_CONFIG_INVALID', (c) => (c.sessionStore = 'redis'), 'sessionStore must be one of "memory", "valkey", got "redis"');
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

  test('WHEN a field is malformed THEN the rules that read other fields still run, and one bad entry hides no other', () => {
    assert.throws(
      () =>
        parseDeploymentConfig(
          withPatch((c) => {
            c.loadBalancer.sheme = 'internal'; // an unknown field in the object whose HTTPS rule must still run
            delete c.loadBalancer.certificateArn;
            c.secrets.BROKEN = 42;
            c.secrets.GITHUB_TOKEN.format = 'string';
            c.network = { vpcId: 'vpc-0123456789abcdef0', egress: 'nat' };
            delete c.account;
          }),
        ),
      (error: unknown) => {
        assert.ok(error instanceof McpFargateError);
        const lines = error.message.split('\n').slice(1);
        assert.equal(lines.length, 6, error.message);
        for (const expected of [
          'loadBalancer.sheme is not a known field',
          'loadBalancer.certificateArn is required for HTTPS',
          'secrets.BROKEN must be a string or a JSON object',
          'secrets.GITHUB_TOKEN.jsonKey is "token", but the secret\'s value is a plain string',
          'network.egress configures a new VPC',
          'network.vpcId needs account and region',
        ]) {
          assert.ok(
            lines.some((line) => line.includes(expected)),
            `${expected} in:\n${error.message}`,
          );
        }
        return true;
      },
    );
  });

  test('GIVEN the stdio and sidecar example configs THEN they load with their servers, auth, store and WAF', () => {
    const stdio = loadDeploymentConfig(join(REPO_ROOT, 'examples/mcp-fargate.stdio.config.json'));
    assert.equal(stdio.server?.command, '/usr/local/bin/github-mcp-server stdio --read-only');
    assert.deepEqual(stdio.server?.passEnv, ['GITHUB_PERSONAL_ACCESS_TOKEN']);
    assert.deepEqual([stdio.auth.mode, stdio.sessionStore, stdio.waf], ['oauth', 'valkey', true]);
    const sidecar = loadDeploymentConfig(join(REPO_ROOT, 'examples/mcp-fargate.sidecar.config.json'));
    assert.match(sidecar.server?.image ?? '', /^mcp-weather-fastmcp@sha256:/);
    assert.deepEqual([sidecar.server?.port, sidecar.auth.mode, sidecar.sessionStore, sidecar.waf], [8000, 'oauth', 'memory', { rateLimitPer5Minutes: 5000 }]);
  });

  test('WHEN a server entry is malformed THEN the construct rules report it with the config names, every entry at once', () => {
    assert.throws(
      () =>
        parseDeploymentConfig(
          withPatch((c) => {
            c.servers = {
              GitHub: { module: '/app/a.js' },
              both: { module: '/app/a.js', url: 'http://127.0.0.1:9000/mcp' },
              rel: { module: 'server.js', default: true },
              cmd: { command: 'node "x', default: true },
              side: { image: 'mcp-python:v1', port: 8000, healthCheck: { command: ['CMD', 'true'] } },
            };
          }),
        ),
      (error: unknown) => {
        assert.ok(error instanceof McpFargateError);
        for (const expected of [
          'servers: "GitHub" is not a server name',
          'servers.both must have exactly one of module, command, url and image',
          'servers.rel.module must be an absolute path',
          'servers.cmd.command cannot be split (unterminated double quote)',
          'servers.side.image must be <repository name or ECR URI>@sha256:<64 hex>',
          'servers: rel and cmd are both the default',
        ]) {
          assert.ok(error.message.includes(expected), `${expected} in:\n${error.message}`);
        }
        return true;
      },
    );
  });

  test('WHEN server and servers are both given, or a sidecar is not in ECR or has no health check THEN each is named', () => {
    rejects(
      'MCPF_CDK_SERVER_CONFLICT',
      (c) => {
        c.server = { module: '/app/a.js' };
        c.servers = { b: { module: '/app/b.js' } };
      },
      'server and servers are both given',
    );
    const image = `ghcr.io/acme/mcp@${'sha256:'}${'a'.repeat(64)}`;
    rejects(
      'MCPF_CDK_SERVER_INVALID',
      (c) => (c.server = { image, port: 8000, healthCheck: { command: ['CMD', 'true'] } }),
      'server.image must name an ECR repository',
    );
    rejects('MCPF_CDK_SERVER_INVALID', (c) => (c.server = { image: `mcp@sha256:${'a'.repeat(64)}`, port: 8000 }), 'server.healthCheck.command is required');
    rejects('MCPF_CDK_CONFIG_INVALID', (c) => (c.server = { module: '/app/a.js', default: true }), 'server.default is not a known field');
    rejects('MCPF_CDK_ENV_RESERVED', (c) => (c.environment.MCP_SERVER = '/app/a.js'), 'environment.MCP_SERVER', 'use server or servers');
    rejects('MCPF_CDK_ENV_RESERVED', (c) => (c.server = { command: 'node a.js', env: { LOG_LEVEL: 'debug' } }), 'server.env.LOG_LEVEL');
    rejects('MCPF_CDK_ENV_RESERVED', (c) => (c.secrets.AUTH_KEYS = 'prod/keys'), 'secrets.AUTH_KEYS', 'use auth');
  });

  test('WHEN the session store is an existing one THEN url and urlSecret are checked; valkey sizes need valkey', () => {
    rejects('MCPF_CDK_SESSION_STORE_INVALID', (c) => (c.sessionStore = { url: 'rediss://u:p@cache:6379' }), 'sessionStore.url', 'urlSecret');
    rejects('MCPF_CDK_SESSION_STORE_INVALID', (c) => (c.sessionStore = { url: 'rediss://cache:6379' }), 'port 6379', 'egressRules');
    rejects('MCPF_CDK_SESSION_STORE_INVALID', (c) => (c.sessionStore = { cluster: true }), 'exactly one of url and urlSecret');
    rejects('MCPF_CDK_SECRET_INVALID', (c) => (c.sessionStore = { urlSecret: 'arn:aws:s3:::x' }), 'sessionStore.urlSecret.secret');
    rejects('MCPF_CDK_SESSION_STORE_INVALID', (c) => (c.valkey = { maxDataStorageGb: 2 }), 'valkey sizes the cache', '"memory"');
    rejects(
      'MCPF_CDK_NUMBER_OUT_OF_RANGE',
      (c) => {
        c.sessionStore = 'valkey';
        c.valkey = { maxEcpuPerSecond: 10 };
      },
      'valkey.maxEcpuPerSecond must be an integer from 1000',
    );
    const store = parseDeploymentConfig(
      withPatch((c) => {
        c.sessionStore = { url: 'rediss://cache.internal:6379', cluster: true };
        c.network.egressRules = [{ cidr: '10.20.0.0/16', port: 6379 }];
      }),
    ).sessionStore;
    assert.deepEqual(store, { url: 'rediss://cache.internal:6379', cluster: true });
    assert.deepEqual(parseDeploymentConfig(withPatch((c) => (c.sessionStore = { urlSecret: 'prod/redis-url' }))).sessionStore, {
      urlSecret: { secret: 'prod/redis-url' },
    });
  });

  test('WHEN waf is malformed THEN it says what is accepted', () => {
    rejects('MCPF_CDK_NUMBER_OUT_OF_RANGE', (c) => (c.waf = { rateLimitPer5Minutes: 5 }), 'waf.rateLimitPer5Minutes must be an integer from 100');
    rejects('MCPF_CDK_CONFIG_INVALID', (c) => (c.waf = 'on'), 'waf must be a JSON object or true or false, got "on"');
  });
});

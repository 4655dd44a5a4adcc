import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App, CfnParameter, Duration, Stack, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AUTH_KEYS_ARN, CERTIFICATE_ARN, DIGEST, ENV, NO_AUTH } from '../test/fixtures.js';
import type { ErrorCode } from './errors.js';
import { McpFargateError } from './errors.js';
import type { McpFargateServiceProps } from './service/props.js';
import { McpFargateService } from './mcp-fargate-service.js';

// Validation runs in the constructor, before synth: each case builds a fresh stack and never synthesizes.

function build(props: Partial<McpFargateServiceProps> | ((stack: Stack) => Partial<McpFargateServiceProps>), env = ENV): McpFargateService {
  const stack = new Stack(new App(), 'Stack', { env });
  const extra = typeof props === 'function' ? props(stack) : props;
  return new McpFargateService(stack, 'Mcp', {
    imageDigest: DIGEST,
    certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERTIFICATE_ARN),
    domainName: 'mcp.example.com',
    allowedCidrs: ['203.0.113.0/24'],
    auth: NO_AUTH,
    ...extra,
  } as McpFargateServiceProps);
}

const KEYS = { mode: 'keys', keysSecret: { secret: AUTH_KEYS_ARN } } as const;
const sidecarImage = (stack: Stack) => ({ repository: ecr.Repository.fromRepositoryName(stack, 'ServerRepo', 'mcp-python'), digest: DIGEST });
const HEALTH = { command: ['CMD', 'python', '-c', 'import socket; socket.create_connection(("127.0.0.1", 8000), 3)'] };

/** THEN it throws with `code`, naming the construct path, the prop and (where there is one) the value. */
function rejects(code: ErrorCode, props: Parameters<typeof build>[0], ...mentions: (string | RegExp)[]): void {
  assert.throws(
    () => build(props),
    (error: unknown) => {
      assert.ok(error instanceof McpFargateError, `expected McpFargateError, got ${String(error)}`);
      assert.equal(error.code, code, error.message);
      for (const mention of ['[Stack/Mcp]', ...mentions]) {
        if (typeof mention === 'string') assert.ok(error.message.includes(mention), `"${error.message}" mentions ${mention}`);
        else assert.match(error.message, mention);
      }
      return true;
    },
  );
}

describe('props validation', () => {
  test('GIVEN valid props THEN the construct builds', () => {
    assert.ok(build({}) instanceof McpFargateService);
  });

  test('WHEN imageDigest is missing THEN it is required', () => {
    rejects('MCPF_CDK_IMAGE_DIGEST_REQUIRED', { imageDigest: undefined as unknown as string }, 'imageDigest is required');
  });

  test('WHEN imageDigest is latest THEN the tag is refused', () => {
    rejects('MCPF_CDK_IMAGE_TAG_NOT_ALLOWED', { imageDigest: 'latest' }, 'imageDigest', '"latest"');
  });

  test('WHEN imageDigest is a repository:tag THEN the tag is refused', () => {
    rejects('MCPF_CDK_IMAGE_TAG_NOT_ALLOWED', { imageDigest: 'mcp-my-service:v1.2.0' }, 'imageDigest', '"v1.2.0"');
  });

  test('WHEN imageDigest is a full reference or malformed THEN it is refused', () => {
    rejects('MCPF_CDK_IMAGE_DIGEST_INVALID', { imageDigest: `mcp@${DIGEST}` }, 'digest alone');
    rejects('MCPF_CDK_IMAGE_DIGEST_INVALID', { imageDigest: 'sha256:abc' }, '"sha256:abc"');
  });

  test('WHEN imageDigest is a token THEN it is left for deploy time', () => {
    assert.ok(build({ imageDigest: Token.asString({ Ref: 'ImageDigest' }) }));
  });

  test('WHEN an allowed CIDR is a token THEN it is left for deploy time (taken as IPv4)', () => {
    const mcp = build((stack) => ({ allowedCidrs: [new CfnParameter(stack, 'AgentCidr').valueAsString] }));
    const ingress = Object.values(Template.fromStack(Stack.of(mcp)).findResources('AWS::EC2::SecurityGroup')).flatMap(
      (sg) => (sg.Properties.SecurityGroupIngress ?? []) as { CidrIp?: unknown; FromPort?: number }[],
    );
    assert.deepEqual(
      ingress.filter((rule) => rule.FromPort === 443).map((rule) => rule.CidrIp),
      [{ Ref: 'AgentCidr' }],
    );
  });

  test('WHEN a secret is a token THEN it is left for deploy time and used as the complete ARN', () => {
    const mcp = build((stack) => ({ secrets: { API_KEY: { secret: new CfnParameter(stack, 'ApiKeySecret').valueAsString } } }));
    const template = Template.fromStack(Stack.of(mcp));
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'secretsmanager:GetSecretValue', Resource: { Ref: 'ApiKeySecret' } })]) },
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Secrets: [{ Name: 'API_KEY', ValueFrom: { Ref: 'ApiKeySecret' } }] })],
    });
  });

  test('WHEN cpu and memory are not a Fargate pair THEN the error lists what that cpu allows', () => {
    rejects('MCPF_CDK_TASK_SIZE_INVALID', { cpu: 512, memoryLimitMiB: 512 }, 'memoryLimitMiB 512 MiB', '1024 to 4096 in steps of 1024');
    rejects('MCPF_CDK_TASK_SIZE_INVALID', { cpu: 300 }, 'cpu must be one of 256, 512', 'got 300');
  });

  test('WHEN HTTPS has no certificate THEN a certificate (or domain and zone) is required', () => {
    rejects('MCPF_CDK_HTTPS_CERTIFICATE_REQUIRED', { certificate: undefined }, 'certificate is required', 'insecureHttpForTesting');
  });

  test('WHEN plain HTTP is combined with a certificate, a domain or an HTTP redirect THEN it is a conflict', () => {
    rejects('MCPF_CDK_HTTP_CONFLICT', { insecureHttpForTesting: true }, 'insecureHttpForTesting', 'certificate');
    rejects('MCPF_CDK_HTTP_CONFLICT', { insecureHttpForTesting: true, certificate: undefined, domainName: undefined, httpRedirect: true }, 'httpRedirect');
  });

  test('WHEN a certificate comes without the domain it covers THEN the domain is required (the URL would name the ALB)', () => {
    rejects('MCPF_CDK_DOMAIN_REQUIRED', { domainName: undefined }, 'domainName is required with', 'certificate');
  });

  test('WHEN the certificate is in another region than the stack THEN both regions are named', () => {
    rejects(
      'MCPF_CDK_CERTIFICATE_REGION_MISMATCH',
      (stack) => ({ certificate: acm.Certificate.fromCertificateArn(stack, 'UsCert', CERTIFICATE_ARN.replace(':eu-west-1:', ':us-east-1:')) }),
      'is in us-east-1',
      'is in eu-west-1',
    );
    assert.ok(build((stack) => ({ certificate: acm.Certificate.fromCertificateArn(stack, 'Param', new CfnParameter(stack, 'CertArn').valueAsString) })));
  });

  test('WHEN auth is missing (from JavaScript) THEN an explicit choice is required, listing the modes', () => {
    rejects('MCPF_CDK_AUTH_REQUIRED', { auth: undefined as never }, 'auth is required', "mode: 'keys'", "mode: 'oauth'", "mode: 'none'");
    rejects('MCPF_CDK_CHOICE_INVALID', { auth: { mode: 'basic' } as never }, 'auth.mode', '"basic"');
  });

  test('WHEN auth is none on an internet-facing load balancer THEN acknowledgeNoAuth is required, allowlist or not, naming the field', () => {
    rejects('MCPF_CDK_PUBLIC_ACCESS_NOT_ACKNOWLEDGED', { auth: { mode: 'none' } }, 'auth.acknowledgeNoAuth', 'internet-facing', "mode 'keys' or 'oauth'");
    rejects('MCPF_CDK_PUBLIC_ACCESS_NOT_ACKNOWLEDGED', { auth: { mode: 'none' }, allowedCidrs: [] }, 'auth.acknowledgeNoAuth');
    assert.ok(build({ auth: { mode: 'none' }, internetFacing: false }), 'an internal load balancer needs no acknowledgement');
    assert.ok(build({ auth: KEYS, allowedCidrs: [] }), 'with auth on, an open load balancer is authenticated by the gateway');
  });

  test('WHEN the acknowledgement is not a sentence THEN it is refused', () => {
    rejects('MCPF_CDK_AUTH_INVALID', { auth: { mode: 'none', acknowledgeNoAuth: 'yes' } }, 'auth.acknowledgeNoAuth', 'in a sentence', '"yes"');
    rejects('MCPF_CDK_AUTH_INVALID', { auth: { mode: 'none', acknowledgeNoAuth: 'ok ok ok ok' } }, 'auth.acknowledgeNoAuth');
  });

  test('WHEN the keys header is one HTTP, the ALB or MCP uses THEN it is refused', () => {
    rejects('MCPF_CDK_AUTH_INVALID', { auth: { ...KEYS, header: 'Mcp-Session-Id' } }, 'auth.header', '"Mcp-Session-Id"');
    rejects('MCPF_CDK_AUTH_INVALID', { auth: { ...KEYS, header: 'x api key' } }, 'auth.header');
    rejects('MCPF_CDK_AUTH_INVALID', { auth: { mode: 'keys' } as never }, 'auth.keysSecret is required');
    rejects('MCPF_CDK_SECRET_INVALID', { auth: { mode: 'keys', keysSecret: { secret: 'arn:aws:s3:::keys' } } }, 'auth.keysSecret.secret');
    assert.ok(build({ auth: { ...KEYS, header: 'X-Sema4ai-Auth' } }));
  });

  test('WHEN oauth has a malformed issuer, JWKS URL, scope or algorithm THEN each is refused, never none or HMAC', () => {
    const oauth = { mode: 'oauth', issuer: 'https://login.example.com' } as const;
    rejects('MCPF_CDK_AUTH_INVALID', { auth: { ...oauth, issuer: 'http://login.example.com' } }, 'auth.issuer', 'https://');
    rejects('MCPF_CDK_AUTH_INVALID', { auth: { ...oauth, issuer: 'https://login.example.com/?tenant=1' } }, 'without query or fragment');
    rejects('MCPF_CDK_AUTH_INVALID', { auth: { ...oauth, jwksUrl: 'ftp://keys' } }, 'auth.jwksUrl');
    rejects('MCPF_CDK_AUTH_INVALID', { auth: { ...oauth, scopes: ['read write'] } }, 'auth.scopes[0]');
    rejects('MCPF_CDK_AUTH_INVALID', { auth: { ...oauth, algorithms: ['RS256', 'HS256'] } }, 'auth.algorithms[1]', 'never none, never HMAC');
    rejects('MCPF_CDK_AUTH_INVALID', { auth: { ...oauth, algorithms: ['none'] } }, 'auth.algorithms[0]');
    assert.ok(build({ auth: { ...oauth, algorithms: ['ES256', 'EdDSA'], scopes: ['mcp:tools'] } }));
  });

  test('WHEN oauth meets plain HTTP THEN it is refused: the audience is the HTTPS MCP URL', () => {
    rejects(
      'MCPF_CDK_AUTH_INVALID',
      { auth: { mode: 'oauth', cognito: {} }, insecureHttpForTesting: true, certificate: undefined, domainName: undefined },
      'plain HTTP',
      "mode 'keys'",
    );
  });

  test('WHEN the Cognito domain prefix or a scope breaks Cognito rules THEN it is refused', () => {
    rejects('MCPF_CDK_AUTH_INVALID', { auth: { mode: 'oauth', cognito: { domainPrefix: 'my-aws-mcp' } } }, 'auth.cognito.domainPrefix', 'aws');
    rejects('MCPF_CDK_AUTH_INVALID', { auth: { mode: 'oauth', cognito: { domainPrefix: '-mcp' } } }, 'auth.cognito.domainPrefix');
    rejects('MCPF_CDK_AUTH_INVALID', { auth: { mode: 'oauth', cognito: { scopes: ['a/b"'] } } }, 'auth.cognito.scopes[0]');
    rejects('MCPF_CDK_AUTH_INVALID', { auth: { mode: 'oauth', cognito: { scopes: [] } } }, 'auth.cognito.scopes', 'needs a scope');
  });

  test('WHEN the WAF rate limit is out of range THEN it is refused', () => {
    rejects('MCPF_CDK_NUMBER_OUT_OF_RANGE', { waf: { rateLimitPer5Minutes: 50 } }, 'waf.rateLimitPer5Minutes', '50');
  });

  test('WHEN a server has no kind, two kinds, or a field of another kind THEN it is refused', () => {
    rejects('MCPF_CDK_SERVER_INVALID', { server: {} as never }, 'server must have exactly one of module, command, url and image', 'got none');
    rejects('MCPF_CDK_SERVER_CONFLICT', { server: { module: '/app/a.js', command: 'node b.js' } as never }, 'got module and command');
    rejects('MCPF_CDK_SERVER_CONFLICT', { server: { module: '/app/a.js', headers: { a: 'b' } } as never }, 'server.headers applies to a url server');
    rejects('MCPF_CDK_SERVER_CONFLICT', { server: { module: '/app/a.js', default: true } as never }, 'server.default applies only to one of several');
  });

  test('WHEN a module path is relative or a command line cannot be split THEN it is refused', () => {
    rejects('MCPF_CDK_SERVER_INVALID', { server: { module: './server.js' } }, 'server.module', 'absolute path');
    rejects('MCPF_CDK_SERVER_INVALID', { server: { command: `python -c 'print(1)` } }, 'server.command', 'unterminated single quote');
    rejects('MCPF_CDK_SERVER_INVALID', { server: { command: 'node a.js', cwd: 'srv' } }, 'server.cwd');
    rejects('MCPF_CDK_ENV_CARRIES_SECRET', { server: { command: 'mcp-github --token ghp_0123456789abcdefghij0123' } }, 'server.command', 'passEnv');
  });

  test('WHEN a stdio child would see the gateway credentials, or its env would change the gateway THEN it is refused', () => {
    rejects('MCPF_CDK_ENV_RESERVED', { server: { command: 'node a.js', passEnv: ['AUTH_KEYS'] } }, 'server.passEnv[0]', 'AUTH_KEYS');
    rejects('MCPF_CDK_ENV_NAME_INVALID', { server: { command: 'node a.js', passEnv: ['bad-name'] } }, '"bad-name"');
    rejects('MCPF_CDK_ENV_RESERVED', { server: { command: 'node a.js', env: { LOG_LEVEL: 'debug' } } }, 'server.env.LOG_LEVEL', 'servers');
    rejects('MCPF_CDK_ENV_RESERVED', { environment: { FOO: '1' }, server: { command: 'node a.js', env: { FOO: '2' } } }, 'server.env.FOO');
    rejects('MCPF_CDK_ENV_CARRIES_SECRET', { server: { command: 'node a.js', env: { API_TOKEN: 'x' } } }, 'server.env.API_TOKEN');
    // Within servers a child's env travels in MCP_SERVERS, not as gateway variables.
    assert.ok(build({ servers: { a: { command: 'node a.js', env: { LOG_LEVEL: 'debug' } } } }));
  });

  test('WHEN an upstream URL is malformed, carries credentials or is the gateway itself THEN it is refused', () => {
    rejects('MCPF_CDK_SERVER_INVALID', { server: { url: 'ws://127.0.0.1:8000/mcp' } }, 'server.url', 'http://');
    rejects('MCPF_CDK_SERVER_INVALID', { server: { url: 'http://localhost:8080/mcp' } }, 'the gateway itself');
    rejects('MCPF_CDK_ENV_CARRIES_SECRET', { server: { url: 'https://user:pw@mcp.example.net/mcp' } }, 'server.url');
  });

  test('WHEN an upstream header holds a literal credential or references an undefined variable THEN it is refused', () => {
    const url = 'https://mcp.example.net/mcp';
    rejects('MCPF_CDK_ENV_CARRIES_SECRET', { server: { url, headers: { Authorization: 'Bearer abc' } } }, 'server.headers.Authorization', `\${NAME}`);
    rejects('MCPF_CDK_ENV_CARRIES_SECRET', { server: { url, headers: { 'X-Trace': 'sk-0123456789abcdefghijkl' } } }, 'server.headers.X-Trace');
    rejects(
      'MCPF_CDK_SERVER_INVALID',
      { server: { url, headers: { Authorization: `Bearer \${UPSTREAM}` } } },
      `\${UPSTREAM}`,
      'neither secrets nor environment',
    );
    rejects('MCPF_CDK_SERVER_INVALID', { server: { url, headers: { 'Bad Header': 'x' } } }, '"Bad Header"');
    assert.ok(build({ server: { url, headers: { Authorization: `Bearer \${UPSTREAM}` } }, secrets: { UPSTREAM: { secret: 'prod/upstream' } } }));
  });

  test('WHEN a sidecar lacks its health check, takes the gateway port, or has a bad path or digest THEN it is refused', () => {
    rejects('MCPF_CDK_SERVER_INVALID', (stack) => ({ server: { image: sidecarImage(stack), port: 8000 } as never }), 'server.healthCheck.command is required');
    rejects(
      'MCPF_CDK_SERVER_INVALID',
      { server: { image: { digest: DIGEST }, port: 8000, healthCheck: HEALTH } as never },
      'server.image.repository is required',
    );
    rejects('MCPF_CDK_SERVER_INVALID', (stack) => ({ server: { image: sidecarImage(stack), port: 8000, healthCheck: { command: ['curl', 'x'] } } }), "['CMD'");
    rejects(
      'MCPF_CDK_SERVER_CONFLICT',
      (stack) => ({ server: { image: sidecarImage(stack), port: 8080, healthCheck: HEALTH } }),
      'server.port',
      'containerPort',
    );
    rejects('MCPF_CDK_NUMBER_OUT_OF_RANGE', (stack) => ({ server: { image: sidecarImage(stack), port: 80, healthCheck: HEALTH } }), 'server.port');
    rejects('MCPF_CDK_SERVER_INVALID', (stack) => ({ server: { image: sidecarImage(stack), port: 8000, path: 'mcp', healthCheck: HEALTH } }), 'server.path');
    rejects(
      'MCPF_CDK_IMAGE_TAG_NOT_ALLOWED',
      (stack) => ({ server: { image: { ...sidecarImage(stack), digest: 'latest' }, port: 8000, healthCheck: HEALTH } }),
      'server.image.digest',
    );
    rejects(
      'MCPF_CDK_NUMBER_OUT_OF_RANGE',
      (stack) => ({ server: { image: sidecarImage(stack), port: 8000, healthCheck: { ...HEALTH, interval: Duration.seconds(1) } } }),
      'server.healthCheck.interval',
    );
    rejects(
      'MCPF_CDK_ENV_RESERVED',
      (stack) => ({ server: { image: sidecarImage(stack), port: 8000, healthCheck: HEALTH, environment: { K: 'v' }, secrets: { K: { secret: 'prod/k' } } } }),
      'server.secrets.K',
    );
  });

  test('WHEN servers has a bad name, two defaults, no entry, two sidecars on one port, or comes with server THEN it is refused', () => {
    rejects('MCPF_CDK_SERVER_INVALID', { servers: { GitHub: { module: '/app/a.js' } } }, 'servers', '"GitHub"');
    rejects(
      'MCPF_CDK_SERVER_CONFLICT',
      { servers: { a: { module: '/app/a.js', default: true }, b: { module: '/app/b.js', default: true } } },
      'a and b are both the default',
    );
    rejects('MCPF_CDK_SERVER_INVALID', { servers: {} }, 'names no server');
    rejects(
      'MCPF_CDK_SERVER_CONFLICT',
      (stack) => {
        const image = sidecarImage(stack);
        return { servers: { a: { image, port: 8000, healthCheck: HEALTH }, b: { image, port: 8000, healthCheck: HEALTH } } };
      },
      'servers.b.port',
      'a listens on already',
    );
    rejects('MCPF_CDK_SERVER_CONFLICT', { server: { module: '/app/a.js' }, servers: { b: { module: '/app/b.js' } } }, 'are both given');
  });

  test('WHEN environment or secrets set what a prop sets THEN the prop is named', () => {
    rejects('MCPF_CDK_ENV_RESERVED', { environment: { MCP_SERVER: '/app/a.js' } }, 'environment.MCP_SERVER', 'use server or servers');
    rejects('MCPF_CDK_ENV_RESERVED', { environment: { REDIS_CLUSTER: 'on' } }, 'use sessionStore');
    rejects('MCPF_CDK_ENV_RESERVED', { environment: { AUTH_MODE: 'none' } }, 'use auth');
    rejects('MCPF_CDK_ENV_RESERVED', { secrets: { AUTH_KEYS: { secret: 'prod/keys' } } }, 'secrets.AUTH_KEYS', 'use auth');
    rejects('MCPF_CDK_ENV_RESERVED', { secrets: { REDIS_URL: { secret: 'prod/redis' } } }, 'secrets.REDIS_URL', 'use sessionStore');
  });

  test('WHEN an existing store URL carries credentials, is not redis, or its port is closed to the tasks THEN it is refused', () => {
    const open = [{ cidr: '10.0.0.0/16', port: 6379 }];
    rejects('MCPF_CDK_SESSION_STORE_INVALID', { sessionStore: { url: 'redis://:pw@cache.internal:6379' }, egressRules: open }, 'urlSecret');
    rejects('MCPF_CDK_SESSION_STORE_INVALID', { sessionStore: { url: 'http://cache.internal:6379' }, egressRules: open }, 'redis:// or rediss://');
    rejects('MCPF_CDK_SESSION_STORE_INVALID', { sessionStore: { url: 'rediss://cache.internal:6380' }, egressRules: open }, 'port 6380', 'egressRules');
    assert.ok(build({ sessionStore: { url: 'rediss://cache.internal', cluster: true }, egressRules: open }));
    rejects('MCPF_CDK_CHOICE_INVALID', { sessionStore: 'dynamodb' as never }, 'sessionStore', '"dynamodb"');
  });

  test('WHEN the valkey limits are given without valkey, or out of range THEN they are refused', () => {
    rejects('MCPF_CDK_SESSION_STORE_INVALID', { valkeyMaxDataStorageGb: 2 }, 'valkeyMaxDataStorageGb', '"memory"');
    rejects('MCPF_CDK_NUMBER_OUT_OF_RANGE', { sessionStore: 'valkey', valkeyMaxEcpuPerSecond: 500 }, 'valkeyMaxEcpuPerSecond', '500');
  });

  test('WHEN stickiness is off with the memory store and more than one task THEN it is refused; with one task or a shared store it is allowed', () => {
    rejects('MCPF_CDK_STICKINESS_REQUIRED', { stickiness: { type: 'off' } }, 'up to 4 tasks', '404', "sessionStore: 'valkey'");
    assert.ok(build({ stickiness: { type: 'off' }, minTasks: 1, maxTasks: 1 }));
    assert.ok(build({ stickiness: { type: 'off' }, sessionStore: 'valkey', maxTasks: 10 }));
  });

  test('WHEN a gateway timeout override breaks the order the ALB needs THEN it is refused, naming both values', () => {
    rejects('MCPF_CDK_TIMEOUT_INVALID', { environment: { KEEP_ALIVE_TIMEOUT_MS: '120000' } }, 'KEEP_ALIVE_TIMEOUT_MS (120000)', '120000 ms', '502');
    rejects('MCPF_CDK_TIMEOUT_INVALID', { idleTimeout: Duration.seconds(300), environment: { KEEP_ALIVE_TIMEOUT_MS: '125000' } }, '300000 ms');
    rejects('MCPF_CDK_TIMEOUT_INVALID', { environment: { SSE_HEARTBEAT_MS: '0' } }, 'SSE_HEARTBEAT_MS (0)');
    rejects(
      'MCPF_CDK_TIMEOUT_INVALID',
      { idleTimeout: Duration.seconds(30), environment: { SSE_HEARTBEAT_MS: '30000' } },
      'below the ALB idle timeout (30000 ms)',
    );
    rejects(
      'MCPF_CDK_TIMEOUT_INVALID',
      { environment: { HEADERS_TIMEOUT_MS: '70000', REQUEST_TIMEOUT_MS: '60000' } },
      'must not exceed REQUEST_TIMEOUT_MS (60000)',
    );
    rejects('MCPF_CDK_TIMEOUT_INVALID', { environment: { KEEP_ALIVE_TIMEOUT_MS: '2m' } }, 'whole number of milliseconds', '"2m"');
    assert.ok(build({ environment: { KEEP_ALIVE_TIMEOUT_MS: '130000', SSE_HEARTBEAT_MS: '15000', HEADERS_TIMEOUT_MS: '20000', REQUEST_TIMEOUT_MS: '0' } }));
  });

  test('WHEN a tag breaks the AWS rules or names a tag the construct sets THEN it is refused', () => {
    rejects('MCPF_CDK_TAG_INVALID', { tags: { 'aws:team': 'mcp' } }, 'tags.aws:team', 'aws:');
    rejects('MCPF_CDK_TAG_INVALID', { tags: { 'mcp-fargate:service': 'x' } }, 'sets "mcp-fargate:service" itself');
    rejects('MCPF_CDK_TAG_INVALID', { tags: { team: 'a'.repeat(257) } }, 'tags.team', 'up to 256');
  });

  test('WHEN an egress rule is malformed THEN it is refused with its index', () => {
    rejects(
      'MCPF_CDK_CIDR_INVALID',
      {
        egressRules: [
          { cidr: '10.0.0.0/8', port: 5432 },
          { cidr: 'db', port: 5432 },
        ],
      },
      'egressRules[1].cidr',
    );
    rejects('MCPF_CDK_NUMBER_OUT_OF_RANGE', { egressRules: [{ prefixListId: 'pl-0123456789abcdef0', port: 70000 }] }, 'egressRules[0].port', '70000');
  });

  test('WHEN stickiness duration is out of range THEN it names the range and the value', () => {
    rejects('MCPF_CDK_STICKINESS_DURATION_INVALID', { stickiness: { type: 'lb-cookie', duration: Duration.days(8) } }, 'stickiness.duration', '691200');
    rejects('MCPF_CDK_STICKINESS_DURATION_INVALID', { stickiness: { type: 'lb-cookie', duration: Duration.millis(500) } }, 'stickiness.duration');
  });

  test('WHEN app-cookie stickiness is asked for (from JavaScript) THEN it is refused: the gateway sets no cookie to follow', () => {
    rejects(
      'MCPF_CDK_CHOICE_INVALID',
      { stickiness: { type: 'app-cookie', cookieName: 'mcp', duration: Duration.hours(1) } as never },
      'sets no cookie',
      '"app-cookie"',
    );
  });

  test('WHEN a JSON key is asked of a plain string secret THEN it is refused', () => {
    rejects(
      'MCPF_CDK_SECRET_JSON_KEY_ON_STRING',
      { secrets: { API_KEY: { secret: 'prod/api-key', format: 'string', jsonKey: 'key' } } },
      'secrets.API_KEY.jsonKey',
      'plain string',
    );
  });

  test('WHEN a JSON key is asked of a Secret construct holding a plain string THEN it is refused', () => {
    rejects(
      'MCPF_CDK_SECRET_JSON_KEY_ON_STRING',
      (stack) => ({ secrets: { API_KEY: { secret: new secretsmanager.Secret(stack, 'Plain'), jsonKey: 'key' } } }),
      'secrets.API_KEY.jsonKey',
    );
    assert.ok(
      build((stack) => ({
        secrets: {
          API_KEY: {
            secret: new secretsmanager.Secret(stack, 'Json', { generateSecretString: { secretStringTemplate: '{}', generateStringKey: 'key' } }),
            jsonKey: 'key',
          },
        },
      })),
    );
  });

  test('WHEN a secret reference is neither a name nor an ARN THEN it is refused', () => {
    rejects('MCPF_CDK_SECRET_INVALID', { secrets: { API_KEY: { secret: 'arn:aws:s3:::bucket' } } }, 'secrets.API_KEY.secret', '"arn:aws:s3:::bucket"');
  });

  test('WHEN a KMS key is an alias THEN it is refused', () => {
    rejects('MCPF_CDK_KMS_KEY_INVALID', { secrets: { API_KEY: { secret: 'prod/api', kmsKeyArn: 'alias/mcp' } } }, 'secrets.API_KEY.kmsKeyArn', '"alias/mcp"');
  });

  test('WHEN a plain environment variable looks like a credential THEN secrets is the way', () => {
    rejects('MCPF_CDK_ENV_CARRIES_SECRET', { environment: { GITHUB_TOKEN: 'x' } }, 'environment.GITHUB_TOKEN', 'AwsSolutions-ECS2');
    rejects('MCPF_CDK_ENV_CARRIES_SECRET', { environment: { SETTING: 'AKIAIOSFODNN7EXAMPLE' } }, 'environment.SETTING');
  });

  test('WHEN an environment name is invalid, reserved, or also a secret THEN it is refused', () => {
    rejects('MCPF_CDK_ENV_NAME_INVALID', { environment: { 'BAD-NAME': 'x' } }, '"BAD-NAME"');
    rejects('MCPF_CDK_ENV_RESERVED', { environment: { PORT: '9000' } }, 'environment.PORT', 'containerPort');
    rejects('MCPF_CDK_ENV_RESERVED', { environment: { SESSION_STORE: 'memory' } }, 'environment.SESSION_STORE', 'sessionStore');
    rejects('MCPF_CDK_ENV_RESERVED', { environment: { REGION_NAME: 'x' }, secrets: { REGION_NAME: { secret: 'prod/x' } } }, 'secrets.REGION_NAME');
  });

  test('WHEN task counts are inconsistent THEN the error names both sides', () => {
    rejects('MCPF_CDK_TASK_COUNT_INVALID', { minTasks: 4, maxTasks: 2 }, 'minTasks (4)', 'maxTasks (2)');
    rejects('MCPF_CDK_TASK_COUNT_INVALID', { minTasks: 2, maxTasks: 4, desiredCount: 5 }, 'desiredCount', 'got 5');
    rejects('MCPF_CDK_NUMBER_OUT_OF_RANGE', { maxTasks: 0 }, 'maxTasks', 'got 0');
  });

  test('WHEN an allowed CIDR or prefix list is malformed THEN it is refused with its index', () => {
    rejects('MCPF_CDK_CIDR_INVALID', { allowedCidrs: ['10.0.0.0/8', '10.0.0.300/24'] }, 'allowedCidrs[1]', '"10.0.0.300/24"');
    rejects('MCPF_CDK_PREFIX_LIST_INVALID', { allowedPrefixListIds: ['sg-123'] }, 'allowedPrefixListIds[0]', '"sg-123"');
  });

  test('WHEN the domain is outside the hosted zone, or a zone has no domain THEN it is refused', () => {
    const zone = (stack: Stack) =>
      route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' });
    rejects('MCPF_CDK_DOMAIN_INVALID', (stack) => ({ hostedZone: zone(stack), domainName: 'mcp.example.org' }), '"mcp.example.org"', '"example.com"');
    rejects('MCPF_CDK_DOMAIN_REQUIRED', (stack) => ({ hostedZone: zone(stack), certificate: undefined, domainName: undefined }), 'hostedZone', 'domainName');
    rejects('MCPF_CDK_DOMAIN_INVALID', { domainName: 'MCP Example' }, 'domainName', '"MCP Example"');
  });

  test('WHEN an existing VPC comes with new-VPC options THEN it is a conflict', () => {
    rejects(
      'MCPF_CDK_VPC_CONFLICT',
      (stack) => ({ vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['eu-west-1a'] }), egress: 'nat' }),
      'egress',
    );
    rejects('MCPF_CDK_VPC_CONFLICT', { egress: 'vpc-endpoints', natGateways: 1 }, 'natGateways');
  });

  test('WHEN a prop takes one of a few values and gets another (from JavaScript) THEN the choices are named', () => {
    rejects('MCPF_CDK_CHOICE_INVALID', { egress: 'public' as never }, "egress must be 'nat' or 'vpc-endpoints'", '"public"');
    rejects('MCPF_CDK_CHOICE_INVALID', { secrets: { API_KEY: { secret: 'prod/api', format: 'yaml' as never } } }, 'secrets.API_KEY.format', '"yaml"');
  });

  test('WHEN an existing repository comes with new-repository options THEN it is a conflict', () => {
    rejects(
      'MCPF_CDK_REPOSITORY_CONFLICT',
      (stack) => ({ repository: ecr.Repository.fromRepositoryName(stack, 'Repo', 'mcp'), repositoryName: 'other' }),
      'repositoryName',
    );
  });

  test('WHEN names break AWS naming rules THEN they are refused', () => {
    rejects('MCPF_CDK_NAME_INVALID', { serviceName: 'my service' }, 'serviceName', '"my service"');
    rejects('MCPF_CDK_NAME_INVALID', { repositoryName: 'Upper/Case' }, 'repositoryName', '"Upper/Case"');
  });

  test('WHEN alarm thresholds or scaling targets are out of range THEN they are refused', () => {
    rejects('MCPF_CDK_NUMBER_OUT_OF_RANGE', { cpuAlarmPercent: 150 }, 'cpuAlarmPercent', '150');
    rejects('MCPF_CDK_NUMBER_OUT_OF_RANGE', { targetCpuUtilizationPercent: 95 }, 'targetCpuUtilizationPercent', '95');
    rejects('MCPF_CDK_NUMBER_OUT_OF_RANGE', { containerPort: 80 }, 'containerPort', '80');
  });

  test('WHEN the stack has no concrete region THEN it is required (ALB access logs need it)', () => {
    assert.throws(
      () => build({}, {} as typeof ENV),
      (error: unknown) => error instanceof McpFargateError && error.code === 'MCPF_CDK_REGION_REQUIRED',
    );
  });
});

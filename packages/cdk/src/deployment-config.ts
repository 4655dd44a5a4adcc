import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { DEFAULTS, LIMITS } from './defaults.js';
import type { ErrorCode } from './errors.js';
import { ERROR_CODES, McpFargateError, show } from './errors.js';
import { FARGATE_CPUS, FARGATE_MEMORY_MIB, validateTaskSize } from './fargate-task-size.js';
import { GATEWAY_ENV, RESERVED_ENVIRONMENT } from './gateway-env.js';
import { resolveAuth, validateAcknowledgement, validateAuthHeader } from './service/auth.js';
import { validateChildEnvironmentNames, validateServerEntry, validateServerName, validateServerSet } from './service/hosted-server.js';
import { CONSTRUCT_TAGS } from './service/props.js';
import { validateRedisUrl } from './service/session-store.js';
import type { Range } from './validation.js';
import {
  parseSecretReference,
  validateCertificateArn,
  validateCidr,
  validateDomainInZone,
  validateDomainName,
  validateEnvironmentName,
  validateImageDigest,
  validateKmsKeyArn,
  validatePlainEnvironment,
  validatePrefixListId,
  validateRepositoryName,
  validateSecretJsonKey,
  validateServiceName,
  validateTag,
  validateTaskCounts,
  LOG_RETENTION_DAYS,
  parseImageReference,
  STICKINESS_MAX_SECONDS,
} from './validation.js';

/*
 * The deployment config file, `mcp-fargate.config.json`, as one zod schema: it validates the file, gives the parsed
 * config its type, and generates the JSON Schema editors use (`mcp-fargate.config.schema.json`). Field types, ranges
 * and formats are zod's; the rules the construct shares (digests, CIDRs, task sizes, ...) run inside the schema as
 * refinements and keep their own error codes. Every problem in a file is reported in one run.
 */

/** Runs a shared rule inside the schema; its `McpFargateError` travels as the issue's message, code first. */
function rule<T>(check: (value: T, report: (check: () => unknown) => void) => void) {
  return (value: T, ctx: z.RefinementCtx<T>) => {
    const report = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        if (!(error instanceof McpFargateError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message, input: value });
      }
    };
    check(value, report);
  };
}

/**
 * An object-level rule runs only when the fields it reads (dotted paths) parsed, whatever happened to their siblings:
 * zod would otherwise skip it whenever any field of the object has a problem, and the user would meet it only on the
 * next run.
 */
function whenParsed(...fields: string[]): { when: (payload: z.core.ParsePayload) => boolean } {
  const paths = fields.map((field) => field.split('.'));
  return { when: (payload) => !payload.issues.some((issue) => paths.some((path) => path.every((key, i) => String(issue.path?.[i]) === key))) };
}

/**
 * An integer in a range. Schema-level messages say what is accepted (`describeIssue` adds the field and the value),
 * after the error code when it is not the generic one.
 */
function integer(range: Range, code?: ErrorCode) {
  const accepted = `${code === undefined ? '' : `${code}: `}an integer from ${range.min} to ${range.max}`;
  return z.int().min(range.min, { error: accepted }).max(range.max, { error: accepted });
}

function number(range: Range) {
  const accepted = `a number from ${range.min} to ${range.max}`;
  return z.number().min(range.min, { error: accepted }).max(range.max, { error: accepted });
}

/** One of a list of numbers, reported under `code`. */
function oneOf(values: readonly number[], code: ErrorCode, unit: string) {
  const [first, ...rest] = values;
  if (first === undefined) throw new Error('oneOf needs values');
  return z.literal([first, ...rest], { error: `${code}: one of ${values.join(', ')} ${unit}` });
}

/** A string matching `pattern`; `accepted` says what that is in words. */
function matching(pattern: RegExp, accepted: string) {
  return z.string().regex(pattern, { error: accepted });
}

const nonEmpty = () => z.string().min(1, { error: 'a non-empty string' });

const IMAGE = z
  .strictObject({
    repositoryName: nonEmpty()
      .describe('ECR repository name')
      .superRefine(rule((name, report) => report(() => validateRepositoryName('image.repositoryName', name)))),
    createRepository: z.boolean().default(true).describe('create the repository in its own stack; false: it exists already'),
    digest: z
      .string({
        // A missing digest gets the construct's own error (and code): images are deployed pinned by digest.
        error: (issue) => (issue.input === undefined ? messageOf(() => validateImageDigest('image.digest', undefined)) : undefined),
      })
      .describe('sha256:<64 hex> digest of the pushed image; tags such as latest are refused')
      .superRefine(rule((digest, report) => report(() => validateImageDigest('image.digest', digest)))),
    keepImages: integer(LIMITS.keepImages).optional().describe(`images the created repository keeps (default ${DEFAULTS.keepImages})`),
  })
  .superRefine(
    rule((image, report) => {
      if (!image.createRepository && image.keepImages !== undefined) {
        report(() => fail('MCPF_CDK_CONFIG_INVALID', 'image.keepImages applies only to a repository the stack creates (createRepository: true)'));
      }
    }),
    whenParsed('createRepository', 'keepImages'),
  );

const TASK = z
  .strictObject({
    cpu: oneOf(FARGATE_CPUS, 'MCPF_CDK_TASK_SIZE_INVALID', 'CPU units').default(DEFAULTS.cpu).describe('CPU units; with memoryMiB, a pair Fargate allows'),
    memoryMiB: integer(FARGATE_MEMORY_MIB, 'MCPF_CDK_TASK_SIZE_INVALID')
      .default(DEFAULTS.memoryLimitMiB)
      .describe('memory in MiB; with cpu, a pair Fargate allows'),
    architecture: z.enum(['arm64', 'x86_64']).default(DEFAULTS.cpuArchitecture).describe('CPU architecture; the image must be built for it'),
  })
  .superRefine(
    rule((task, report) => report(() => validateTaskSize({ cpu: 'task.cpu', memory: 'task.memoryMiB' }, task.cpu, task.memoryMiB))),
    whenParsed('cpu', 'memoryMiB'),
  );

const SCALING = z
  .strictObject({
    minTasks: integer(LIMITS.tasks).optional().describe(`fewest tasks (default ${DEFAULTS.minTasks})`),
    desiredTasks: integer(LIMITS.tasks)
      .optional()
      .describe('tasks every deployment resets the count to; leave unset so deployments keep what autoscaling chose'),
    maxTasks: integer({ min: 1, max: LIMITS.tasks.max }).optional().describe(`most tasks (default the larger of ${DEFAULTS.maxTasks} and minTasks)`),
    targetCpuPercent: number(LIMITS.targetCpuUtilizationPercent)
      .optional()
      .describe(`CPU target tracking, percent (default ${DEFAULTS.targetCpuUtilizationPercent})`),
    requestsPerTarget: integer(LIMITS.targetRequestsPerTarget)
      .optional()
      .describe(`ALB requests per target per minute (default ${DEFAULTS.targetRequestsPerTarget})`),
  })
  .superRefine(
    rule((scaling, report) => {
      const min = scaling.minTasks ?? DEFAULTS.minTasks;
      const max = scaling.maxTasks ?? Math.max(DEFAULTS.maxTasks, min);
      const fields = { min: 'scaling.minTasks', desired: 'scaling.desiredTasks', max: 'scaling.maxTasks' };
      report(() => validateTaskCounts(fields, min, scaling.desiredTasks ?? min, max));
    }),
    whenParsed('minTasks', 'desiredTasks', 'maxTasks'),
  );

/** Variables the stack sets itself, and what a config sets instead (the construct's own message names its props). */
const RESERVED_IN_CONFIG: Record<string, string> = {
  PORT: 'the gateway listens on 8080 in the task, where the target group sends traffic; remove it',
  HOST: 'the gateway listens on every interface of the task; remove it',
  SESSION_STORE: 'use the sessionStore field',
  METRICS: 'the stack turns the gateway metrics on; remove it',
  METRICS_SERVICE: 'the metrics carry serviceName; remove it',
};

const ENVIRONMENT = z
  .record(z.string(), z.string())
  .describe('plain environment variables for the container; never credentials (use secrets)')
  .superRefine(
    rule((environment, report) => {
      for (const [name, value] of Object.entries(environment)) {
        const reserved = RESERVED_IN_CONFIG[name];
        if (reserved !== undefined) report(() => fail('MCPF_CDK_ENV_RESERVED', `environment.${name} is set for you: ${reserved}`));
        else report(() => validatePlainEnvironment('environment', name, value));
      }
    }),
  );

const SECRET = z.union([
  z.string().describe('a Secrets Manager secret name or ARN'),
  z.strictObject({
    secret: nonEmpty().describe('a Secrets Manager secret name or ARN'),
    jsonKey: z.string().optional().describe('key to read from a secret whose value is a JSON object'),
    format: z.enum(['json', 'string']).optional().describe('whether the secret value is a JSON object or a plain string'),
    kmsKeyArn: z.string().optional().describe('ARN of the customer managed KMS key that encrypts the secret'),
  }),
]);

/** A secret as the construct takes it: a bare name or ARN becomes `{ secret }`. */
const SECRET_SPEC = SECRET.transform((spec) => (typeof spec === 'string' ? { secret: spec } : spec));

type SecretSpec = z.output<typeof SECRET_SPEC>;

/** The rules of one secret reference, under `field`. */
function checkSecret(field: string, spec: SecretSpec, report: (check: () => unknown) => void): void {
  report(() => parseSecretReference(`${field}.secret`, spec.secret));
  report(() => validateSecretJsonKey(`${field}.jsonKey`, spec.jsonKey, spec.format));
  const kmsKeyArn = spec.kmsKeyArn;
  if (kmsKeyArn !== undefined) report(() => validateKmsKeyArn(`${field}.kmsKeyArn`, kmsKeyArn));
}

const SECRETS = z
  .record(z.string(), SECRET_SPEC)
  .describe('environment variables that ECS fills from Secrets Manager when the task starts')
  .superRefine(
    (secrets, ctx) => {
      // Each entry is checked on its own, so one malformed secret does not hide the problems of the others.
      const malformed = new Set(ctx.issues.map((issue) => issue.path?.[0]));
      for (const [name, spec] of Object.entries(secrets)) {
        if (malformed.has(name)) continue;
        rule<typeof secrets>((_, report) => {
          report(() => validateEnvironmentName('secrets', name));
          checkSecret(`secrets.${name}`, spec, report);
        })(secrets, ctx);
      }
    },
    { when: () => true },
  );

const LOAD_BALANCER = z
  .strictObject({
    scheme: z
      .enum(['internet-facing', 'internal'])
      .default(DEFAULTS.internetFacing ? 'internet-facing' : 'internal')
      .describe('internal: reachable only from networks routed to the VPC'),
    certificateArn: z
      .string()
      .optional()
      .describe('ACM certificate for HTTPS')
      .superRefine(rule((arn, report) => arn !== undefined && report(() => validateCertificateArn('loadBalancer.certificateArn', arn)))),
    domainName: z
      .string()
      .optional()
      .describe('the host of the MCP URL')
      .superRefine(rule((name, report) => name !== undefined && report(() => validateDomainName('loadBalancer.domainName', name)))),
    hostedZone: z
      .strictObject({
        id: matching(/^Z[A-Z0-9]{1,31}$/, 'a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ'),
        name: nonEmpty(),
      })
      .optional()
      .describe('Route 53 zone holding domainName: gets an alias record, and validates a new certificate by DNS'),
    allowedCidrs: z
      .array(z.string())
      .default([])
      .describe('CIDR blocks allowed to reach the load balancer')
      .superRefine(
        rule((cidrs, report) => {
          for (const [i, cidr] of cidrs.entries()) report(() => validateCidr(`loadBalancer.allowedCidrs[${i}]`, cidr));
        }),
      ),
    allowedPrefixListIds: z
      .array(z.string())
      .default([])
      .describe('managed prefix lists allowed to reach the load balancer')
      .superRefine(
        rule((ids, report) => {
          for (const [i, id] of ids.entries()) report(() => validatePrefixListId(`loadBalancer.allowedPrefixListIds[${i}]`, id));
        }),
      ),
    insecureHttpForTesting: z.boolean().default(false).describe('plain HTTP on port 80, no TLS: internal testing only'),
    httpRedirect: z
      .boolean()
      .default(false)
      .describe('also listen on port 80 and redirect to HTTPS, for browsers; a 301 turns an MCP POST into a GET, so MCP clients use https://'),
    idleTimeoutSeconds: integer(LIMITS.idleTimeoutSeconds).optional().describe(`ALB idle timeout (default ${DEFAULTS.idleTimeoutSeconds})`),
  })
  .superRefine(
    rule((lb, report) => {
      if (lb.hostedZone === undefined) return;
      const zone = lb.hostedZone.name;
      if (lb.domainName === undefined) {
        report(() => fail('MCPF_CDK_DOMAIN_REQUIRED', 'loadBalancer.hostedZone is given without loadBalancer.domainName; name the record to create'));
      } else {
        const domainName = lb.domainName;
        report(() => validateDomainInZone('loadBalancer.domainName', domainName, zone));
      }
    }),
    whenParsed('hostedZone', 'domainName'),
  )
  .superRefine(
    rule((lb, report) => {
      if (lb.insecureHttpForTesting && (lb.certificateArn !== undefined || lb.domainName !== undefined || lb.httpRedirect)) {
        report(() =>
          fail(
            'MCPF_CDK_HTTP_CONFLICT',
            'loadBalancer.insecureHttpForTesting serves plain HTTP and no HTTPS, so certificateArn, domainName and httpRedirect would go unused; drop one side',
          ),
        );
      }
      if (lb.certificateArn !== undefined && lb.domainName === undefined) {
        report(() =>
          fail(
            'MCPF_CDK_DOMAIN_REQUIRED',
            "loadBalancer.domainName is required with certificateArn: the MCP URL must name a host the certificate covers (the load balancer's own DNS name is on no certificate of yours)",
          ),
        );
      }
      if (!lb.insecureHttpForTesting && lb.certificateArn === undefined && lb.hostedZone === undefined) {
        report(() =>
          fail(
            'MCPF_CDK_HTTPS_CERTIFICATE_REQUIRED',
            'loadBalancer.certificateArn is required for HTTPS: give an ACM certificate ARN, or domainName with hostedZone to create a ' +
              'DNS-validated certificate (insecureHttpForTesting: true serves plain HTTP, for internal testing only)',
          ),
        );
      }
    }),
    whenParsed('insecureHttpForTesting', 'certificateArn', 'domainName', 'hostedZone', 'httpRedirect'),
  );

const stickinessSeconds = integer({ min: 1, max: STICKINESS_MAX_SECONDS }, 'MCPF_CDK_STICKINESS_DURATION_INVALID').describe(
  'how long the ALB cookie pins a client to a task, in seconds (at most 7 days)',
);

const STICKINESS = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('off') }),
    z.strictObject({ type: z.literal('lb-cookie'), durationSeconds: stickinessSeconds }),
  ])
  .describe(
    `target group stickiness (default lb-cookie for ${DEFAULTS.stickinessSeconds} s); off only with one task while sessions live in memory. ` +
      'There is no app-cookie type: the gateway sets no cookie of its own',
  );

const EGRESS_RULE = z.strictObject({
  cidr: z.string().optional().describe('a CIDR block (this or prefixListId)'),
  prefixListId: z.string().optional().describe('a managed prefix list id (this or cidr)'),
  port: integer({ min: 1, max: 65535 }).describe('TCP port'),
  description: z.string().optional(),
});

const NETWORK = z
  .strictObject({
    egress: z.enum(['nat', 'vpc-endpoints']).optional().describe('new VPC: NAT gateways, or VPC endpoints only (default nat)'),
    natGateways: integer({ min: 1, max: LIMITS.maxAzs.max }).optional().describe('new VPC with egress nat: NAT gateways (default one per zone)'),
    maxAzs: integer(LIMITS.maxAzs).optional().describe(`new VPC: Availability Zones (default ${DEFAULTS.maxAzs})`),
    vpcId: matching(/^vpc-[0-9a-f]{8,17}$/, 'a VPC id such as vpc-0123456789abcdef0')
      .optional()
      .describe('an existing VPC, looked up by the CDK CLI'),
    egressRules: z
      .array(EGRESS_RULE)
      .default([])
      .describe('destinations the tasks may connect to besides HTTPS (a database port); no other egress is allowed')
      .superRefine(
        rule((rules, report) => {
          for (const [i, egressRule] of rules.entries()) {
            const field = `network.egressRules[${i}]`;
            if ((egressRule.cidr === undefined) === (egressRule.prefixListId === undefined)) {
              report(() => fail('MCPF_CDK_CONFIG_INVALID', `${field} needs exactly one of cidr and prefixListId`));
            }
            const { cidr, prefixListId } = egressRule;
            if (cidr !== undefined) report(() => validateCidr(`${field}.cidr`, cidr));
            if (prefixListId !== undefined) report(() => validatePrefixListId(`${field}.prefixListId`, prefixListId));
          }
        }),
      ),
  })
  .superRefine(
    rule((network, report) => {
      if (network.vpcId !== undefined) {
        for (const key of ['egress', 'natGateways', 'maxAzs'] as const) {
          if (network[key] !== undefined) {
            report(() => fail('MCPF_CDK_VPC_CONFLICT', `network.${key} configures a new VPC, but network.vpcId names an existing one`));
          }
        }
      } else if (network.natGateways !== undefined) {
        const egress = network.egress ?? DEFAULTS.egress;
        if (egress !== 'nat') report(() => fail('MCPF_CDK_VPC_CONFLICT', `network.natGateways needs egress "nat", but egress is "${egress}"`));
        const maxAzs = network.maxAzs ?? DEFAULTS.maxAzs;
        if (network.natGateways > maxAzs) {
          report(() => fail('MCPF_CDK_NUMBER_OUT_OF_RANGE', `network.natGateways must be an integer from 1 to maxAzs (${maxAzs}), got ${network.natGateways}`));
        }
      }
    }),
    whenParsed('egress', 'natGateways', 'maxAzs', 'vpcId'),
  );

const LOGS = z.strictObject({
  retentionDays: oneOf(LOG_RETENTION_DAYS, 'MCPF_CDK_LOG_RETENTION_INVALID', 'days')
    .default(DEFAULTS.logRetentionDays)
    .describe('retention of the container log group, in days'),
});

const ALARMS = z.strictObject({
  snsTopicArn: matching(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'an SNS topic ARN')
    .optional()
    .describe('topic the alarms notify (subscribe a person to it)'),
  http5xxPerMinute: number(LIMITS.http5xxAlarmThreshold).optional().describe(`5xx a minute that count as a breach (default ${DEFAULTS.http5xxAlarmThreshold})`),
  latencyP99Seconds: number(LIMITS.latencyP99AlarmSeconds)
    .optional()
    .describe(`p99 target response time that counts as a breach (default ${DEFAULTS.latencyP99AlarmSeconds})`),
  cpuPercent: number(LIMITS.alarmPercent).optional().describe(`service CPU that counts as a breach (default ${DEFAULTS.cpuAlarmPercent})`),
  memoryPercent: number(LIMITS.alarmPercent).optional().describe(`service memory that counts as a breach (default ${DEFAULTS.memoryAlarmPercent})`),
});

const HEALTH_CHECK = z.strictObject({
  command: z
    .array(z.string())
    .describe('the sidecar\'s container health check: ["CMD", "executable", ...args] or ["CMD-SHELL", "a shell line"], with what its image has'),
  intervalSeconds: integer(LIMITS.healthCheckIntervalSeconds).optional().describe(`seconds between checks (default ${DEFAULTS.healthCheckIntervalSeconds})`),
  timeoutSeconds: integer(LIMITS.healthCheckTimeoutSeconds).optional().describe(`seconds a check may take (default ${DEFAULTS.healthCheckTimeoutSeconds})`),
  retries: integer(LIMITS.healthCheckRetries).optional().describe(`failed checks before the container is unhealthy (default ${DEFAULTS.unhealthyThreshold})`),
  startPeriodSeconds: integer(LIMITS.healthCheckStartPeriodSeconds)
    .optional()
    .describe(`seconds after start in which failures do not count (default ${DEFAULTS.healthCheckGraceSeconds})`),
});

/**
 * A hosted server: exactly one of module, command, url and image (a sidecar), with that kind's fields. One object
 * rather than a union, so a mistake is reported in the words of the kind the file meant (validateServerEntry).
 */
const SERVER_FIELDS = {
  module: z.string().optional().describe('absolute path of a module in the image whose default export returns an McpServer (SDK v2 or v1)'),
  command: z
    .string()
    .optional()
    .describe('a stdio server\'s command line, split without a shell: words on whitespace, \'...\' literal, "..." with \\" and \\\\'),
  cwd: z.string().optional().describe("command: the child's absolute working directory"),
  passEnv: z.array(z.string()).optional().describe("command: names of the gateway's variables (such as secrets) the child may see"),
  env: z.record(z.string(), z.string()).optional().describe('command: plain values for the child; never credentials'),
  url: z.string().optional().describe('an existing streamable-HTTP MCP server, http:// or https://'),
  headers: z
    .record(z.string(), z.string())
    .optional()
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the gateway's own ${NAME} reference syntax, not a template.
    .describe("url: headers added to upstream requests; ${NAME} in a value is the gateway's variable NAME (a secret)"),
  image: z.string().optional().describe('a sidecar in its own image: <ECR repository name or URI>@sha256:<64 hex>, run beside the gateway'),
  port: integer(LIMITS.containerPort).optional().describe('image: the port the sidecar listens on, on 127.0.0.1 (not the gateway 8080)'),
  path: z.string().optional().describe(`image: the path of its MCP endpoint (default ${DEFAULTS.sidecarPath})`),
  healthCheck: HEALTH_CHECK.optional().describe('image: required, the gateway starts once it passes'),
  environment: z.record(z.string(), z.string()).optional().describe("image: the sidecar's plain environment; never credentials"),
  secrets: z.record(z.string(), SECRET_SPEC).optional().describe("image: the sidecar's variables from Secrets Manager"),
  user: z.string().optional().describe(`image: the user it runs as (default ${DEFAULTS.sidecarUser})`),
  readonlyRootFilesystem: z.boolean().optional().describe('image: read-only root filesystem with a writable /tmp volume (default true)'),
};

const SERVER = z
  .strictObject(SERVER_FIELDS)
  .describe(
    'the MCP server the gateway hosts (default: its built-in demo): { "module" }, { "command", "cwd"?, "passEnv"?, "env"? }, { "url", "headers"? } ' +
      'or a sidecar { "image", "port", "path"?, "healthCheck", "environment"?, "secrets"? }',
  );

const SERVERS = z
  .record(z.string(), z.strictObject({ ...SERVER_FIELDS, default: z.boolean().optional().describe('also serve this one at /mcp (at most one server)') }))
  .describe('several servers, each at /<name>/mcp, the one with "default": true also at /mcp; the same kinds as server');

const SESSION_STORE = z
  .union([
    // The object form first, so a malformed one is reported as itself (describeIssue takes the first branch that
    // got past the type check).
    z
      .strictObject({
        url: z.string().optional().describe('an existing store: redis:// or rediss:// URL without credentials'),
        urlSecret: SECRET_SPEC.optional().describe('an existing store whose URL carries credentials: the secret holding it'),
        cluster: z.boolean().optional().describe('the store runs in cluster mode (REDIS_CLUSTER=on; default false)'),
      })
      .superRefine(
        rule((store, report) => {
          if ((store.url === undefined) === (store.urlSecret === undefined)) {
            report(() => fail('MCPF_CDK_SESSION_STORE_INVALID', 'sessionStore needs exactly one of url and urlSecret'));
          }
          const secret = store.urlSecret;
          if (secret !== undefined) checkSecret('sessionStore.urlSecret', secret, report);
        }),
      ),
    z.enum(['memory', 'valkey']),
  ])
  .default(DEFAULTS.sessionStore as 'memory')
  .describe(
    'where legacy MCP session records live: "memory" (on the task that made them), "valkey" (an ElastiCache Serverless cache the stack ' +
      'creates: any task serves any session), or an existing store { "url" } / { "urlSecret" }',
  );

const VALKEY = z.strictObject({
  maxDataStorageGb: integer(LIMITS.valkeyMaxDataStorageGb)
    .optional()
    .describe(`most data the cache holds, in GB; a cap, billed by use (default ${DEFAULTS.valkeyMaxDataStorageGb})`),
  maxEcpuPerSecond: integer(LIMITS.valkeyMaxEcpuPerSecond)
    .optional()
    .describe(`most ElastiCache Processing Units a second (default ${DEFAULTS.valkeyMaxEcpuPerSecond})`),
});

const AUTH = z
  .discriminatedUnion(
    'mode',
    [
      z
        .strictObject({
          mode: z.literal('keys'),
          keysSecret: SECRET_SPEC.describe('the secret holding the keys, comma- or newline-separated (several while one rotates)'),
          header: z
            .string()
            .optional()
            .describe(`the header that carries a key (default ${DEFAULTS.authHeader}: Authorization: Bearer <key>; x-api-key, x-sema4ai-auth, ...)`),
        })
        .superRefine(
          rule((auth, report) => {
            checkSecret('auth.keysSecret', auth.keysSecret, report);
            const header = auth.header;
            if (header !== undefined) report(() => validateAuthHeader('auth.header', header));
          }),
        ),
      z
        .strictObject({
          mode: z.literal('oauth'),
          issuer: z.string().optional().describe("an external authorization server's issuer, https://"),
          jwksUrl: z.string().optional().describe('issuer: its JWKS URL (default: discovered from the issuer)'),
          scopes: z.array(z.string()).optional().describe('issuer: scopes every token must carry'),
          algorithms: z.array(z.string()).optional().describe('issuer: accepted JWS algorithms (asymmetric only)'),
          cognito: z
            .strictObject({
              domainPrefix: z.string().optional().describe('the hosted domain prefix (default: mcp- and the stack id)'),
              scopes: z.array(z.string()).optional().describe(`scope names of the resource server (default ["${DEFAULTS.cognitoScope}"])`),
            })
            .optional()
            .describe('a Cognito user pool the stack creates: resource server (the MCP URL), client-credentials app client, hosted domain'),
        })
        .superRefine(
          rule((auth, report) => {
            if ((auth.issuer === undefined) === (auth.cognito === undefined)) {
              report(() => fail('MCPF_CDK_AUTH_INVALID', 'auth (mode "oauth") needs exactly one of issuer (an external authorization server) and cognito'));
              return;
            }
            if (auth.cognito !== undefined) {
              for (const key of ['jwksUrl', 'scopes', 'algorithms'] as const) {
                if (auth[key] !== undefined)
                  report(() => fail('MCPF_CDK_AUTH_INVALID', `auth.${key} applies to an external issuer; with cognito, use auth.cognito.scopes`));
              }
            }
          }),
        ),
      z.strictObject({
        mode: z.literal('none'),
        acknowledgeNoAuth: z
          .string()
          .optional()
          .describe('required on an internet-facing load balancer: a sentence saying why an MCP anyone can call is acceptable')
          .superRefine(rule((ack, report) => ack !== undefined && report(() => validateAcknowledgement('auth.acknowledgeNoAuth', ack)))),
      }),
    ],
    {
      // A missing auth gets its own code and says what to choose: there is no default.
      error: (issue) =>
        issue.input === undefined
          ? (messageOf(() => resolveAuth((prop) => prop, undefined, { internetFacing: true, insecureHttp: false, audience: undefined })) ?? undefined)
          : undefined,
    },
  )
  .describe('who may call the MCP (required): { "mode": "keys", ... }, { "mode": "oauth", ... } or { "mode": "none", "acknowledgeNoAuth" }');

const WAF = z
  .union([
    z.strictObject({
      rateLimitPer5Minutes: integer(LIMITS.wafRateLimitPer5Minutes)
        .optional()
        .describe(`requests one client IP may send in 5 minutes (default ${DEFAULTS.wafRateLimitPer5Minutes})`),
    }),
    z.boolean(),
  ])
  .default(false)
  .describe('AWS WAF on the load balancer: a rate limit per client IP and the AWS managed common and known-bad-inputs rules');

const DEPLOYMENT_CONFIG = z
  .strictObject({
    $schema: z.string().optional().describe('the JSON Schema of this file, for editors'),
    serviceName: nonEmpty()
      .describe('ECS service name and the Service dimension of the metrics')
      .superRefine(rule((name, report) => report(() => validateServiceName('serviceName', name)))),
    stackName: matching(/^[A-Za-z][A-Za-z0-9-]{0,116}$/, 'a CloudFormation stack name (letters, digits, hyphens; starts with a letter)')
      .optional()
      .describe('service stack name (default McpFargate-<serviceName>); the repository stack is <stackName>-repository'),
    account: matching(/^\d{12}$/, 'a 12-digit AWS account id')
      .optional()
      .describe('AWS account (default: the CDK CLI default account)'),
    region: matching(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as eu-west-1')
      .optional()
      .describe('AWS region (default: AWS_REGION or CDK_DEFAULT_REGION)'),
    deletionProtection: z
      .boolean()
      .default(DEFAULTS.deletionProtection)
      .describe('termination protection on both stacks and deletion protection on the load balancer; false for stacks you destroy'),
    tags: z
      .record(z.string(), z.string())
      .default({})
      .describe('tags for both stacks and everything in them, beside mcp-fargate:service and mcp-fargate:stack')
      .superRefine(
        rule((tags, report) => {
          for (const [key, value] of Object.entries(tags)) report(() => validateTag(`tags.${key}`, key, value, Object.values(CONSTRUCT_TAGS)));
        }),
      ),
    image: IMAGE,
    task: TASK.prefault({}),
    scaling: SCALING.prefault({}),
    environment: ENVIRONMENT.default({}),
    server: SERVER.optional(),
    servers: SERVERS.optional(),
    auth: AUTH,
    waf: WAF,
    sessionStore: SESSION_STORE,
    valkey: VALKEY.optional().describe('sizes the cache of sessionStore "valkey"'),
    secrets: SECRETS.default({}),
    loadBalancer: LOAD_BALANCER.prefault({}),
    stickiness: STICKINESS.optional(),
    network: NETWORK.prefault({}),
    logs: LOGS.prefault({}),
    alarms: ALARMS.prefault({}),
    containerInsights: z
      .enum(['enabled', 'enhanced', 'disabled'])
      .default(DEFAULTS.containerInsights)
      .describe('CloudWatch Container Insights on the cluster; enhanced adds per-task and per-container metrics at a higher cost'),
  })
  .superRefine(
    rule((config, report) => {
      for (const name of Object.keys(config.secrets)) {
        if (name in config.environment) {
          report(() => fail('MCPF_CDK_CONFIG_INVALID', `secrets.${name} is also a plain environment variable; a name can only be one or the other`));
        }
      }
      for (const [field, names] of [
        ['environment', Object.keys(config.environment)],
        ['secrets', Object.keys(config.secrets)],
      ] as const) {
        for (const name of names) {
          if (RESERVED_ENVIRONMENT.includes(name)) {
            report(() => fail('MCPF_CDK_ENV_RESERVED', `${field}.${name} is set by the stack from its own field (${configFieldSetting(name)})`));
          }
        }
      }
    }),
    whenParsed('secrets', 'environment'),
  )
  .superRefine(
    rule((config, report) => {
      // The hosted server(s): the construct's rules, with the config's field names.
      const ctx = { containerPort: DEFAULTS.containerPort, defined: new Set([...Object.keys(config.environment), ...Object.keys(config.secrets)]) };
      if (config.server !== undefined && config.servers !== undefined) {
        report(() => fail('MCPF_CDK_SERVER_CONFLICT', 'server and servers are both given; host one server, or several under servers'));
      }
      const check = (field: string, entry: z.output<typeof SERVER>, named: boolean) => {
        report(() => {
          const kind = validateServerEntry(field, entry, ctx, named);
          if (kind === 'image') parseImageReference(`${field}.image`, entry.image ?? '');
          if (kind === 'command' && !named) validateChildEnvironmentNames(`${field}.env`, entry.env ?? {}, ctx.defined);
        });
        for (const [name, spec] of Object.entries(entry.secrets ?? {})) {
          report(() => validateEnvironmentName(`${field}.secrets`, name));
          checkSecret(`${field}.secrets.${name}`, spec, report);
        }
      };
      if (config.server !== undefined) check('server', config.server, false);
      if (config.servers !== undefined) {
        const entries = Object.entries(config.servers);
        for (const [name, entry] of entries) {
          report(() => validateServerName('servers', name));
          check(`servers.${name}`, entry, true);
        }
        report(() => validateServerSet('servers', entries));
      }
    }),
    whenParsed('server', 'servers', 'environment', 'secrets'),
  )
  .superRefine(
    rule((config, report) => {
      const store = config.sessionStore;
      if (config.valkey !== undefined && store !== 'valkey') {
        report(() => fail('MCPF_CDK_SESSION_STORE_INVALID', `valkey sizes the cache of sessionStore "valkey", but sessionStore is ${show(store)}; drop it`));
      }
      if (typeof store === 'object' && store.url !== undefined) {
        const url = store.url;
        report(() => validateRedisUrl('sessionStore.url', url, config.network.egressRules));
      }
    }),
    whenParsed('sessionStore', 'valkey', 'network.egressRules'),
  )
  .superRefine(
    rule((config, report) => {
      const internetFacing = config.loadBalancer.scheme === 'internet-facing';
      const auth = config.auth;
      if (auth.mode === 'none' && internetFacing && auth.acknowledgeNoAuth === undefined) {
        report(() =>
          fail(
            'MCPF_CDK_PUBLIC_ACCESS_NOT_ACKNOWLEDGED',
            'auth is "none" on an internet-facing load balancer: anyone who reaches it can call every tool, and whatever the hosted server\'s ' +
              "credentials and network reach (an allowlist does not change that: an agent platform's egress addresses serve all its tenants). " +
              'Choose mode "keys" or "oauth", use loadBalancer.scheme "internal", or set auth.acknowledgeNoAuth to a sentence saying why it is acceptable',
          ),
        );
      }
      if (auth.mode === 'oauth' && config.loadBalancer.insecureHttpForTesting) {
        report(() =>
          fail(
            'MCPF_CDK_AUTH_INVALID',
            'auth is "oauth", which needs the HTTPS MCP URL as the tokens\' audience (RFC 8707), and MCP clients refuse OAuth over plain HTTP; ' +
              'loadBalancer.insecureHttpForTesting has neither. Use mode "keys" for such a test',
          ),
        );
      }
      if (auth.mode === 'oauth' && !config.loadBalancer.insecureHttpForTesting && (auth.issuer === undefined) !== (auth.cognito === undefined)) {
        // The value rules (issuer and JWKS URLs, scopes, algorithms, the domain prefix) are the construct's, under the
        // config's field names; the audience only has to be some HTTPS MCP URL for them.
        const audience = 'https://mcp.example.com/mcp';
        report(() =>
          resolveAuth((prop) => prop, auth.cognito !== undefined ? { mode: 'oauth', cognito: auth.cognito } : { ...auth, issuer: auth.issuer ?? '' }, {
            internetFacing,
            insecureHttp: false,
            audience,
          }),
        );
      }
    }),
    whenParsed('auth', 'loadBalancer.scheme', 'loadBalancer.insecureHttpForTesting'),
  )
  .superRefine(
    rule((config, report) => {
      if (config.network.vpcId !== undefined && (config.account === undefined || config.region === undefined)) {
        report(() => fail('MCPF_CDK_CONFIG_INVALID', 'network.vpcId needs account and region in the config: the VPC is looked up in that account and region'));
      }
    }),
    whenParsed('network.vpcId', 'account', 'region'),
  )
  .superRefine(
    rule((config, report) => {
      const arn = config.loadBalancer.certificateArn;
      const certificateRegion = arn?.split(':')[3];
      if (certificateRegion !== undefined && config.region !== undefined && certificateRegion !== config.region) {
        report(() =>
          fail(
            'MCPF_CDK_CERTIFICATE_REGION_MISMATCH',
            `loadBalancer.certificateArn is in ${certificateRegion}, but region is ${config.region}; an ALB can only use an ACM certificate from its own region`,
          ),
        );
      }
    }),
    whenParsed('loadBalancer.certificateArn', 'region'),
  )
  .transform(({ $schema: _schema, network, ...config }) => ({
    ...config,
    stackName: config.stackName ?? `McpFargate-${config.serviceName}`,
    network: {
      ...(network.vpcId !== undefined
        ? { vpcId: network.vpcId }
        : { egress: network.egress ?? DEFAULTS.egress, natGateways: network.natGateways, maxAzs: network.maxAzs }),
      // Exactly one of cidr and prefixListId is set: the schema checked it.
      egressRules: network.egressRules.map(({ cidr, prefixListId, port, description }) =>
        cidr !== undefined ? { cidr, port, description } : { prefixListId: prefixListId ?? '', port, description },
      ),
    },
  }));

/** The config field that sets a variable the stack reserves. */
function configFieldSetting(name: string): string {
  if (name === GATEWAY_ENV.port) return 'the gateway listens on 8080';
  if (name.startsWith('MCP_SERVER')) return 'use server or servers';
  if (name === GATEWAY_ENV.sessionStore || name.startsWith('REDIS_')) return 'use sessionStore';
  if (name.startsWith('AUTH_') || name.startsWith('OAUTH_')) return 'use auth';
  return 'set for you';
}

type DeepReadonly<T> = T extends (infer E)[] ? readonly DeepReadonly<E>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** The deployment config file after validation, defaults filled in. Documented field by field in README.md. */
export type DeploymentConfig = DeepReadonly<z.output<typeof DEPLOYMENT_CONFIG>>;
export type DeploymentConfigSecret = DeploymentConfig['secrets'][string];

/** Reads and validates a deployment config file. */
export function loadDeploymentConfig(path: string): DeploymentConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new McpFargateError('MCPF_CDK_CONFIG_INVALID', `${path}: cannot be read (${(error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new McpFargateError('MCPF_CDK_CONFIG_INVALID', `${path}: is not valid JSON (${(error as Error).message})`);
  }
  return parseDeploymentConfig(json, path);
}

/**
 * Validates a parsed deployment config. Every problem in the file is reported at once, each naming the file, the
 * field, the value and what would be accepted; unknown fields are errors too (a typo must not silently fall back to a
 * default), with the closest known field suggested. The error's code is the first problem's.
 */
export function parseDeploymentConfig(json: unknown, source = 'mcp-fargate.config.json'): DeploymentConfig {
  const result = DEPLOYMENT_CONFIG.safeParse(json, { reportInput: true });
  if (result.success) return deepFreeze(result.data);
  // A misspelled section name (`loadBalancr`) leaves the real section to its defaults, whose own rules then fail:
  // report the misspelling first, and not the consequences of a section the user did write.
  const misspelled = new Set(
    result.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys' && issue.path.length === 0
        ? issue.keys.map((key) => closest(key, knownFields([], json))).filter((field) => field !== undefined && !(field in (json as object)))
        : [],
    ),
  );
  const issues = result.error.issues.filter((issue) => !misspelled.has(String(issue.path[0])));
  const ordered = [...issues.filter((i) => i.code === 'unrecognized_keys'), ...issues.filter((i) => i.code !== 'unrecognized_keys')];
  const problems = ordered.flatMap((issue) => describeIssue(issue, []));
  const first = problems[0] ?? { code: 'MCPF_CDK_CONFIG_INVALID', message: 'is not valid' };
  const lines = problems.map((p) => `  - ${source}: ${p.message}`).join('\n');
  throw new McpFargateError(first.code, problems.length === 1 ? `${source}: ${first.message}` : `${source} has ${problems.length} problems:\n${lines}`);
}

/** The JSON Schema of the config file, generated from the same schema that validates it. */
export function deploymentConfigJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(DEPLOYMENT_CONFIG, { io: 'input', target: 'draft-2020-12' }),
    title: 'mcp-fargate deployment config',
    description: 'mcp-fargate.config.json: how @mcp-fargate/cdk deploys an MCP server on ECS Fargate. Fields and defaults: packages/cdk/README.md.',
  };
}

interface Problem {
  readonly code: ErrorCode;
  readonly message: string;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a JSON object',
  record: 'a JSON object',
  array: 'an array',
};

/** One zod issue as problems in the words of this package: the field, the value, what is accepted. */
function describeIssue(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): Problem[] {
  const path = [...prefix, ...issue.path];
  const field = pathText(path);
  const got = `got ${show(issue.input)}`;
  const problem = (message: string, code: ErrorCode = 'MCPF_CDK_CONFIG_INVALID'): Problem[] => [{ code, message: `${field} ${message}` }];
  switch (issue.code) {
    case 'custom':
      return [ruleProblem(issue.message)];
    case 'invalid_type': {
      // Only a rule's own message (a missing image digest) carries a code here.
      if (ruleCode(issue.message) !== undefined) return [ruleProblem(issue.message)];
      if (issue.input === undefined) return problem('is required');
      const accepted = EXPECTED[issue.expected] ?? issue.message;
      return problem(`must be ${accepted}, ${got}`);
    }
    case 'too_small':
    case 'too_big': {
      const { code, accepted } = acceptedOf(issue.message);
      return problem(`must be ${accepted}, ${got}`, code ?? (issue.origin === 'string' ? 'MCPF_CDK_CONFIG_INVALID' : 'MCPF_CDK_NUMBER_OUT_OF_RANGE'));
    }
    case 'invalid_format': {
      const { code, accepted } = acceptedOf(issue.message);
      return problem(`must be ${accepted}, ${got}`, code);
    }
    case 'invalid_value': {
      const { code, accepted } = acceptedOf(issue.message);
      return code === undefined
        ? problem(`must be one of ${issue.values.map((v) => show(v)).join(', ')}, ${got}`)
        : problem(`must be ${accepted}, ${got}`, code);
    }
    case 'unrecognized_keys': {
      const known = knownFields(path, issue.input);
      return issue.keys.map((key) => {
        const suggestion = closest(key, known);
        return {
          code: 'MCPF_CDK_CONFIG_INVALID',
          message:
            `${pathText([...path, key])} is not a known field of ${path.length === 0 ? 'the top level' : field}` +
            `${suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`}; known: ${known.join(', ')}`,
        };
      });
    }
    case 'invalid_union': {
      if (issue.discriminator !== undefined && 'options' in issue) {
        const tag = (issue.input as Record<string, unknown> | undefined)?.[issue.discriminator];
        return problem(`must be one of ${(issue.options ?? []).map((o) => show(o)).join(', ')}, got ${show(tag)}`);
      }
      // A string or an object (a secret), an object or a word (sessionStore, waf): report the problems of the form the
      // value was written in, or, written in none of them, what the forms are.
      const branch = issue.errors.find((errors) => errors.every((e) => e.code !== 'invalid_type' || e.path.length > 0));
      if (branch !== undefined) return branch.flatMap((e) => describeIssue(e, path));
      if (issue.input === undefined) return problem('is required');
      const forms = issue.errors.flatMap((errors) =>
        errors.flatMap((e) => (e.code === 'invalid_type' && e.path.length === 0 ? [EXPECTED[e.expected] ?? e.expected] : [])),
      );
      return problem(`must be ${forms.join(' or ')}, ${got}`);
    }
    default:
      return problem(`is not valid (${issue.message}), ${got}`);
  }
}

function ruleCode(message: string): ErrorCode | undefined {
  const code = /^([A-Z_]+): /.exec(message)?.[1];
  return code !== undefined && code in ERROR_CODES ? (code as ErrorCode) : undefined;
}

/** A schema-level message: what is accepted, after an error code when it is not the generic one. */
function acceptedOf(message: string): { code: ErrorCode | undefined; accepted: string } {
  const code = ruleCode(message);
  return { code, accepted: code === undefined ? message : message.slice(code.length + 2) };
}

function ruleProblem(message: string): Problem {
  const code = ruleCode(message) ?? 'MCPF_CDK_CONFIG_INVALID';
  return { code, message: message.startsWith(`${code}: `) ? message.slice(code.length + 2) : message };
}

function messageOf(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    if (error instanceof McpFargateError) return error.message;
    throw error;
  }
}

function fail(code: ErrorCode, message: string): never {
  throw new McpFargateError(code, message);
}

function pathText(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join('');
}

/** The fields of the object schema at `path`; in a union, of the branch `input` selects. */
function knownFields(path: readonly PropertyKey[], input: unknown): string[] {
  let schema: z.core.$ZodType = DEPLOYMENT_CONFIG;
  for (const key of path) {
    const def = unwrap(schema, undefined)._zod.def as unknown as { type: string; shape?: Record<string, z.core.$ZodType>; valueType?: z.core.$ZodType };
    const next = def.type === 'record' ? def.valueType : def.shape?.[String(key)];
    if (next === undefined) return [];
    schema = next;
  }
  schema = unwrap(schema, input);
  return Object.keys((schema._zod.def as unknown as { shape?: Record<string, unknown> }).shape ?? {});
}

/** The schema under optional, default and pipe wrappers; of a union, the object branch (the one `input`'s tag selects). */
function unwrap(schema: z.core.$ZodType, input: unknown): z.core.$ZodType {
  for (;;) {
    const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
    if (def.type === 'pipe') schema = def.in as z.core.$ZodType;
    else if (def.type === 'optional' || def.type === 'default' || def.type === 'prefault') schema = def.innerType as z.core.$ZodType;
    else if (def.type === 'union') {
      const objects = (def.options as z.core.$ZodType[]).filter((o) => (o._zod.def as { type: string }).type === 'object');
      const tag = typeof def.discriminator === 'string' ? (input as Record<string, unknown> | undefined)?.[def.discriminator] : undefined;
      const chosen = objects.find((o) => o._zod.propValues?.[def.discriminator as string]?.has(tag as z.core.util.Primitive)) ?? objects[0];
      if (chosen === undefined) return schema;
      schema = chosen;
    } else return schema;
  }
}

/** The known name an unknown one most likely meant: same letters in another case, or at most two edits away. */
function closest(name: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const [a, b] = [name.toLowerCase(), candidate.toLowerCase()];
    // A shortened name (arch for architecture) counts as one edit.
    const distance = a === b ? 0 : a.length >= 3 && b.startsWith(a) ? 1 : editDistance(name, candidate);
    if (distance <= Math.min(2, Math.floor(name.length / 3) + 1) && (best === undefined || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost one each. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = value;
    }
  }
  return at(a.length, b.length);
}

function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value as DeepReadonly<T>;
}

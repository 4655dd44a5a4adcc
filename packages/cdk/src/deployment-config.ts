import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { DEFAULTS, LIMITS } from './defaults.js';
import type { ErrorCode } from './errors.js';
import { ERROR_CODES, McpFargateError, show } from './errors.js';
import { FARGATE_CPUS, FARGATE_MEMORY_MIB, validateTaskSize } from './fargate-task-size.js';
import { CONSTRUCT_TAGS } from './service/props.js';
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

const SECRETS = z
  .record(
    z.string(),
    SECRET.transform((spec) => (typeof spec === 'string' ? { secret: spec } : spec)),
  )
  .describe('environment variables that ECS fills from Secrets Manager when the task starts')
  .superRefine(
    (secrets, ctx) => {
      // Each entry is checked on its own, so one malformed secret does not hide the problems of the others.
      const malformed = new Set(ctx.issues.map((issue) => issue.path?.[0]));
      for (const [name, spec] of Object.entries(secrets)) {
        if (malformed.has(name)) continue;
        const field = `secrets.${name}`;
        rule<typeof secrets>((_, report) => {
          report(() => validateEnvironmentName('secrets', name));
          report(() => parseSecretReference(`${field}.secret`, spec.secret));
          report(() => validateSecretJsonKey(`${field}.jsonKey`, spec.jsonKey, spec.format));
          const kmsKeyArn = spec.kmsKeyArn;
          if (kmsKeyArn !== undefined) report(() => validateKmsKeyArn(`${field}.kmsKeyArn`, kmsKeyArn));
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
    allowUnauthenticatedPublicAccess: z
      .boolean()
      .default(false)
      .describe('open an internet-facing load balancer to everyone: nothing authenticates MCP callers yet, so anyone with the URL can call the MCP'),
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
  )
  .superRefine(
    rule((lb, report) => {
      const allowlisted = lb.allowedCidrs.length > 0 || lb.allowedPrefixListIds.length > 0;
      const internetFacing = lb.scheme === 'internet-facing';
      if (internetFacing && !allowlisted && !lb.allowUnauthenticatedPublicAccess) {
        report(() =>
          fail(
            'MCPF_CDK_PUBLIC_ACCESS_NOT_ACKNOWLEDGED',
            'loadBalancer.allowedCidrs or allowedPrefixListIds (the agent platform egress ranges) is required for an internet-facing load balancer, since ' +
              'nothing authenticates MCP callers yet; or use scheme "internal", or set allowUnauthenticatedPublicAccess: true to accept that anyone who ' +
              'finds the URL can call the MCP',
          ),
        );
      }
      if (lb.allowUnauthenticatedPublicAccess && (!internetFacing || allowlisted)) {
        report(() =>
          fail(
            'MCPF_CDK_PUBLIC_ACCESS_CONFLICT',
            `loadBalancer.allowUnauthenticatedPublicAccess opens an internet-facing load balancer to everyone, but this one is ${internetFacing ? 'limited to allowedCidrs/allowedPrefixListIds' : 'internal'}; drop it`,
          ),
        );
      }
    }),
    whenParsed('scheme', 'allowedCidrs', 'allowedPrefixListIds', 'allowUnauthenticatedPublicAccess'),
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
    sessionStore: z
      .enum(['memory'])
      .default(DEFAULTS.sessionStore)
      .describe('where legacy MCP session records live (SESSION_STORE); memory: on the task that made them'),
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
    }),
    whenParsed('secrets', 'environment'),
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
      // A string or an object (secrets): report the problems of the form the value was written in.
      const branch = issue.errors.find((errors) => errors.every((e) => e.code !== 'invalid_type' || e.path.length > 0));
      return branch === undefined ? problem(`must be a string or a JSON object, ${got}`) : branch.flatMap((e) => describeIssue(e, path));
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

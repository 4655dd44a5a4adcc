import { Duration, Stack, Token } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { DEFAULTS, LIMITS } from '../defaults.js';
import { McpFargateError, show } from '../errors.js';
import { validateTaskSize } from '../fargate-task-size.js';
import { GATEWAY_METRICS_ENV } from '../gateway-metrics.js';
import {
  validateCidr,
  validateCookieName,
  validateDomainInZone,
  validateDomainName,
  validateEnvironmentName,
  validateImageDigest,
  validateInteger,
  validateNumber,
  validatePlainEnvironment,
  validatePrefixListId,
  validateRepositoryName,
  validateServiceName,
  validateStickinessSeconds,
  validateTaskCounts,
} from '../validation.js';

/** ALB target group stickiness. */
export type McpStickiness =
  | { readonly type: 'off' }
  /** The ALB's own `AWSALB` cookie. */
  | { readonly type: 'lb-cookie'; readonly duration: Duration }
  /** Follows a cookie the application sets (the ALB adds `AWSALBAPP-*`). */
  | { readonly type: 'app-cookie'; readonly cookieName: string; readonly duration: Duration };

/** How tasks in private subnets reach what they need. */
export type McpEgress =
  /** Private subnets with NAT gateways: the MCP can call anything on the internet. */
  | 'nat'
  /** Isolated private subnets with VPC endpoints (S3 gateway, ecr.api, ecr.dkr, logs, secretsmanager) only. */
  | 'vpc-endpoints';

/** A Secrets Manager secret injected into the container as an environment variable. */
export interface McpSecret {
  /** The secret: its name, its ARN (complete or partial; an unresolved token is taken as complete), or a construct. */
  readonly secret: string | secretsmanager.ISecret;

  /**
   * Key to read from a secret whose value is a JSON object.
   * @default - the whole secret string
   */
  readonly jsonKey?: string;

  /**
   * Whether the secret's value is a JSON object or a plain string. Declaring `string` lets synth reject a `jsonKey`
   * that ECS could never resolve (the task would fail to start).
   * @default - `json` when `jsonKey` is given; otherwise either; for a `Secret` defined in the same app it is read
   *   from the construct
   */
  readonly format?: 'json' | 'string';

  /**
   * ARN of the customer managed KMS key that encrypts the secret; the execution role gets `kms:Decrypt` on it, only
   * through Secrets Manager.
   * @default - the key of a `secret` construct, if it has one; otherwise the AWS managed key, which needs no grant
   */
  readonly kmsKeyArn?: string;
}

export interface McpFargateServiceProps {
  /**
   * Digest of the image to run (`sha256:<64 hex>`). Tags are refused: a deployment is pinned to exactly one image.
   */
  readonly imageDigest: string;

  /**
   * An existing ECR repository holding the image (for example `Repository.fromRepositoryName(...)`).
   * @default - a new repository with immutable tags, scan on push and a lifecycle rule (see `McpImageRepository`);
   *   note that the image must be pushed to it before tasks can start
   */
  readonly repository?: ecr.IRepository;

  /**
   * Name of the new repository (only when `repository` is not given).
   * @default - a name CloudFormation generates
   */
  readonly repositoryName?: string;

  /**
   * Images the new repository's lifecycle rule keeps.
   * @default 20
   */
  readonly keepImages?: number;

  /**
   * Name of the ECS service; also the `Service` dimension of the gateway's metrics.
   * @default - CloudFormation generates the service name; the metrics dimension is the construct's unique id
   */
  readonly serviceName?: string;

  /**
   * CPU units for the task; must pair with `memoryLimitMiB` as Fargate allows.
   * @default 512 - half a vCPU serves a typical MCP (I/O bound) comfortably
   */
  readonly cpu?: number;

  /**
   * Memory for the task, in MiB.
   * @default 1024
   */
  readonly memoryLimitMiB?: number;

  /**
   * CPU architecture of the task; the image must be built for it.
   * @default ecs.CpuArchitecture.ARM64 - Graviton costs about 20% less than x86 on Fargate
   */
  readonly cpuArchitecture?: ecs.CpuArchitecture;

  /**
   * Port the gateway listens on inside the container (passed as `PORT`).
   * @default 8080
   */
  readonly containerPort?: number;

  /**
   * Plain environment for the container (`MCP_SERVER`, `SESSION_STORE`, `LOG_LEVEL`, ...). Never a credential:
   * names and values that look like one are refused (use `secrets`). `PORT`, `HOST` and the metrics variables are
   * set by the construct.
   * @default - none besides those the construct sets
   */
  readonly environment?: Record<string, string>;

  /**
   * Environment variables filled from Secrets Manager by ECS when the task starts. The execution role gets
   * `secretsmanager:GetSecretValue` on exactly these secrets (and `kms:Decrypt` on their customer keys).
   * @default - none
   */
  readonly secrets?: Record<string, McpSecret>;

  /**
   * Tasks CloudFormation sets when it creates or updates the service; autoscaling then moves it between
   * `minTasks` and `maxTasks`. When set, every deployment resets the running count to it, undoing autoscaling
   * until the next scale-out, so leave it unset unless you want that.
   * @default - not set (the template has no `DesiredCount`): ECS starts one task when it creates the service,
   * Application Auto Scaling raises that to `minTasks`, and updates keep the count autoscaling chose
   */
  readonly desiredCount?: number;

  /**
   * Fewest tasks autoscaling keeps.
   * @default 2 - one per Availability Zone, so losing a zone or a task keeps the MCP up
   */
  readonly minTasks?: number;

  /**
   * Most tasks autoscaling starts.
   * @default 4
   */
  readonly maxTasks?: number;

  /**
   * Average CPU utilization autoscaling aims for, in percent.
   * @default 60
   */
  readonly targetCpuUtilizationPercent?: number;

  /**
   * ALB requests per target per minute autoscaling aims for. A long SSE stream counts as one request, so CPU is the
   * other signal.
   * @default 1000
   */
  readonly targetRequestsPerTarget?: number;

  /**
   * An existing VPC to run in.
   * @default - a new VPC across `maxAzs` Availability Zones, with private subnets egressing per `egress`
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Subnets for the tasks (and for an internal load balancer).
   * @default - the VPC's private subnets with egress, or its isolated subnets if it has none
   */
  readonly taskSubnets?: ec2.SubnetSelection;

  /**
   * Egress of a new VPC (not allowed with `vpc`).
   * @default 'nat'
   */
  readonly egress?: McpEgress;

  /**
   * NAT gateways of a new VPC with `egress: 'nat'`.
   * @default - one per Availability Zone, so a zone outage does not cut the other zone's egress
   */
  readonly natGateways?: number;

  /**
   * Availability Zones of a new VPC.
   * @default 2
   */
  readonly maxAzs?: number;

  /**
   * Whether the load balancer is reachable from the internet. An internal one is reached only from networks routed
   * to the VPC (same VPC, peering, Transit Gateway, PrivateLink): the agent platform needs that line of sight.
   * @default true
   */
  readonly internetFacing?: boolean;

  /**
   * TLS certificate for the HTTPS listener.
   * @default - created and DNS-validated when `domainName` and `hostedZone` are given; otherwise an error, unless
   *   `insecureHttpForTesting` is set
   */
  readonly certificate?: acm.ICertificate;

  /**
   * Custom domain for the MCP URL. With `hostedZone`, an alias record is created for it.
   * @default - the load balancer's DNS name
   */
  readonly domainName?: string;

  /**
   * Route 53 hosted zone that holds `domainName`: gets the alias record, and validates the certificate by DNS.
   * @default - no DNS records; point the domain at the load balancer yourself
   */
  readonly hostedZone?: route53.IHostedZone;

  /**
   * CIDR blocks allowed to reach the load balancer (the agent platform's egress ranges).
   * @default - anywhere for an internet-facing load balancer (unless `allowedPrefixListIds` is given); the VPC's
   *   CIDR for an internal one
   */
  readonly allowedCidrs?: string[];

  /**
   * Managed prefix lists allowed to reach the load balancer.
   * @default - none
   */
  readonly allowedPrefixListIds?: string[];

  /**
   * Serve plain HTTP on port 80 with no certificate. For internal testing only: synth warns, and MCP clients refuse
   * OAuth over plain HTTP.
   * @default false
   */
  readonly insecureHttpForTesting?: boolean;

  /**
   * ALB idle timeout: how long a connection may carry no bytes. The gateway sends SSE heartbeats every 20 s and keeps
   * idle sockets open 125 s, both inside this.
   * @default Duration.seconds(120)
   */
  readonly idleTimeout?: Duration;

  /**
   * Target group stickiness. The gateway does not need it for correctness (sessions rehydrate on any task), but it
   * saves a session-store round trip and the seed recommends it for legacy clients.
   * @default { type: 'lb-cookie', duration: Duration.days(1) }
   */
  readonly stickiness?: McpStickiness;

  /**
   * Bucket for ALB access logs. ALB access logs support only SSE-S3 encryption.
   * @default - a new SSE-S3 encrypted, TLS-only, private bucket whose objects expire after 90 days
   */
  readonly accessLogsBucket?: s3.IBucket;

  /**
   * Retention of the container log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the container log group when it leaves the stack.
   * @default RemovalPolicy.RETAIN - logs outlive the service for incident review
   */
  readonly logRemovalPolicy?: RemovalPolicy;

  /**
   * Topic that alarms notify (on alarm and on OK).
   * @default - alarms have no actions; they still show on the dashboard
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * 5xx responses (load balancer's plus targets') per minute that count as a breach; 3 breaching minutes out of 5
   * raise the alarm.
   * @default 5
   */
  readonly http5xxAlarmThreshold?: number;

  /**
   * p99 target response time that counts as a breach (time to the response headers; an SSE stream's length does not
   * count).
   * @default Duration.seconds(5)
   */
  readonly latencyP99AlarmThreshold?: Duration;

  /**
   * Average service CPU utilization that counts as a breach, in percent.
   * @default 85
   */
  readonly cpuAlarmPercent?: number;

  /**
   * Average service memory utilization that counts as a breach, in percent.
   * @default 85
   */
  readonly memoryAlarmPercent?: number;
}

/** Environment the construct sets; a user value for these would break the health check or the metrics contract. */
const RESERVED_ENVIRONMENT: readonly string[] = ['PORT', 'HOST', GATEWAY_METRICS_ENV.format, GATEWAY_METRICS_ENV.service];

/** The props after validation, with every default applied: what the parts of the construct are built from. */
export interface ResolvedProps {
  readonly imageDigest: string;
  readonly cpu: number;
  readonly memoryLimitMiB: number;
  readonly containerPort: number;
  readonly minTasks: number;
  readonly maxTasks: number;
  readonly desiredCount: number | undefined;
  readonly targetCpuUtilizationPercent: number;
  readonly targetRequestsPerTarget: number;
  readonly egress: McpEgress;
  readonly maxAzs: number;
  readonly natGateways: number;
  readonly internetFacing: boolean;
  readonly insecureHttp: boolean;
  readonly allowedCidrs: readonly { readonly cidr: string; readonly kind: 'ipv4' | 'ipv6' }[];
  readonly allowedPrefixListIds: readonly string[];
  readonly idleTimeout: Duration;
  readonly stickiness: McpStickiness;
  readonly environment: Readonly<Record<string, string>>;
  readonly secrets: Readonly<Record<string, McpSecret>>;
  readonly http5xxAlarmThreshold: number;
  readonly latencyP99AlarmThreshold: Duration;
  readonly cpuAlarmPercent: number;
  readonly memoryAlarmPercent: number;
}

/**
 * Validates the props and applies the defaults. Everything that can be checked before deployment is checked here,
 * each error naming the construct path, the prop, the value and what is accepted; values that are tokens (known only
 * at deploy time) are skipped.
 */
export function resolveProps(scope: Construct, props: McpFargateServiceProps): ResolvedProps {
  const at = (prop: string) => `[${scope.node.path}] ${prop}`;
  if (Token.isUnresolved(Stack.of(scope).region)) {
    throw new McpFargateError(
      'MCPF_CDK_REGION_REQUIRED',
      `[${scope.node.path}] needs a stack with a concrete region (env: { region }): ALB access logs are granted to ` +
        'the Elastic Load Balancing account of that region',
    );
  }
  validateImageDigest(at('imageDigest'), props.imageDigest);
  if (props.repository !== undefined && (props.repositoryName !== undefined || props.keepImages !== undefined)) {
    throw new McpFargateError(
      'MCPF_CDK_REPOSITORY_CONFLICT',
      `${at('repository')} is an existing repository, so ${at(props.repositoryName !== undefined ? 'repositoryName' : 'keepImages')} cannot apply`,
    );
  }
  if (props.serviceName !== undefined) validateServiceName(at('serviceName'), props.serviceName);
  if (props.repositoryName !== undefined) validateRepositoryName(at('repositoryName'), props.repositoryName);
  const cpu = props.cpu ?? DEFAULTS.cpu;
  const memoryLimitMiB = props.memoryLimitMiB ?? DEFAULTS.memoryLimitMiB;
  if (!Token.isUnresolved(cpu) && !Token.isUnresolved(memoryLimitMiB)) {
    validateTaskSize({ cpu: at('cpu'), memory: at('memoryLimitMiB') }, cpu, memoryLimitMiB);
  }
  const containerPort = props.containerPort ?? DEFAULTS.containerPort;
  validateInteger(at('containerPort'), containerPort, LIMITS.containerPort);
  const minTasks = props.minTasks ?? DEFAULTS.minTasks;
  const maxTasks = props.maxTasks ?? Math.max(DEFAULTS.maxTasks, minTasks);
  const desiredCount = props.desiredCount;
  validateTaskCounts({ min: at('minTasks'), desired: at('desiredCount'), max: at('maxTasks') }, minTasks, desiredCount ?? minTasks, maxTasks);
  const targetCpu = props.targetCpuUtilizationPercent ?? DEFAULTS.targetCpuUtilizationPercent;
  validateNumber(at('targetCpuUtilizationPercent'), targetCpu, LIMITS.targetCpuUtilizationPercent);
  const requestsPerTarget = props.targetRequestsPerTarget ?? DEFAULTS.targetRequestsPerTarget;
  validateInteger(at('targetRequestsPerTarget'), requestsPerTarget, LIMITS.targetRequestsPerTarget);
  if (props.vpc !== undefined) {
    for (const prop of ['egress', 'natGateways', 'maxAzs'] as const) {
      if (props[prop] !== undefined) {
        throw new McpFargateError('MCPF_CDK_VPC_CONFLICT', `${at(prop)} configures a new VPC, but ${at('vpc')} is an existing one; drop ${prop}`);
      }
    }
  }
  if (props.egress !== undefined && props.egress !== 'nat' && props.egress !== 'vpc-endpoints') {
    throw new McpFargateError('MCPF_CDK_CHOICE_INVALID', `${at('egress')} must be 'nat' or 'vpc-endpoints', got ${show(props.egress)}`);
  }
  const egress = props.egress ?? 'nat';
  const maxAzs = props.maxAzs ?? DEFAULTS.maxAzs;
  validateInteger(at('maxAzs'), maxAzs, LIMITS.maxAzs);
  if (props.natGateways !== undefined) {
    if (egress !== 'nat') {
      throw new McpFargateError('MCPF_CDK_VPC_CONFLICT', `${at('natGateways')} needs egress 'nat', but egress is '${egress}'`);
    }
    validateInteger(at('natGateways'), props.natGateways, { min: 1, max: maxAzs });
  }
  const internetFacing = props.internetFacing ?? true;
  const insecureHttp = props.insecureHttpForTesting ?? false;
  if (props.domainName !== undefined) validateDomainName(at('domainName'), props.domainName);
  if (props.hostedZone !== undefined) {
    if (props.domainName === undefined) {
      throw new McpFargateError('MCPF_CDK_DOMAIN_INVALID', `${at('hostedZone')} is given without ${at('domainName')}; name the record to create`);
    }
    validateDomainInZone(at('domainName'), props.domainName, props.hostedZone.zoneName);
  }
  if (insecureHttp && (props.certificate !== undefined || props.domainName !== undefined)) {
    throw new McpFargateError(
      'MCPF_CDK_HTTP_CONFLICT',
      `${at('insecureHttpForTesting')} serves plain HTTP, so ${at(props.certificate !== undefined ? 'certificate' : 'domainName')} would go unused; drop one of them`,
    );
  }
  if (!insecureHttp && props.certificate === undefined && props.hostedZone === undefined) {
    throw new McpFargateError(
      'MCPF_CDK_HTTPS_CERTIFICATE_REQUIRED',
      `${at('certificate')} is required for the HTTPS listener: give an ACM certificate, or domainName with hostedZone ` +
        'to create a DNS-validated one (insecureHttpForTesting serves plain HTTP, for internal testing only)',
    );
  }
  const allowedCidrs = (props.allowedCidrs ?? []).map((cidr, i) => ({ cidr, kind: validateCidr(at(`allowedCidrs[${i}]`), cidr) }));
  const allowedPrefixListIds = props.allowedPrefixListIds ?? [];
  for (const [i, pl] of allowedPrefixListIds.entries()) validatePrefixListId(at(`allowedPrefixListIds[${i}]`), pl);
  const idleTimeout = props.idleTimeout ?? Duration.seconds(DEFAULTS.idleTimeoutSeconds);
  validateInteger(at('idleTimeout'), idleTimeout.toSeconds(), LIMITS.idleTimeoutSeconds);
  const stickiness: McpStickiness = props.stickiness ?? { type: 'lb-cookie', duration: Duration.seconds(DEFAULTS.stickinessSeconds) };
  if (stickiness.type !== 'off') {
    validateStickinessSeconds(at('stickiness.duration'), stickiness.duration.toMilliseconds() / 1000);
    if (stickiness.type === 'app-cookie') validateCookieName(at('stickiness.cookieName'), stickiness.cookieName);
  }
  const environment = props.environment ?? {};
  for (const [name, value] of Object.entries(environment)) {
    validatePlainEnvironment(at('environment'), name, value);
    if (RESERVED_ENVIRONMENT.includes(name)) {
      throw new McpFargateError(
        'MCPF_CDK_ENV_RESERVED',
        `${at('environment')}.${name} is set by the construct (${name === 'PORT' ? 'use containerPort' : 'from its props'})`,
      );
    }
  }
  const secrets = props.secrets ?? {};
  for (const name of Object.keys(secrets)) {
    validateEnvironmentName(at('secrets'), name);
    if (name in environment || RESERVED_ENVIRONMENT.includes(name)) {
      throw new McpFargateError('MCPF_CDK_ENV_RESERVED', `${at('secrets')}.${name} is also a plain environment variable; a name can only be one or the other`);
    }
  }
  const http5xxAlarmThreshold = props.http5xxAlarmThreshold ?? DEFAULTS.http5xxAlarmThreshold;
  validateNumber(at('http5xxAlarmThreshold'), http5xxAlarmThreshold, LIMITS.http5xxAlarmThreshold);
  const latencyP99AlarmThreshold = props.latencyP99AlarmThreshold ?? Duration.seconds(DEFAULTS.latencyP99AlarmSeconds);
  validateNumber(at('latencyP99AlarmThreshold'), latencyP99AlarmThreshold.toMilliseconds() / 1000, LIMITS.latencyP99AlarmSeconds);
  const cpuAlarmPercent = props.cpuAlarmPercent ?? DEFAULTS.cpuAlarmPercent;
  validateNumber(at('cpuAlarmPercent'), cpuAlarmPercent, LIMITS.alarmPercent);
  const memoryAlarmPercent = props.memoryAlarmPercent ?? DEFAULTS.memoryAlarmPercent;
  validateNumber(at('memoryAlarmPercent'), memoryAlarmPercent, LIMITS.alarmPercent);
  return {
    imageDigest: props.imageDigest,
    cpu,
    memoryLimitMiB,
    containerPort,
    minTasks,
    maxTasks,
    desiredCount,
    targetCpuUtilizationPercent: targetCpu,
    targetRequestsPerTarget: requestsPerTarget,
    egress,
    maxAzs,
    natGateways: props.natGateways ?? maxAzs,
    internetFacing,
    insecureHttp,
    allowedCidrs,
    allowedPrefixListIds,
    idleTimeout,
    stickiness,
    environment,
    secrets,
    http5xxAlarmThreshold,
    latencyP99AlarmThreshold,
    cpuAlarmPercent,
    memoryAlarmPercent,
  };
}

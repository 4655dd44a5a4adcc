import { Arn, ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
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
import { GATEWAY_ENV, RESERVED_ENVIRONMENT } from '../gateway-env.js';
import {
  validateCertificateArn,
  validateCidr,
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
  validateTag,
  validateTaskCounts,
} from '../validation.js';
import type { McpAuth, ResolvedAuth } from './auth.js';
import { resolveAuth } from './auth.js';
import type { McpHostedServer, McpNamedServer, ResolvedServers } from './hosted-server.js';
import { resolveHostedServers } from './hosted-server.js';
import type { McpSessionStore, ResolvedSessionStore } from './session-store.js';
import { resolveSessionStore } from './session-store.js';
import type { McpWaf } from './waf.js';

export type {
  McpAuth,
  McpCognitoAuth,
  McpCognitoOptions,
  McpKeysAuth,
  McpNoAuth,
  McpOAuthAuth,
} from './auth.js';
export type {
  McpCommandServer,
  McpHostedServer,
  McpModuleServer,
  McpNamedServer,
  McpSidecarHealthCheck,
  McpSidecarImage,
  McpSidecarServer,
  McpUrlServer,
} from './hosted-server.js';
export type { McpExistingSessionStore, McpSessionStore } from './session-store.js';
export type { McpWaf } from './waf.js';

/** ALB target group stickiness. */
export type McpStickiness =
  | { readonly type: 'off' }
  /**
   * The ALB's own `AWSALB` cookie: a client that keeps cookies stays on one task while that task lives. There is no
   * application-cookie stickiness: the gateway sets no cookie of its own for the ALB to follow.
   */
  | { readonly type: 'lb-cookie'; readonly duration: Duration };

/** A destination the tasks may open TCP connections to, besides HTTPS (a database, a cache). */
export type McpEgressRule =
  | { readonly cidr: string; readonly port: number; readonly description?: string }
  | { readonly prefixListId: string; readonly port: number; readonly description?: string };

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
   * Tagged images the new repository keeps (untagged ones expire 14 days after they were pushed).
   * @default 100
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
   * Plain environment for the gateway container (`LOG_LEVEL`, `MAX_SESSIONS`, ...). Never a credential: names and
   * values that look like one are refused (use `secrets`). What a prop expresses is set by the construct and refused
   * here: `PORT`, `HOST`, the hosted server (`MCP_SERVER*`, from `server`/`servers`), the session store
   * (`SESSION_STORE`, `REDIS_*`), auth (`AUTH_*`, `OAUTH_*`) and the metrics variables. `KEEP_ALIVE_TIMEOUT_MS` and `SSE_HEARTBEAT_MS` are derived from `idleTimeout`; a value given here
   * wins only if it keeps the order the ALB needs (keep-alive above the idle timeout, heartbeat above 0 and below
   * it), and `HEADERS_TIMEOUT_MS` may not exceed `REQUEST_TIMEOUT_MS` when both are given.
   * @default - none besides those the construct sets
   */
  readonly environment?: Record<string, string>;

  /**
   * The MCP server the gateway hosts: a module in the image (`{ module }`), a stdio command (`{ command }`), an
   * existing streamable-HTTP server (`{ url }`), or such a server in its own image run beside the gateway in the task
   * (`{ image, port, healthCheck }`, a sidecar). Sets `MCP_SERVER`, `MCP_SERVER_COMMAND` (with `MCP_SERVER_CWD` and
   * `MCP_SERVER_ENV`) or `MCP_SERVER_URL` (with `MCP_SERVER_HEADERS`).
   * @default - the gateway's built-in demo server
   */
  readonly server?: McpHostedServer;

  /**
   * Several servers in one service, each served at `/<name>/mcp` (names: a lowercase letter, then up to 62 lowercase
   * letters, digits or hyphens), the one marked `default` also at `/mcp`; the same kinds as `server`. Sets
   * `MCP_SERVERS`. Not with `server`.
   * @default - one server, per `server`
   */
  readonly servers?: Record<string, McpNamedServer>;

  /**
   * Who may call the MCP; there is no default. `{ mode: 'keys', keysSecret, header? }`: static keys from Secrets
   * Manager; `{ mode: 'oauth', issuer, ... }`: OAuth 2.1 access tokens of an external authorization server;
   * `{ mode: 'oauth', cognito: {} }`: a Cognito user pool the construct creates; `{ mode: 'none',
   * acknowledgeNoAuth }`: nobody is checked, which an internet-facing load balancer accepts only with the sentence
   * saying why. Sets `AUTH_MODE`, `AUTH_KEYS` (a secret), `AUTH_HEADER`, `OAUTH_*`.
   */
  readonly auth: McpAuth;

  /**
   * AWS WAF on the load balancer: a rate-based rule per client IP, then the AWS managed common and known-bad-inputs
   * rule groups. `true`, or `{ rateLimitPer5Minutes }`.
   * @default false - no web ACL
   */
  readonly waf?: McpWaf;

  /**
   * Where the gateway keeps legacy MCP session records: `'memory'` (each task its own, so a session lives and dies
   * with its task), `'valkey'` (an ElastiCache Serverless for Valkey cache the construct creates, reachable only
   * from the tasks: any task serves any session), or an existing store, `{ url, cluster? }` (no credentials) or
   * `{ urlSecret, cluster? }`. Sets `SESSION_STORE`, `REDIS_URL` and `REDIS_CLUSTER`.
   * @default 'memory'
   */
  readonly sessionStore?: McpSessionStore;

  /**
   * Most data the valkey cache may hold, in GB (only with `sessionStore: 'valkey'`). A cap, not a reservation: the
   * cache bills for what it stores; past the cap it evicts the least recently used keys with a TTL.
   * @default 5
   */
  readonly valkeyMaxDataStorageGb?: number;

  /**
   * Most ElastiCache Processing Units a second the valkey cache may use (only with `sessionStore: 'valkey'`); beyond
   * it requests are throttled.
   * @default 5000
   */
  readonly valkeyMaxEcpuPerSecond?: number;

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
   * other signal; with the memory session store this policy only scales out (it would remove tasks that hold
   * sessions), with a shared store it scales in too.
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
   * Further destinations the tasks may connect to. The tasks' security group allows no other egress than HTTPS to the
   * internet (with NAT or an existing VPC), or than HTTPS to the VPC endpoints and S3 (with `egress: 'vpc-endpoints'`).
   * @default - none
   */
  readonly egressRules?: McpEgressRule[];

  /**
   * Whether the load balancer is reachable from the internet. An internal one is reached only from networks routed
   * to the VPC (same VPC, peering, Transit Gateway, PrivateLink): the agent platform needs that line of sight.
   * @default true
   */
  readonly internetFacing?: boolean;

  /**
   * Keep the load balancer (and so its DNS name) from being deleted, by CloudFormation or by hand, until this is
   * turned off. Turn it off for test stacks that are destroyed.
   * @default true
   */
  readonly deletionProtection?: boolean;

  /**
   * TLS certificate for the HTTPS listener, in the stack's region; needs `domainName`, the name it covers.
   * @default - created and DNS-validated when `domainName` and `hostedZone` are given; otherwise an error, unless
   *   `insecureHttpForTesting` is set
   */
  readonly certificate?: acm.ICertificate;

  /**
   * The host of the MCP URL, which the certificate must cover; required with HTTPS, since the load balancer's own DNS
   * name is on no certificate. With `hostedZone`, an alias record is created for it; otherwise point it at the load
   * balancer (output `LoadBalancerDnsName`) yourself.
   * @default - none: only `insecureHttpForTesting` may go without
   */
  readonly domainName?: string;

  /**
   * Route 53 hosted zone that holds `domainName`: gets the alias record, and validates the certificate by DNS.
   * @default - no DNS records; point the domain at the load balancer yourself
   */
  readonly hostedZone?: route53.IHostedZone;

  /**
   * CIDR blocks allowed to reach the load balancer (the agent platform's egress ranges).
   * @default - none; an internal load balancer then admits its VPC's CIDR, an internet-facing one every IPv4
   *   address (the gateway authenticates callers per `auth`)
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
   * Also listen on port 80 and redirect to HTTPS, for people typing the URL into a browser. An ALB redirect is a 301
   * or 302, which clients that follow it turn from a POST into a GET, so MCP clients must use the https:// URL.
   * @default false - no port 80 listener
   */
  readonly httpRedirect?: boolean;

  /**
   * ALB idle timeout: how long a connection may carry no bytes, in whole seconds. The gateway's keep-alive timeout is
   * set 5 s above it (`KEEP_ALIVE_TIMEOUT_MS`, so the ALB never reuses a socket the gateway is closing: the 502s) and
   * its SSE heartbeat below it (`SSE_HEARTBEAT_MS`: 20 s, or a third of a shorter timeout, so streams are never idle).
   * @default Duration.seconds(120)
   */
  readonly idleTimeout?: Duration;

  /**
   * Target group stickiness. With the memory session store a legacy MCP session exists only on the task that created
   * it, so a client that keeps the ALB cookie stays with its session while that task lives; clients that keep no
   * cookies (the official SDK clients) are not held by it. `off` is refused with the memory store and more than one
   * task. With a shared store any task serves any session and stickiness only saves a store round trip. Modern
   * (2026-07-28) requests need no stickiness.
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
   * Topic that alarms notify (on alarm and on OK): subscribe a person to it (email, chat, pager).
   * @default - alarms have no actions; they still show on the dashboard and roll back deployments
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * CloudWatch Container Insights on the cluster; `ENHANCED` adds per-task and per-container metrics, at a higher
   * CloudWatch cost.
   * @default ecs.ContainerInsights.ENABLED
   */
  readonly containerInsights?: ecs.ContainerInsights;

  /**
   * Tags for every resource the construct makes, beside `mcp-fargate:service` and `mcp-fargate:stack`, which it always
   * adds; ECS propagates the service's tags to its tasks.
   * @default - none besides those two
   */
  readonly tags?: Record<string, string>;

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

/** Tags the construct puts on everything it makes. */
export const CONSTRUCT_TAGS = { service: 'mcp-fargate:service', stack: 'mcp-fargate:stack' } as const;

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
  readonly egressRules: readonly McpEgressRule[];
  readonly internetFacing: boolean;
  readonly insecureHttp: boolean;
  readonly httpRedirect: boolean;
  readonly deletionProtection: boolean;
  readonly allowedCidrs: readonly { readonly cidr: string; readonly kind: 'ipv4' | 'ipv6' }[];
  readonly allowedPrefixListIds: readonly string[];
  readonly idleTimeout: Duration;
  readonly stickiness: McpStickiness;
  readonly store: ResolvedSessionStore;
  readonly servers: ResolvedServers;
  readonly auth: ResolvedAuth;
  /** The web ACL's rate limit; undefined without `waf`. */
  readonly wafRateLimitPer5Minutes: number | undefined;
  /**
   * The gateway container's plain environment besides PORT, HOST and the metrics variables: the derived timeouts,
   * the user's, and what the server, store and auth props set (but what only exists once deployed: the valkey
   * endpoint, the user pool).
   */
  readonly environment: Readonly<Record<string, string>>;
  /** The gateway container's secrets: the user's, and AUTH_KEYS and REDIS_URL where those props put them there. */
  readonly secrets: Readonly<Record<string, McpSecret>>;
  readonly containerInsights: ecs.ContainerInsights;
  readonly tags: Readonly<Record<string, string>>;
  readonly http5xxAlarmThreshold: number;
  readonly latencyP99AlarmThreshold: Duration;
  readonly cpuAlarmPercent: number;
  readonly memoryAlarmPercent: number;
}

type At = (prop: string) => string;

/**
 * Validates the props and applies the defaults. Everything that can be checked before deployment is checked here,
 * each error naming the construct path, the prop, the value and what is accepted; values that are tokens (known only
 * at deploy time) are skipped.
 */
export function resolveProps(scope: Construct, props: McpFargateServiceProps): ResolvedProps {
  const at: At = (prop) => `[${scope.node.path}] ${prop}`;
  const region = Stack.of(scope).region;
  if (Token.isUnresolved(region)) {
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
  const network = resolveNetwork(at, props);
  const ingress = resolveIngress(at, props, region);
  const idleTimeout = props.idleTimeout ?? Duration.seconds(DEFAULTS.idleTimeoutSeconds);
  validateInteger(at('idleTimeout'), idleTimeout.toSeconds(), LIMITS.idleTimeoutSeconds);
  const store = resolveSessionStore(at, props, network.egressRules);
  const sessions = resolveSessions(at, props, store, maxTasks);
  const environment = props.environment ?? {};
  for (const [name, value] of Object.entries(environment)) {
    validatePlainEnvironment(at('environment'), name, value);
    if (RESERVED_ENVIRONMENT.includes(name)) {
      throw new McpFargateError('MCPF_CDK_ENV_RESERVED', `${at('environment')}.${name} is set by the construct (${propSetting(name)})`);
    }
  }
  const secrets = props.secrets ?? {};
  for (const name of Object.keys(secrets)) {
    validateEnvironmentName(at('secrets'), name);
    if (RESERVED_ENVIRONMENT.includes(name)) {
      throw new McpFargateError('MCPF_CDK_ENV_RESERVED', `${at('secrets')}.${name} is set by the construct (${propSetting(name)})`);
    }
    if (name in environment) {
      throw new McpFargateError('MCPF_CDK_ENV_RESERVED', `${at('secrets')}.${name} is also a plain environment variable; a name can only be one or the other`);
    }
  }
  const defined = new Set([...Object.keys(environment), ...Object.keys(secrets)]);
  const servers = resolveHostedServers(scope, at, props.server, props.servers, { containerPort, defined });
  const audience = ingress.insecureHttp || props.domainName === undefined ? undefined : `https://${props.domainName}/mcp`;
  const auth = resolveAuth(at, props.auth, { internetFacing: ingress.internetFacing, insecureHttp: ingress.insecureHttp, audience });
  const waf = props.waf ?? false;
  const wafRateLimitPer5Minutes =
    waf === false ? undefined : waf === true ? DEFAULTS.wafRateLimitPer5Minutes : (waf.rateLimitPer5Minutes ?? DEFAULTS.wafRateLimitPer5Minutes);
  if (wafRateLimitPer5Minutes !== undefined) validateInteger(at('waf.rateLimitPer5Minutes'), wafRateLimitPer5Minutes, LIMITS.wafRateLimitPer5Minutes);
  const tags = props.tags ?? {};
  for (const [key, value] of Object.entries(tags)) validateTag(at(`tags.${key}`), key, value, Object.values(CONSTRUCT_TAGS));
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
    ...network,
    ...ingress,
    deletionProtection: props.deletionProtection ?? DEFAULTS.deletionProtection,
    idleTimeout,
    ...sessions,
    store,
    servers,
    auth,
    wafRateLimitPer5Minutes,
    environment: {
      ...gatewayTimeouts(at, idleTimeout, environment),
      ...environment,
      ...servers.environment,
      ...store.environment,
      ...auth.environment,
    },
    secrets: { ...secrets, ...auth.secrets, ...store.secrets },
    containerInsights: props.containerInsights ?? (DEFAULTS.containerInsights as ecs.ContainerInsights),
    tags,
    http5xxAlarmThreshold,
    latencyP99AlarmThreshold,
    cpuAlarmPercent,
    memoryAlarmPercent,
  };
}

function resolveNetwork(at: At, props: McpFargateServiceProps) {
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
  const egress = props.egress ?? DEFAULTS.egress;
  const maxAzs = props.maxAzs ?? DEFAULTS.maxAzs;
  validateInteger(at('maxAzs'), maxAzs, LIMITS.maxAzs);
  if (props.natGateways !== undefined) {
    if (egress !== 'nat') {
      throw new McpFargateError('MCPF_CDK_VPC_CONFLICT', `${at('natGateways')} needs egress 'nat', but egress is '${egress}'`);
    }
    validateInteger(at('natGateways'), props.natGateways, { min: 1, max: maxAzs });
  }
  const egressRules = props.egressRules ?? [];
  for (const [i, rule] of egressRules.entries()) {
    if ('cidr' in rule) validateCidr(at(`egressRules[${i}].cidr`), rule.cidr);
    else validatePrefixListId(at(`egressRules[${i}].prefixListId`), rule.prefixListId);
    validateInteger(at(`egressRules[${i}].port`), rule.port, { min: 1, max: 65535 });
  }
  return { egress, maxAzs, natGateways: props.natGateways ?? maxAzs, egressRules };
}

/** Who may reach the load balancer, on which ports, and the TLS that names the MCP URL's host. */
function resolveIngress(at: At, props: McpFargateServiceProps, region: string) {
  const internetFacing = props.internetFacing ?? DEFAULTS.internetFacing;
  const insecureHttp = props.insecureHttpForTesting ?? false;
  const httpRedirect = props.httpRedirect ?? false;
  if (props.domainName !== undefined) validateDomainName(at('domainName'), props.domainName);
  if (props.hostedZone !== undefined) {
    if (props.domainName === undefined) {
      throw new McpFargateError('MCPF_CDK_DOMAIN_REQUIRED', `${at('hostedZone')} is given without ${at('domainName')}; name the record to create`);
    }
    validateDomainInZone(at('domainName'), props.domainName, props.hostedZone.zoneName);
  }
  if (insecureHttp && (props.certificate !== undefined || props.domainName !== undefined || httpRedirect)) {
    const other = props.certificate !== undefined ? 'certificate' : props.domainName !== undefined ? 'domainName' : 'httpRedirect';
    throw new McpFargateError(
      'MCPF_CDK_HTTP_CONFLICT',
      `${at('insecureHttpForTesting')} serves plain HTTP and no HTTPS, so ${at(other)} would go unused; drop one of them`,
    );
  }
  if (!insecureHttp && props.certificate === undefined && props.hostedZone === undefined) {
    throw new McpFargateError(
      'MCPF_CDK_HTTPS_CERTIFICATE_REQUIRED',
      `${at('certificate')} is required for the HTTPS listener: give an ACM certificate with domainName, or domainName with ` +
        'hostedZone to create a DNS-validated one (insecureHttpForTesting serves plain HTTP, for internal testing only)',
    );
  }
  if (props.certificate !== undefined) {
    if (props.domainName === undefined) {
      // The MCP URL would name the load balancer's own DNS name, which no certificate of yours covers: TLS fails.
      throw new McpFargateError(
        'MCPF_CDK_DOMAIN_REQUIRED',
        `${at('domainName')} is required with ${at('certificate')}: the MCP URL must name a host the certificate covers ` +
          "(the load balancer's own DNS name is on no certificate of yours)",
      );
    }
    const arn = props.certificate.certificateArn;
    if (!Token.isUnresolved(arn)) {
      validateCertificateArn(at('certificate'), arn);
      const certificateRegion = Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME).region;
      if (certificateRegion !== region) {
        throw new McpFargateError(
          'MCPF_CDK_CERTIFICATE_REGION_MISMATCH',
          `${at('certificate')} is in ${certificateRegion}, but the stack (and its load balancer) is in ${region}; an ALB ` +
            `can only use an ACM certificate from its own region: request or import one in ${region}`,
        );
      }
    }
  }
  const allowedCidrs = (props.allowedCidrs ?? []).map((cidr, i) => ({ cidr, kind: validateCidr(at(`allowedCidrs[${i}]`), cidr) }));
  const allowedPrefixListIds = props.allowedPrefixListIds ?? [];
  for (const [i, pl] of allowedPrefixListIds.entries()) validatePrefixListId(at(`allowedPrefixListIds[${i}]`), pl);
  // Who may call the MCP once they reach the load balancer is `auth` (resolveAuth refuses an unacknowledged `none` on
  // an internet-facing one); these decide who reaches it.
  return { internetFacing, insecureHttp, httpRedirect, allowedCidrs, allowedPrefixListIds };
}

/** The prop that sets a variable the construct reserves. */
function propSetting(name: string): string {
  if (name === GATEWAY_ENV.port) return 'use containerPort';
  if (name.startsWith('MCP_SERVER')) return 'use server or servers';
  if (name === GATEWAY_ENV.sessionStore || name.startsWith('REDIS_')) return 'use sessionStore';
  if (name.startsWith('AUTH_') || name.startsWith('OAUTH_')) return 'use auth';
  return 'from its props';
}

/** The stickiness sessions need while they are bound to one task (the memory store). */
function resolveSessions(at: At, props: McpFargateServiceProps, store: ResolvedSessionStore, maxTasks: number) {
  const stickiness: McpStickiness = props.stickiness ?? { type: 'lb-cookie', duration: Duration.seconds(DEFAULTS.stickinessSeconds) };
  if (stickiness.type !== 'off' && stickiness.type !== 'lb-cookie') {
    throw new McpFargateError(
      'MCPF_CDK_CHOICE_INVALID',
      `${at('stickiness.type')} must be 'off' or 'lb-cookie' (the gateway sets no cookie of its own for app-cookie stickiness to follow), ` +
        `got ${show((stickiness as { type: unknown }).type)}`,
    );
  }
  if (stickiness.type === 'lb-cookie') validateStickinessSeconds(at('stickiness.duration'), stickiness.duration.toMilliseconds() / 1000);
  if (stickiness.type === 'off' && !store.shared && !Token.isUnresolved(maxTasks) && maxTasks > 1) {
    throw new McpFargateError(
      'MCPF_CDK_STICKINESS_REQUIRED',
      `${at('stickiness')} is off with the memory session store and up to ${maxTasks} tasks: every legacy MCP session lives ` +
        'on the one task that created it, so requests the ALB sends to another task get 404 and the client must start ' +
        "over. Keep 'lb-cookie' stickiness, run one task (maxTasks: 1), or share sessions across tasks (sessionStore: 'valkey')",
    );
  }
  return { stickiness };
}

/** The gateway's environment names for the timeouts that must fit the ALB's idle timeout. */
const GATEWAY_TIMEOUTS = ['KEEP_ALIVE_TIMEOUT_MS', 'HEADERS_TIMEOUT_MS', 'REQUEST_TIMEOUT_MS', 'SSE_HEARTBEAT_MS'] as const;

/**
 * The gateway's keep-alive and SSE heartbeat derived from the ALB idle timeout (DESIGN.md section 6): keep-alive 5 s
 * above it, so the ALB never sends a request on a socket the gateway is closing (the intermittent 502), and the
 * heartbeat below it (20 s, or a third of a shorter timeout), so no SSE stream goes idle long enough to be cut. A
 * value the user gives in `environment` wins, if it keeps that order.
 */
function gatewayTimeouts(at: At, idleTimeout: Duration, environment: Readonly<Record<string, string>>): Record<string, string> {
  const idleSeconds = idleTimeout.toSeconds();
  if (Token.isUnresolved(idleSeconds)) return {};
  const idleMs = idleSeconds * 1000;
  const given: Partial<Record<(typeof GATEWAY_TIMEOUTS)[number], number>> = {};
  for (const name of GATEWAY_TIMEOUTS) {
    const value = environment[name];
    if (value === undefined || Token.isUnresolved(value)) continue;
    if (!/^\d+$/.test(value)) {
      throw new McpFargateError('MCPF_CDK_TIMEOUT_INVALID', `${at('environment')}.${name} must be a whole number of milliseconds, got ${show(value)}`);
    }
    given[name] = Number(value);
  }
  const keepAlive = given.KEEP_ALIVE_TIMEOUT_MS ?? idleMs + 5000;
  if (keepAlive <= idleMs) {
    throw new McpFargateError(
      'MCPF_CDK_TIMEOUT_INVALID',
      `${at('environment')}.KEEP_ALIVE_TIMEOUT_MS (${keepAlive}) must be above the ALB idle timeout (${idleMs} ms), or the ALB ` +
        `reuses connections the gateway is closing (intermittent 502s); leave it out to get ${idleMs + 5000}`,
    );
  }
  const heartbeat = given.SSE_HEARTBEAT_MS ?? Math.min(20_000, Math.floor(idleMs / 3));
  if (heartbeat <= 0 || heartbeat >= idleMs) {
    throw new McpFargateError(
      'MCPF_CDK_TIMEOUT_INVALID',
      `${at('environment')}.SSE_HEARTBEAT_MS (${heartbeat}) must be above 0 and below the ALB idle timeout (${idleMs} ms), ` +
        'or the ALB cuts SSE streams that wait longer than that between events; leave it out to get ' +
        `${Math.min(20_000, Math.floor(idleMs / 3))}`,
    );
  }
  const headers = given.HEADERS_TIMEOUT_MS;
  const request = given.REQUEST_TIMEOUT_MS;
  if (headers !== undefined && request !== undefined && request !== 0 && headers > request) {
    throw new McpFargateError(
      'MCPF_CDK_TIMEOUT_INVALID',
      `${at('environment')}.HEADERS_TIMEOUT_MS (${headers}) must not exceed REQUEST_TIMEOUT_MS (${request}): a request's headers ` +
        'arrive within the time for the whole request',
    );
  }
  return { KEEP_ALIVE_TIMEOUT_MS: String(keepAlive), SSE_HEARTBEAT_MS: String(heartbeat), LB_IDLE_TIMEOUT_MS: String(idleMs) };
}

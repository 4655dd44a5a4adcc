import { Annotations, ArnFormat, Aws, CfnOutput, Duration, Names, RemovalPolicy, Size, Stack, Token, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { McpFargateError } from './errors.js';
import { validateTaskSize } from './fargate-task-size.js';
import { GATEWAY_METRICS, GATEWAY_METRICS_ENV } from './gateway-metrics.js';
import { McpImageRepository } from './mcp-image-repository.js';
import {
  parseSecretReference,
  validateCidr,
  validateCookieName,
  validateDomainInZone,
  validateDomainName,
  validateImageDigest,
  validateInteger,
  validateKmsKeyArn,
  validateNumber,
  validatePlainEnvironment,
  validatePrefixListId,
  validateSecretJsonKey,
  validateRepositoryName,
  validateServiceName,
  validateStickinessSeconds,
  validateTaskCounts,
  validateEnvironmentName,
} from './validation.js';

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

/** The numbers behind the defaults (DESIGN.md section 6). */
const DEFAULTS = {
  cpu: 512,
  memoryLimitMiB: 1024,
  containerPort: 8080,
  minTasks: 2,
  maxTasks: 4,
  targetCpuUtilizationPercent: 60,
  targetRequestsPerTarget: 1000,
  maxAzs: 2,
  idleTimeoutSeconds: 120,
  stickinessSeconds: 24 * 3600,
  healthCheckIntervalSeconds: 10,
  healthCheckTimeoutSeconds: 5,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
  healthCheckGraceSeconds: 30,
  deregistrationDelaySeconds: 60,
  stopTimeoutSeconds: 30,
  scaleInCooldownSeconds: 300,
  scaleOutCooldownSeconds: 60,
  logBufferMiB: 25,
  accessLogExpirationDays: 90,
  http5xxAlarmThreshold: 5,
  latencyP99AlarmSeconds: 5,
  cpuAlarmPercent: 85,
  memoryAlarmPercent: 85,
} as const;

/** Environment the construct sets; a user value for these would break the health check or the metrics contract. */
const RESERVED_ENVIRONMENT = ['PORT', 'HOST', GATEWAY_METRICS_ENV.format, GATEWAY_METRICS_ENV.service];

const CONTAINER_NAME = 'mcp';
/** Address range of a new VPC; a literal, so security group rules that name it stay literal too. */
const NEW_VPC_CIDR = '10.0.0.0/16';

/**
 * The container health check. Slim Node images have no curl, so it uses node's own fetch; any failure (refused,
 * 503 while starting or draining, timeout) exits non-zero.
 */
function healthCheckCommand(port: number): string[] {
  return [
    'CMD',
    'node',
    '-e',
    `fetch('http://127.0.0.1:${port}/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
  ];
}

/**
 * An MCP server as a production service: a Fargate service in private subnets behind an Application Load Balancer,
 * its image pinned by digest in ECR, secrets from Secrets Manager, logs, autoscaling, alarms and a dashboard.
 */
export class McpFargateService extends Construct {
  readonly vpc: ec2.IVpc;
  readonly repository: ecr.IRepository;
  readonly cluster: ecs.Cluster;
  readonly logGroup: logs.LogGroup;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly serviceSecurityGroup: ec2.SecurityGroup;
  readonly service: ecs.FargateService;
  readonly loadBalancerSecurityGroup: ec2.SecurityGroup;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly accessLogsBucket: s3.IBucket;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The HTTPS listener; undefined with `insecureHttpForTesting`. */
  readonly httpsListener?: elbv2.ApplicationListener;
  /** Port 80: redirects to HTTPS, or forwards with `insecureHttpForTesting`. */
  readonly httpListener: elbv2.ApplicationListener;
  readonly certificate?: acm.ICertificate;
  readonly scaling: ecs.ScalableTaskCount;
  readonly alarms: {
    readonly http5xx: cloudwatch.Alarm;
    readonly unhealthyHosts: cloudwatch.Alarm;
    readonly latencyP99: cloudwatch.Alarm;
    readonly cpu: cloudwatch.Alarm;
    readonly memory: cloudwatch.Alarm;
  };
  readonly dashboard: cloudwatch.Dashboard;
  /** The URL to register with the agent: `https://<domain or ALB DNS name>/mcp`. */
  readonly mcpUrl: string;
  /** The `Service` dimension of the gateway's metrics. */
  readonly metricsServiceName: string;

  constructor(scope: Construct, id: string, props: McpFargateServiceProps) {
    super(scope, id);
    const at = (prop: string) => `[${this.node.path}] ${prop}`;

    // --- validation: everything that can be checked before deployment is checked here -------------------------
    if (Token.isUnresolved(Stack.of(this).region)) {
      throw new McpFargateError(
        'MCPF_CDK_REGION_REQUIRED',
        `[${this.node.path}] needs a stack with a concrete region (env: { region }): ALB access logs are granted to ` +
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
    validateInteger(at('containerPort'), containerPort, 1024, 65535);
    const minTasks = props.minTasks ?? DEFAULTS.minTasks;
    const maxTasks = props.maxTasks ?? Math.max(DEFAULTS.maxTasks, minTasks);
    const desiredCount = props.desiredCount;
    validateTaskCounts({ min: at('minTasks'), desired: at('desiredCount'), max: at('maxTasks') }, minTasks, desiredCount ?? minTasks, maxTasks);
    const targetCpu = props.targetCpuUtilizationPercent ?? DEFAULTS.targetCpuUtilizationPercent;
    validateNumber(at('targetCpuUtilizationPercent'), targetCpu, 10, 90);
    const requestsPerTarget = props.targetRequestsPerTarget ?? DEFAULTS.targetRequestsPerTarget;
    validateInteger(at('targetRequestsPerTarget'), requestsPerTarget, 1, 1_000_000);
    if (props.vpc !== undefined) {
      for (const prop of ['egress', 'natGateways', 'maxAzs'] as const) {
        if (props[prop] !== undefined) {
          throw new McpFargateError('MCPF_CDK_VPC_CONFLICT', `${at(prop)} configures a new VPC, but ${at('vpc')} is an existing one; drop ${prop}`);
        }
      }
    }
    if (props.egress !== undefined && props.egress !== 'nat' && props.egress !== 'vpc-endpoints') {
      throw new McpFargateError('MCPF_CDK_VPC_CONFLICT', `${at('egress')} must be 'nat' or 'vpc-endpoints', got ${JSON.stringify(props.egress)}`);
    }
    const egress = props.egress ?? 'nat';
    const maxAzs = props.maxAzs ?? DEFAULTS.maxAzs;
    validateInteger(at('maxAzs'), maxAzs, 1, 6);
    if (props.natGateways !== undefined) {
      if (egress !== 'nat') {
        throw new McpFargateError('MCPF_CDK_VPC_CONFLICT', `${at('natGateways')} needs egress 'nat', but egress is '${egress}'`);
      }
      validateInteger(at('natGateways'), props.natGateways, 1, maxAzs);
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
    const allowedCidrs = props.allowedCidrs ?? [];
    const cidrKinds = allowedCidrs.map((cidr, i) => validateCidr(at(`allowedCidrs[${i}]`), cidr));
    const allowedPrefixLists = props.allowedPrefixListIds ?? [];
    for (const [i, pl] of allowedPrefixLists.entries()) validatePrefixListId(at(`allowedPrefixListIds[${i}]`), pl);
    const idleTimeout = props.idleTimeout ?? Duration.seconds(DEFAULTS.idleTimeoutSeconds);
    validateInteger(at('idleTimeout'), idleTimeout.toSeconds(), 1, 4000);
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
    const secretsProp = props.secrets ?? {};
    for (const name of Object.keys(secretsProp)) {
      validateEnvironmentName(at('secrets'), name);
      if (name in environment || RESERVED_ENVIRONMENT.includes(name)) {
        throw new McpFargateError(
          'MCPF_CDK_ENV_RESERVED',
          `${at('secrets')}.${name} is also a plain environment variable; a name can only be one or the other`,
        );
      }
    }
    const http5xxThreshold = props.http5xxAlarmThreshold ?? DEFAULTS.http5xxAlarmThreshold;
    validateNumber(at('http5xxAlarmThreshold'), http5xxThreshold, 1, 1_000_000);
    const latencyThreshold = props.latencyP99AlarmThreshold ?? Duration.seconds(DEFAULTS.latencyP99AlarmSeconds);
    validateNumber(at('latencyP99AlarmThreshold'), latencyThreshold.toMilliseconds() / 1000, 0.001, 3600);
    const cpuAlarmPercent = props.cpuAlarmPercent ?? DEFAULTS.cpuAlarmPercent;
    validateNumber(at('cpuAlarmPercent'), cpuAlarmPercent, 1, 100);
    const memoryAlarmPercent = props.memoryAlarmPercent ?? DEFAULTS.memoryAlarmPercent;
    validateNumber(at('memoryAlarmPercent'), memoryAlarmPercent, 1, 100);
    const secrets = Object.entries(secretsProp).map(([name, spec]) => this.resolveSecret(at(`secrets.${name}`), name, spec));
    this.metricsServiceName = props.serviceName ?? Names.uniqueResourceName(this, { maxLength: 64, separator: '-' });

    // --- network ------------------------------------------------------------------------------------------------
    this.vpc = props.vpc ?? this.createVpc(egress, maxAzs, props.natGateways ?? maxAzs, internetFacing);
    const taskSubnets = props.taskSubnets ?? {
      subnetType: this.vpc.privateSubnets.length > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
    };

    // --- image --------------------------------------------------------------------------------------------------
    this.repository =
      props.repository ?? new McpImageRepository(this, 'ImageRepository', { repositoryName: props.repositoryName, keepImages: props.keepImages }).repository;

    // --- cluster, task definition, container --------------------------------------------------------------------
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: this.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu,
      memoryLimitMiB,
      runtimePlatform: {
        cpuArchitecture: props.cpuArchitecture ?? ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
      // The only writable path: the root filesystem is read-only.
      volumes: [{ name: 'tmp' }],
    });
    this.container = this.taskDefinition.addContainer(CONTAINER_NAME, {
      containerName: CONTAINER_NAME,
      image: ecs.ContainerImage.fromEcrRepository(this.repository, props.imageDigest),
      essential: true,
      portMappings: [{ containerPort, protocol: ecs.Protocol.TCP, name: 'http' }],
      environment: {
        ...environment,
        PORT: String(containerPort),
        HOST: '0.0.0.0',
        [GATEWAY_METRICS_ENV.format]: 'emf',
        [GATEWAY_METRICS_ENV.service]: this.metricsServiceName,
      },
      secrets: Object.fromEntries(secrets.map((s) => [s.name, s.ecsSecret])),
      healthCheck: {
        command: healthCheckCommand(containerPort),
        interval: Duration.seconds(DEFAULTS.healthCheckIntervalSeconds),
        timeout: Duration.seconds(DEFAULTS.healthCheckTimeoutSeconds),
        retries: DEFAULTS.unhealthyThreshold,
        startPeriod: Duration.seconds(DEFAULTS.healthCheckGraceSeconds),
      },
      // The node user of the official Node images; numeric, so it holds even if the image forgets `USER`.
      user: '1000:1000',
      readonlyRootFilesystem: true,
      // ECS sends SIGTERM after the target is deregistered; the gateway drains within 25 s, SIGKILL comes at 30 s.
      stopTimeout: Duration.seconds(DEFAULTS.stopTimeoutSeconds),
      // tini as PID 1 forwards SIGTERM to node and reaps the zombies of stdio MCP children.
      linuxParameters: new ecs.LinuxParameters(this, 'LinuxParameters', { initProcessEnabled: true }),
      logging: ecs.LogDrivers.awsLogs({
        logGroup: this.logGroup,
        streamPrefix: 'mcp',
        // A slow CloudWatch Logs must never block the gateway's stdout; the buffer absorbs bursts.
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(DEFAULTS.logBufferMiB),
      }),
    });
    this.container.addMountPoints({ containerPath: '/tmp', sourceVolume: 'tmp', readOnly: false });

    // --- security groups: only the ALB reaches the tasks, only the allowed peers reach the ALB -------------------
    this.loadBalancerSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: this.vpc,
      description: 'MCP load balancer: listeners open to the allowed peers, egress only to the tasks',
      allowAllOutbound: false,
    });
    this.serviceSecurityGroup = new ec2.SecurityGroup(this, 'ServiceSecurityGroup', {
      vpc: this.vpc,
      description: 'MCP tasks: ingress only from the load balancer on the container port',
      allowAllOutbound: true,
    });

    if (this.vpc instanceof ec2.Vpc && props.vpc === undefined && egress === 'vpc-endpoints') this.addVpcEndpoints(this.vpc);

    // --- service --------------------------------------------------------------------------------------------------
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      serviceName: props.serviceName,
      desiredCount,
      assignPublicIp: false,
      vpcSubnets: taskSubnets,
      securityGroups: [this.serviceSecurityGroup],
      circuitBreaker: { enable: true, rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      healthCheckGracePeriod: Duration.seconds(DEFAULTS.healthCheckGraceSeconds),
      platformVersion: ecs.FargatePlatformVersion.LATEST,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      enableExecuteCommand: false,
    });

    // --- load balancer ----------------------------------------------------------------------------------------------
    this.accessLogsBucket = props.accessLogsBucket ?? this.createAccessLogsBucket();
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing,
      vpcSubnets: internetFacing ? { subnetType: ec2.SubnetType.PUBLIC } : taskSubnets,
      securityGroup: this.loadBalancerSecurityGroup,
      idleTimeout,
      dropInvalidHeaderFields: true,
      http2Enabled: true,
    });
    this.loadBalancer.logAccessLogs(this.accessLogsBucket, 'alb');

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
      vpc: this.vpc,
      targetType: elbv2.TargetType.IP,
      protocol: elbv2.ApplicationProtocol.HTTP,
      port: containerPort,
      healthCheck: {
        path: '/healthz',
        protocol: elbv2.Protocol.HTTP,
        interval: Duration.seconds(DEFAULTS.healthCheckIntervalSeconds),
        timeout: Duration.seconds(DEFAULTS.healthCheckTimeoutSeconds),
        healthyThresholdCount: DEFAULTS.healthyThreshold,
        unhealthyThresholdCount: DEFAULTS.unhealthyThreshold,
        healthyHttpCodes: '200',
      },
      // SSE streams never drain by themselves: give them a minute, then ECS sends SIGTERM and the gateway closes them.
      deregistrationDelay: Duration.seconds(DEFAULTS.deregistrationDelaySeconds),
      stickinessCookieDuration: stickiness.type === 'off' ? undefined : stickiness.duration,
      stickinessCookieName: stickiness.type === 'app-cookie' ? stickiness.cookieName : undefined,
      targets: [this.service.loadBalancerTarget({ containerName: CONTAINER_NAME, containerPort })],
    });

    const domainName = props.domainName;
    if (insecureHttp) {
      Annotations.of(this).addWarningV2(
        '@mcp-fargate/cdk:insecureHttp',
        'insecureHttpForTesting is set: the MCP is served over plain HTTP on port 80, with no TLS. Use it for internal ' +
          'testing only; give a certificate (or domainName and hostedZone) for anything an agent platform uses.',
      );
      this.httpListener = this.loadBalancer.addListener('HttpListener', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        open: false,
        defaultTargetGroups: [this.targetGroup],
      });
    } else {
      if (props.certificate !== undefined) {
        this.certificate = props.certificate;
      } else if (props.hostedZone !== undefined && domainName !== undefined) {
        this.certificate = new acm.Certificate(this, 'Certificate', {
          domainName,
          validation: acm.CertificateValidation.fromDns(props.hostedZone),
        });
      }
      const certificate = this.certificate;
      if (certificate === undefined) throw new Error('unreachable: certificate checked above');
      this.httpsListener = this.loadBalancer.addListener('HttpsListener', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [elbv2.ListenerCertificate.fromCertificateManager(certificate)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        open: false,
        defaultTargetGroups: [this.targetGroup],
      });
      this.httpListener = this.loadBalancer.addListener('HttpListener', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        open: false,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
      });
    }
    this.allowLoadBalancerIngress(internetFacing, insecureHttp, allowedCidrs, cidrKinds, allowedPrefixLists);

    if (props.hostedZone !== undefined && domainName !== undefined) {
      new route53.ARecord(this, 'AliasRecord', {
        zone: props.hostedZone,
        recordName: domainName,
        target: route53.RecordTarget.fromAlias(new route53Targets.LoadBalancerTarget(this.loadBalancer)),
      });
    }
    this.mcpUrl = `${insecureHttp ? 'http' : 'https'}://${domainName ?? this.loadBalancer.loadBalancerDnsName}/mcp`;

    // --- autoscaling --------------------------------------------------------------------------------------------------
    this.scaling = this.service.autoScaleTaskCount({ minCapacity: minTasks, maxCapacity: maxTasks });
    this.scaling.scaleOnCpuUtilization('CpuScaling', {
      targetUtilizationPercent: targetCpu,
      scaleInCooldown: Duration.seconds(DEFAULTS.scaleInCooldownSeconds),
      scaleOutCooldown: Duration.seconds(DEFAULTS.scaleOutCooldownSeconds),
    });
    this.scaling.scaleOnRequestCount('RequestScaling', {
      requestsPerTarget,
      targetGroup: this.targetGroup,
      scaleInCooldown: Duration.seconds(DEFAULTS.scaleInCooldownSeconds),
      scaleOutCooldown: Duration.seconds(DEFAULTS.scaleOutCooldownSeconds),
    });

    // --- alarms and dashboard ------------------------------------------------------------------------------------------
    this.alarms = this.createAlarms(http5xxThreshold, latencyThreshold, cpuAlarmPercent, memoryAlarmPercent);
    if (props.alarmTopic !== undefined) {
      const action = new cloudwatchActions.SnsAction(props.alarmTopic);
      for (const alarm of Object.values(this.alarms)) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
    this.dashboard = this.createDashboard(latencyThreshold);

    // --- outputs -------------------------------------------------------------------------------------------------------
    new CfnOutput(this, 'McpUrl', { description: 'Register this URL with the agent platform', value: this.mcpUrl });
    new CfnOutput(this, 'ServiceName', { value: this.service.serviceName });
    new CfnOutput(this, 'ClusterName', { value: this.cluster.clusterName });
    new CfnOutput(this, 'LogGroupName', { value: this.logGroup.logGroupName });
    new CfnOutput(this, 'RepositoryUri', { value: this.repository.repositoryUri });
    new CfnOutput(this, 'LoadBalancerDnsName', { value: this.loadBalancer.loadBalancerDnsName });

    this.acknowledgeNagFindings();
  }

  private createVpc(egress: McpEgress, maxAzs: number, natGateways: number, internetFacing: boolean): ec2.Vpc {
    const needsPublicSubnets = egress === 'nat' || internetFacing;
    const flowLogGroup = new logs.LogGroup(this, 'VpcFlowLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(NEW_VPC_CIDR),
      maxAzs,
      natGateways: egress === 'nat' ? natGateways : 0,
      subnetConfiguration: [
        ...(needsPublicSubnets ? [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }] : []),
        {
          name: 'Private',
          subnetType: egress === 'nat' ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
          cidrMask: 20,
        },
      ],
      flowLogs: {
        All: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup), trafficType: ec2.FlowLogTrafficType.ALL },
      },
    });
    return vpc;
  }

  /**
   * Interface endpoints (and the free S3 gateway endpoint, since ECR keeps image layers in S3) for tasks without
   * NAT; reachable on 443 only from the tasks.
   */
  private addVpcEndpoints(vpc: ec2.Vpc): void {
    const subnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    vpc.addGatewayEndpoint('S3Endpoint', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [subnets] });
    const interfaces: [string, ec2.InterfaceVpcEndpointAwsService][] = [
      ['EcrApiEndpoint', ec2.InterfaceVpcEndpointAwsService.ECR],
      ['EcrDockerEndpoint', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER],
      ['LogsEndpoint', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
      ['SecretsManagerEndpoint', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
    ];
    for (const [id, service] of interfaces) {
      const endpoint = vpc.addInterfaceEndpoint(id, { service, subnets, privateDnsEnabled: true, open: false });
      endpoint.connections.allowDefaultPortFrom(this.serviceSecurityGroup, 'HTTPS from the MCP tasks');
    }
  }

  private createAccessLogsBucket(): s3.Bucket {
    const bucket = new s3.Bucket(this, 'AccessLogsBucket', {
      // ALB access logs can only be delivered to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(DEFAULTS.accessLogExpirationDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason:
        'This bucket receives the load balancer access logs; server access logs of a log bucket would need yet ' +
        'another log bucket. Access is private, TLS-only and its objects expire after 90 days.',
    });
    return bucket;
  }

  private allowLoadBalancerIngress(
    internetFacing: boolean,
    insecureHttp: boolean,
    cidrs: readonly string[],
    cidrKinds: readonly ('ipv4' | 'ipv6')[],
    prefixLists: readonly string[],
  ): void {
    const peers: [ec2.IPeer, string][] = [
      ...cidrs.map((cidr, i): [ec2.IPeer, string] => [cidrKinds[i] === 'ipv6' ? ec2.Peer.ipv6(cidr) : ec2.Peer.ipv4(cidr), cidr]),
      ...prefixLists.map((pl): [ec2.IPeer, string] => [ec2.Peer.prefixList(pl), pl]),
    ];
    if (peers.length === 0) {
      peers.push(
        internetFacing
          ? [ec2.Peer.anyIpv4(), 'anywhere']
          : [ec2.Peer.ipv4(this.node.tryFindChild('Vpc') === undefined ? this.vpc.vpcCidrBlock : NEW_VPC_CIDR), 'the VPC'],
      );
    }
    const ports = insecureHttp ? [80] : [443, 80];
    for (const [peer, label] of peers) {
      for (const port of ports) {
        this.loadBalancerSecurityGroup.addIngressRule(
          peer,
          ec2.Port.tcp(port),
          port === 443 || insecureHttp ? `MCP from ${label}` : `Redirect to HTTPS for ${label}`,
        );
      }
    }
    if (internetFacing && cidrs.length === 0 && prefixLists.length === 0) {
      Validations.of(this.loadBalancerSecurityGroup).acknowledge({
        id: 'AwsSolutions::AwsSolutions-EC23',
        reason:
          'A public MCP endpoint for agent platforms whose egress addresses are not known: the listener is ' +
          'HTTPS only (port 80 only redirects) and the MCP authenticates callers. Set allowedCidrs or ' +
          'allowedPrefixListIds to narrow it.',
      });
    }
  }

  private resolveSecret(field: string, name: string, spec: McpSecret): ResolvedSecret {
    const stack = Stack.of(this);
    let format = spec.format;
    if (format !== undefined && format !== 'json' && format !== 'string') {
      throw new McpFargateError('MCPF_CDK_SECRET_INVALID', `${field}.format must be 'json' or 'string', got ${JSON.stringify(format)}`);
    }
    let secretArn: string;
    let policyArn: string;
    let keyOfConstruct: string | undefined;
    if (typeof spec.secret === 'string') {
      const ref = parseSecretReference(`${field}.secret`, spec.secret);
      if (ref.kind === 'name') {
        secretArn = stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: ref.name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
      } else {
        secretArn = ref.arn;
      }
      // IAM sees the complete ARN: the name plus the hyphen and 6 random characters Secrets Manager appends.
      policyArn = ref.kind === 'complete-arn' || ref.kind === 'unresolved' ? ref.arn : `${secretArn}-??????`;
    } else {
      secretArn = spec.secret.secretArn;
      policyArn = spec.secret.secretFullArn ?? `${spec.secret.secretArn}-??????`;
      keyOfConstruct = spec.secret.encryptionKey?.keyArn;
      format ??= formatOfSecretConstruct(spec.secret);
    }
    validateSecretJsonKey(`${field}.jsonKey`, spec.jsonKey, format);
    const kmsKeyArn = spec.kmsKeyArn ?? keyOfConstruct;
    if (spec.kmsKeyArn !== undefined) validateKmsKeyArn(`${field}.kmsKeyArn`, spec.kmsKeyArn);
    const valueFrom = spec.jsonKey === undefined ? secretArn : `${secretArn}:${spec.jsonKey}::`;
    return { name, ecsSecret: new SecretsManagerReadOnly(valueFrom, spec.jsonKey !== undefined, policyArn, kmsKeyArn) };
  }

  private createAlarms(http5xx: number, latency: Duration, cpuPercent: number, memoryPercent: number): McpFargateService['alarms'] {
    const minute = Duration.minutes(1);
    const errors5xx = new cloudwatch.MathExpression({
      label: '5xx responses (load balancer + targets)',
      expression: 'FILL(elb, 0) + FILL(target, 0)',
      usingMetrics: {
        elb: this.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: minute, statistic: 'Sum' }),
        target: this.targetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: minute, statistic: 'Sum' }),
      },
      period: minute,
    });
    const common = { treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING } as const;
    return {
      http5xx: errors5xx.createAlarm(this, 'Http5xxAlarm', {
        ...common,
        alarmDescription: `MCP: ${http5xx} or more 5xx responses a minute, in 3 of the last 5 minutes`,
        threshold: http5xx,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      }),
      unhealthyHosts: this.targetGroup.metrics.unhealthyHostCount({ period: minute, statistic: 'Maximum' }).createAlarm(this, 'UnhealthyHostsAlarm', {
        ...common,
        alarmDescription: 'MCP: a task has failed its /healthz check for 3 minutes',
        threshold: 1,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      }),
      latencyP99: this.targetGroup.metrics.targetResponseTime({ period: minute, statistic: 'p99' }).createAlarm(this, 'LatencyP99Alarm', {
        ...common,
        alarmDescription: `MCP: p99 target response time above ${latency.toHumanString()} for 5 minutes`,
        threshold: latency.toMilliseconds() / 1000,
        evaluationPeriods: 5,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      }),
      cpu: this.service.metricCpuUtilization({ period: minute, statistic: 'Average' }).createAlarm(this, 'CpuAlarm', {
        ...common,
        alarmDescription: `MCP: service CPU above ${cpuPercent}% for 5 minutes (autoscaling is not keeping up)`,
        threshold: cpuPercent,
        evaluationPeriods: 5,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      }),
      memory: this.service.metricMemoryUtilization({ period: minute, statistic: 'Average' }).createAlarm(this, 'MemoryAlarm', {
        ...common,
        alarmDescription: `MCP: service memory above ${memoryPercent}% for 5 minutes (sessions or a leak)`,
        threshold: memoryPercent,
        evaluationPeriods: 5,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      }),
    };
  }

  private createDashboard(latencyThreshold: Duration): cloudwatch.Dashboard {
    const minute = Duration.minutes(1);
    const m = GATEWAY_METRICS;
    const gateway = (metricName: string, statistic: string, label: string) =>
      new cloudwatch.Metric({
        namespace: m.namespace,
        metricName,
        dimensionsMap: { [m.serviceDimension]: this.metricsServiceName },
        statistic,
        period: minute,
        label,
      });
    const byMethod = (metricName: string, statistic: string, label: string) =>
      new cloudwatch.MathExpression({
        expression:
          `SEARCH('{${m.namespace},${m.serviceDimension},${m.methodDimension}} ` +
          `MetricName="${metricName}" ${m.serviceDimension}="${this.metricsServiceName}"', '${statistic}', 60)`,
        usingMetrics: {},
        label,
        period: minute,
      });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(this.alarms), width: 24, height: 3 }));
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Requests and 5xx (load balancer)',
        left: [this.loadBalancer.metrics.requestCount({ period: minute, statistic: 'Sum' })],
        right: [this.alarms.http5xx.metric],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Target response time',
        left: ['p50', 'p90', 'p99'].map((statistic) => this.targetGroup.metrics.targetResponseTime({ period: minute, statistic, label: statistic })),
        leftAnnotations: [{ value: latencyThreshold.toMilliseconds() / 1000, label: 'p99 alarm threshold' }],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Targets',
        left: [
          this.targetGroup.metrics.healthyHostCount({ period: minute, statistic: 'Minimum', label: 'healthy' }),
          this.targetGroup.metrics.unhealthyHostCount({ period: minute, statistic: 'Maximum', label: 'unhealthy' }),
        ],
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Service CPU and memory (%)',
        left: [this.service.metricCpuUtilization({ period: minute, label: 'CPU' }), this.service.metricMemoryUtilization({ period: minute, label: 'memory' })],
        leftYAxis: { min: 0, max: 100 },
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Live MCP sessions (gateway)',
        left: [gateway(m.liveSessions, 'Sum', 'live sessions')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'MCP requests and errors (gateway)',
        left: [gateway(m.requests, 'Sum', 'requests')],
        right: [gateway(m.errors, 'Sum', 'errors')],
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Requests by MCP method', left: [byMethod(m.requests, 'Sum', 'requests')], width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Errors by MCP method', left: [byMethod(m.errors, 'Sum', 'errors')], width: 8 }),
      new cloudwatch.GraphWidget({
        title: 'Latency by MCP method, p99 (ms)',
        left: [byMethod(m.latencyMs, 'p99', 'p99 latency')],
        width: 8,
      }),
    );
    return dashboard;
  }

  /**
   * cdk-nag AwsSolutions findings that are right for this design, each acknowledged on the construct it is about,
   * with the reason.
   */
  private acknowledgeNagFindings(): void {
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions::AwsSolutions-ECS2',
      reason:
        'The plain environment holds only non-secret settings (PORT, HOST, metrics, the MCP module path); the ' +
        'construct refuses names and values that look like credentials, and credentials come from Secrets Manager ' +
        'through the task definition secrets.',
    });
    const executionPolicy = this.taskDefinition.executionRole?.node.tryFindChild('DefaultPolicy');
    if (executionPolicy !== undefined) {
      Validations.of(executionPolicy).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'ecr:GetAuthorizationToken supports no resource-level permissions; image pulls themselves are scoped to the repository.',
      });
    }
  }
}

interface ResolvedSecret {
  readonly name: string;
  readonly ecsSecret: ecs.Secret;
}

/**
 * A Secrets Manager secret for the task definition that grants the execution role exactly what ECS uses to inject
 * it: `secretsmanager:GetSecretValue` (the L2 also grants `DescribeSecret`, which ECS does not call), and
 * `kms:Decrypt` on a customer key only via Secrets Manager.
 */
class SecretsManagerReadOnly extends ecs.Secret {
  constructor(
    readonly arn: string,
    readonly hasField: boolean,
    private readonly policyArn: string,
    private readonly kmsKeyArn: string | undefined,
  ) {
    super();
  }

  grantRead(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['secretsmanager:GetSecretValue'], resourceArns: [this.policyArn] });
    if (this.kmsKeyArn !== undefined) {
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['kms:Decrypt'],
        resourceArns: [this.kmsKeyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
      });
    }
    return grant;
  }
}

/** For a `Secret` defined in the app, whether its value is a plain string or a JSON object. */
function formatOfSecretConstruct(secret: secretsmanager.ISecret): 'json' | 'string' | undefined {
  const cfn = secret.node.defaultChild;
  if (!(cfn instanceof secretsmanager.CfnSecret)) return undefined;
  const generate = cfn.generateSecretString;
  if (generate !== undefined && !Token.isUnresolved(generate)) {
    const g = generate as secretsmanager.CfnSecret.GenerateSecretStringProperty;
    return g.generateStringKey !== undefined ? 'json' : 'string';
  }
  const value = cfn.secretString;
  if (value === undefined || Token.isUnresolved(value)) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? 'json' : 'string';
  } catch {
    return 'string';
  }
}

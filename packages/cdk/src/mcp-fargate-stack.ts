import { CfnOutput, Duration, Stack, Tags } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { DeploymentConfig } from './deployment-config.js';
import type { McpAuth, McpHostedServer, McpNamedServer, McpSecret, McpSessionStore, McpSidecarServer, McpStickiness, McpWaf } from './service/props.js';
import { McpFargateService } from './mcp-fargate-service.js';
import { McpImageRepository } from './mcp-image-repository.js';
import { CONSTRUCT_TAGS } from './service/props.js';
import { parseImageReference } from './validation.js';

export interface McpFargateStackProps extends StackProps {
  /** The validated deployment config (`loadDeploymentConfig`). */
  readonly config: DeploymentConfig;

  /**
   * The repository, when another stack of the app creates it.
   * @default - the repository named in `config.image.repositoryName`, looked up by name
   */
  readonly repository?: ecr.IRepository;
}

/**
 * The whole MCP service from a deployment config: an `McpFargateService` and its imports. Termination protection comes
 * from the config unless `props` sets it; the config's tags go on the stack and every resource in it.
 */
export class McpFargateStack extends Stack {
  readonly mcp: McpFargateService;

  constructor(scope: Construct, id: string, props: McpFargateStackProps) {
    const { config } = props;
    super(scope, id, { ...props, terminationProtection: props.terminationProtection ?? config.deletionProtection });
    tagStack(this, config);
    const lb = config.loadBalancer;
    const network = config.network;
    this.mcp = new McpFargateService(this, 'Mcp', {
      serviceName: config.serviceName,
      imageDigest: config.image.digest,
      repository: props.repository ?? ecr.Repository.fromRepositoryName(this, 'ImageRepository', config.image.repositoryName),
      cpu: config.task.cpu,
      memoryLimitMiB: config.task.memoryMiB,
      cpuArchitecture: config.task.architecture === 'arm64' ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64,
      desiredCount: config.scaling.desiredTasks,
      minTasks: config.scaling.minTasks,
      maxTasks: config.scaling.maxTasks,
      targetCpuUtilizationPercent: config.scaling.targetCpuPercent,
      targetRequestsPerTarget: config.scaling.requestsPerTarget,
      environment: { ...config.environment },
      secrets: { ...config.secrets },
      server: config.server === undefined ? undefined : serverOf(this, 'Server', config.server),
      servers:
        config.servers === undefined
          ? undefined
          : Object.fromEntries(
              Object.entries(config.servers).map(([name, entry]): [string, McpNamedServer] => [
                name,
                { ...serverOf(this, `Server-${name}`, entry), default: entry.default },
              ]),
            ),
      auth: authOf(config.auth),
      waf: wafOf(config.waf),
      sessionStore: sessionStoreOf(config.sessionStore),
      valkeyMaxDataStorageGb: config.valkey?.maxDataStorageGb,
      valkeyMaxEcpuPerSecond: config.valkey?.maxEcpuPerSecond,
      ...('vpcId' in network
        ? { vpc: ec2.Vpc.fromLookup(this, 'Vpc', { vpcId: network.vpcId }) }
        : { egress: network.egress, natGateways: network.natGateways, maxAzs: network.maxAzs }),
      egressRules: [...config.network.egressRules],
      internetFacing: lb.scheme === 'internet-facing',
      certificate: lb.certificateArn === undefined ? undefined : acm.Certificate.fromCertificateArn(this, 'Certificate', lb.certificateArn),
      domainName: lb.domainName,
      hostedZone:
        lb.hostedZone === undefined
          ? undefined
          : route53.HostedZone.fromHostedZoneAttributes(this, 'HostedZone', { hostedZoneId: lb.hostedZone.id, zoneName: lb.hostedZone.name }),
      allowedCidrs: [...lb.allowedCidrs],
      allowedPrefixListIds: [...lb.allowedPrefixListIds],
      insecureHttpForTesting: lb.insecureHttpForTesting,
      httpRedirect: lb.httpRedirect,
      deletionProtection: config.deletionProtection,
      idleTimeout: lb.idleTimeoutSeconds === undefined ? undefined : Duration.seconds(lb.idleTimeoutSeconds),
      stickiness: stickinessOf(config.stickiness),
      logRetention: config.logs.retentionDays as logs.RetentionDays,
      alarmTopic: config.alarms.snsTopicArn === undefined ? undefined : sns.Topic.fromTopicArn(this, 'AlarmTopic', config.alarms.snsTopicArn),
      http5xxAlarmThreshold: config.alarms.http5xxPerMinute,
      latencyP99AlarmThreshold: config.alarms.latencyP99Seconds === undefined ? undefined : Duration.millis(Math.round(config.alarms.latencyP99Seconds * 1000)),
      cpuAlarmPercent: config.alarms.cpuPercent,
      memoryAlarmPercent: config.alarms.memoryPercent,
      containerInsights: CONTAINER_INSIGHTS[config.containerInsights],
    });
  }
}

export interface McpImageRepositoryStackProps extends StackProps {
  readonly repositoryName: string;
  readonly keepImages?: number;
}

/**
 * The ECR repository in its own stack: it must exist, and hold the pushed image, before the service stack can start
 * tasks from it (the seed's first step, `aws ecr create-repository`).
 */
export class McpImageRepositoryStack extends Stack {
  readonly repository: ecr.Repository;

  constructor(scope: Construct, id: string, props: McpImageRepositoryStackProps) {
    super(scope, id, props);
    this.repository = new McpImageRepository(this, 'ImageRepository', {
      repositoryName: props.repositoryName,
      keepImages: props.keepImages,
    }).repository;
    new CfnOutput(this, 'RepositoryUri', { description: 'Push the MCP image here', value: this.repository.repositoryUri });
  }
}

type ConfigServer = NonNullable<DeploymentConfig['server']> | NonNullable<DeploymentConfig['servers']>[string];

/** A config server entry as the construct's prop; a sidecar's image reference becomes its ECR repository and digest. */
function serverOf(scope: Construct, id: string, entry: ConfigServer): McpHostedServer {
  if (entry.module !== undefined) return { module: entry.module };
  if (entry.command !== undefined) {
    return {
      command: entry.command,
      cwd: entry.cwd,
      passEnv: entry.passEnv === undefined ? undefined : [...entry.passEnv],
      env: entry.env === undefined ? undefined : { ...entry.env },
    };
  }
  if (entry.url !== undefined) return { url: entry.url, headers: entry.headers === undefined ? undefined : { ...entry.headers } };
  const image = parseImageReference(id, entry.image ?? '');
  const stack = Stack.of(scope);
  const repository =
    image.account === undefined
      ? ecr.Repository.fromRepositoryName(scope, `${id}ImageRepository`, image.repositoryName)
      : ecr.Repository.fromRepositoryArn(
          scope,
          `${id}ImageRepository`,
          stack.formatArn({ service: 'ecr', account: image.account, region: image.region, resource: 'repository', resourceName: image.repositoryName }),
        );
  const h = entry.healthCheck;
  const sidecar: McpSidecarServer = {
    image: { repository, digest: image.digest },
    port: entry.port ?? 0,
    path: entry.path,
    healthCheck: {
      command: [...(h?.command ?? [])],
      interval: h?.intervalSeconds === undefined ? undefined : Duration.seconds(h.intervalSeconds),
      timeout: h?.timeoutSeconds === undefined ? undefined : Duration.seconds(h.timeoutSeconds),
      retries: h?.retries,
      startPeriod: h?.startPeriodSeconds === undefined ? undefined : Duration.seconds(h.startPeriodSeconds),
    },
    environment: entry.environment === undefined ? undefined : { ...entry.environment },
    secrets: entry.secrets === undefined ? undefined : { ...entry.secrets },
    user: entry.user,
    readonlyRootFilesystem: entry.readonlyRootFilesystem,
  };
  return sidecar;
}

function authOf(auth: DeploymentConfig['auth']): McpAuth {
  switch (auth.mode) {
    case 'keys':
      return { mode: 'keys', keysSecret: auth.keysSecret as McpSecret, header: auth.header };
    case 'oauth':
      return auth.cognito !== undefined
        ? {
            mode: 'oauth',
            cognito: { domainPrefix: auth.cognito.domainPrefix, scopes: auth.cognito.scopes === undefined ? undefined : [...auth.cognito.scopes] },
          }
        : {
            mode: 'oauth',
            issuer: auth.issuer ?? '',
            jwksUrl: auth.jwksUrl,
            scopes: auth.scopes === undefined ? undefined : [...auth.scopes],
            algorithms: auth.algorithms === undefined ? undefined : [...auth.algorithms],
          };
    case 'none':
      return { mode: 'none', acknowledgeNoAuth: auth.acknowledgeNoAuth };
  }
}

function wafOf(waf: DeploymentConfig['waf']): McpWaf {
  return typeof waf === 'boolean' ? waf : { rateLimitPer5Minutes: waf.rateLimitPer5Minutes };
}

function sessionStoreOf(store: DeploymentConfig['sessionStore']): McpSessionStore {
  if (typeof store === 'string') return store;
  // The schema holds exactly one of url and urlSecret.
  return store.urlSecret !== undefined ? { urlSecret: store.urlSecret as McpSecret, cluster: store.cluster } : { url: store.url ?? '', cluster: store.cluster };
}

function stickinessOf(config: DeploymentConfig['stickiness']): McpStickiness | undefined {
  if (config === undefined) return undefined;
  return config.type === 'off' ? { type: 'off' } : { type: 'lb-cookie', duration: Duration.seconds(config.durationSeconds) };
}

const CONTAINER_INSIGHTS = {
  enabled: ecs.ContainerInsights.ENABLED,
  enhanced: ecs.ContainerInsights.ENHANCED,
  disabled: ecs.ContainerInsights.DISABLED,
} as const;

/** Tags a stack made from `config`, and everything in it: the service, the stack, and the config's own tags. */
export function tagStack(stack: Stack, config: DeploymentConfig): void {
  const tags = { [CONSTRUCT_TAGS.service]: config.serviceName, [CONSTRUCT_TAGS.stack]: stack.stackName, ...config.tags };
  for (const [key, value] of Object.entries(tags)) Tags.of(stack).add(key, value);
}

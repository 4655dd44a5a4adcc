import { ArnFormat, Aws, Duration, RemovalPolicy, Size, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { DEFAULTS } from '../defaults.js';
import { McpFargateError, show } from '../errors.js';
import { GATEWAY_ENV } from '../gateway-env.js';
import { parseSecretReference, validateKmsKeyArn, validateSecretJsonKey } from '../validation.js';
import type { ResolvedSidecar } from './hosted-server.js';
import type { McpFargateServiceProps, McpSecret, ResolvedProps } from './props.js';
import { confineTrust } from './role-trust.js';

export const CONTAINER_NAME = 'mcp';

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

export interface Task {
  readonly logGroup: logs.LogGroup;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  /** The sidecar MCP servers, in the order of `servers` (or the one `server`). */
  readonly sidecars: ecs.ContainerDefinition[];
}

/** Where the gateway's own secrets come from, for messages: the user's `secrets`, or the prop that put one there. */
function secretField(name: string): string {
  if (name === GATEWAY_ENV.authKeys) return 'auth.keysSecret';
  if (name === GATEWAY_ENV.redisUrl) return 'sessionStore.urlSecret';
  return `secrets.${name}`;
}

/**
 * The task definition: the gateway container (the image by digest, non-root on a read-only root filesystem with a
 * writable /tmp, secrets from Secrets Manager with exactly the read they need, logs NON_BLOCKING to a log group),
 * and a container per sidecar MCP server, which the gateway waits for. `deployedEnvironment` holds the gateway
 * variables known only once deployed (the valkey endpoint, the user pool).
 */
export function createTask(
  scope: Construct,
  props: McpFargateServiceProps,
  p: ResolvedProps,
  repository: ecr.IRepository,
  metricsServiceName: string,
  deployedEnvironment: Readonly<Record<string, string>>,
): Task {
  const secrets = Object.entries(p.secrets).map(([name, spec]) => [name, resolveSecret(scope, `[${scope.node.path}] ${secretField(name)}`, spec)] as const);
  const logGroup = new logs.LogGroup(scope, 'LogGroup', {
    retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
  });
  const taskDefinition = new ecs.FargateTaskDefinition(scope, 'TaskDefinition', {
    cpu: p.cpu,
    memoryLimitMiB: p.memoryLimitMiB,
    runtimePlatform: {
      cpuArchitecture: props.cpuArchitecture ?? ecs.CpuArchitecture.of(DEFAULTS.cpuArchitecture.toUpperCase()),
      operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
    },
    // The only writable path: the root filesystem is read-only.
    volumes: [{ name: 'tmp' }],
  });
  const container = taskDefinition.addContainer(CONTAINER_NAME, {
    containerName: CONTAINER_NAME,
    image: ecs.ContainerImage.fromEcrRepository(repository, p.imageDigest),
    essential: true,
    portMappings: [{ containerPort: p.containerPort, protocol: ecs.Protocol.TCP, name: 'http' }],
    environment: {
      ...p.environment,
      ...deployedEnvironment,
      [GATEWAY_ENV.port]: String(p.containerPort),
      [GATEWAY_ENV.host]: '0.0.0.0',
      [GATEWAY_ENV.metrics]: 'emf',
      [GATEWAY_ENV.metricsService]: metricsServiceName,
    },
    secrets: Object.fromEntries(secrets),
    healthCheck: {
      command: healthCheckCommand(p.containerPort),
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
    linuxParameters: new ecs.LinuxParameters(scope, 'LinuxParameters', { initProcessEnabled: true }),
    logging: ecs.LogDrivers.awsLogs({
      logGroup,
      streamPrefix: 'mcp',
      // A slow CloudWatch Logs must never block the gateway's stdout; the buffer absorbs bursts.
      mode: ecs.AwsLogDriverMode.NON_BLOCKING,
      maxBufferSize: Size.mebibytes(DEFAULTS.logBufferMiB),
    }),
  });
  container.addMountPoints({ containerPath: '/tmp', sourceVolume: 'tmp', readOnly: false });
  const sidecars = p.servers.sidecars.map((sidecar) => addSidecar(scope, taskDefinition, logGroup, sidecar));
  // The gateway starts once every sidecar passes its health check, and (in reverse order) stops before them, so it
  // drains its streams while the server behind it still answers.
  for (const sidecar of sidecars) container.addContainerDependencies({ container: sidecar, condition: ecs.ContainerDependencyCondition.HEALTHY });
  confineTrust(taskDefinition.taskRole, 'ecs-task');
  confineTrust(taskDefinition.executionRole, 'ecs-execution');
  return { logGroup, taskDefinition, container, sidecars };
}

/**
 * A sidecar MCP server: its image by digest (the execution role may pull from its repository), non-root and
 * read-only with its own /tmp volume by default, its health check, its own variables and secrets, and its logs in
 * the service's log group under its own stream prefix. No port mapping: only the gateway reaches it, on localhost.
 */
function addSidecar(scope: Construct, taskDefinition: ecs.FargateTaskDefinition, logGroup: logs.LogGroup, sidecar: ResolvedSidecar): ecs.ContainerDefinition {
  const { server, containerName, field } = sidecar;
  const secrets = Object.entries(server.secrets ?? {}).map(([name, spec]) => [name, resolveSecret(scope, `${field}.secrets.${name}`, spec)] as const);
  const h = server.healthCheck;
  const volume = `${containerName}-tmp`;
  taskDefinition.addVolume({ name: volume });
  const container = taskDefinition.addContainer(containerName, {
    containerName,
    image: ecs.ContainerImage.fromEcrRepository(server.image.repository, server.image.digest),
    essential: true,
    environment: { ...server.environment },
    secrets: Object.fromEntries(secrets),
    healthCheck: {
      command: [...h.command],
      interval: h.interval ?? Duration.seconds(DEFAULTS.healthCheckIntervalSeconds),
      timeout: h.timeout ?? Duration.seconds(DEFAULTS.healthCheckTimeoutSeconds),
      retries: h.retries ?? DEFAULTS.unhealthyThreshold,
      startPeriod: h.startPeriod ?? Duration.seconds(DEFAULTS.healthCheckGraceSeconds),
    },
    user: server.user ?? DEFAULTS.sidecarUser,
    readonlyRootFilesystem: server.readonlyRootFilesystem ?? true,
    stopTimeout: Duration.seconds(DEFAULTS.stopTimeoutSeconds),
    linuxParameters: new ecs.LinuxParameters(scope, `${containerName}LinuxParameters`, { initProcessEnabled: true }),
    logging: ecs.LogDrivers.awsLogs({
      logGroup,
      streamPrefix: containerName,
      mode: ecs.AwsLogDriverMode.NON_BLOCKING,
      maxBufferSize: Size.mebibytes(DEFAULTS.logBufferMiB),
    }),
  });
  container.addMountPoints({ containerPath: '/tmp', sourceVolume: volume, readOnly: false });
  return container;
}

/** cdk-nag findings about the task definition that are right for this design, each with its reason. */
export function acknowledgeTaskFindings(taskDefinition: ecs.FargateTaskDefinition): void {
  Validations.of(taskDefinition).acknowledge({
    id: 'AwsSolutions::AwsSolutions-ECS2',
    reason:
      'The plain environment holds settings only (port, host, timeouts, session store, auth mode and issuer, metrics, the ' +
      'hosted server and what the user configures); the construct refuses names and values that look like credentials, ' +
      'and credentials come from Secrets Manager through the task definition secrets.',
  });
  const executionPolicy = taskDefinition.executionRole?.node.tryFindChild('DefaultPolicy');
  if (executionPolicy !== undefined) {
    Validations.of(executionPolicy).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: 'ecr:GetAuthorizationToken supports no resource-level permissions; image pulls themselves are scoped to the repository.',
    });
  }
}

function resolveSecret(scope: Construct, field: string, spec: McpSecret): ecs.Secret {
  const stack = Stack.of(scope);
  let format = spec.format;
  if (format !== undefined && format !== 'json' && format !== 'string') {
    throw new McpFargateError('MCPF_CDK_CHOICE_INVALID', `${field}.format must be 'json' or 'string', got ${show(format)}`);
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
  return new SecretsManagerReadOnly(valueFrom, spec.jsonKey !== undefined, policyArn, kmsKeyArn);
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

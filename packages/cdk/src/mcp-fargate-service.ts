import { CfnOutput, Duration, Names, Stack, Tags } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elasticache from 'aws-cdk-lib/aws-elasticache';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { DEFAULTS } from './defaults.js';
import { GATEWAY_ENV } from './gateway-env.js';
import { McpImageRepository } from './mcp-image-repository.js';
import { createCognitoAuth } from './service/auth.js';
import { createLoadBalancing } from './service/load-balancer.js';
import type { McpAlarms } from './service/monitoring.js';
import { createAlarms, createDashboard } from './service/monitoring.js';
import { addVpcEndpoints, allowTaskEgress, createSecurityGroups, createVpc, defaultTaskSubnets } from './service/network.js';
import type { McpFargateServiceProps } from './service/props.js';
import { CONSTRUCT_TAGS, resolveProps } from './service/props.js';
import type { ResolvedSessionStore } from './service/session-store.js';
import { createValkeyCache } from './service/session-store.js';
import { acknowledgeTaskFindings, createTask } from './service/task.js';
import { createWebAcl } from './service/waf.js';

/**
 * An MCP server as a production service: a Fargate service in private subnets behind an Application Load Balancer,
 * its image pinned by digest in ECR, secrets from Secrets Manager, logs, autoscaling, alarms and a dashboard.
 *
 * Each concern is built by a function in `service/` with this construct as its scope, so construct ids (and so
 * logical ids) do not depend on which file builds what.
 */
export class McpFargateService extends Construct {
  readonly vpc: ec2.IVpc;
  readonly repository: ecr.IRepository;
  readonly cluster: ecs.Cluster;
  readonly logGroup: logs.LogGroup;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The gateway's container, the one the load balancer reaches. */
  readonly container: ecs.ContainerDefinition;
  /** The sidecar MCP servers' containers (a `server` or `servers` given by image); empty otherwise. */
  readonly sidecarContainers: ecs.ContainerDefinition[];
  readonly serviceSecurityGroup: ec2.SecurityGroup;
  readonly service: ecs.FargateService;
  readonly loadBalancerSecurityGroup: ec2.SecurityGroup;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly accessLogsBucket: s3.IBucket;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The HTTPS listener; undefined with `insecureHttpForTesting`. */
  readonly httpsListener?: elbv2.ApplicationListener;
  /** Port 80: redirects to HTTPS with `httpRedirect`, forwards with `insecureHttpForTesting`; otherwise none. */
  readonly httpListener?: elbv2.ApplicationListener;
  readonly certificate?: acm.ICertificate;
  readonly scaling: ecs.ScalableTaskCount;
  readonly alarms: McpAlarms;
  readonly dashboard: cloudwatch.Dashboard;
  /** The URL to register with the agent: `https://<domain or ALB DNS name>/mcp`. */
  readonly mcpUrl: string;
  /** The `Service` dimension of the gateway's metrics. */
  readonly metricsServiceName: string;
  /** The ElastiCache Serverless for Valkey cache, with `sessionStore: 'valkey'`. */
  readonly sessionCache?: elasticache.CfnServerlessCache;
  /** The security group of the valkey cache, which admits only the tasks. */
  readonly sessionCacheSecurityGroup?: ec2.SecurityGroup;
  /** The Cognito user pool, with `auth: { mode: 'oauth', cognito }`; also its resource server, app client and domain. */
  readonly userPool?: cognito.UserPool;
  readonly userPoolResourceServer?: cognito.UserPoolResourceServer;
  readonly userPoolClient?: cognito.UserPoolClient;
  readonly userPoolDomain?: cognito.UserPoolDomain;
  /** The WAF web ACL on the load balancer, with `waf`. */
  readonly webAcl?: wafv2.CfnWebACL;
  /** What happens to a legacy MCP session with this store, in a sentence (also the `SessionStore` output). */
  readonly sessionSummary: string;

  constructor(scope: Construct, id: string, props: McpFargateServiceProps) {
    super(scope, id);
    const p = resolveProps(this, props);
    this.metricsServiceName = props.serviceName ?? Names.uniqueResourceName(this, { maxLength: 64, separator: '-' });
    Tags.of(this).add(CONSTRUCT_TAGS.service, this.metricsServiceName);
    Tags.of(this).add(CONSTRUCT_TAGS.stack, Stack.of(this).stackName);
    for (const [key, value] of Object.entries(p.tags)) Tags.of(this).add(key, value);

    // --- network ------------------------------------------------------------------------------------------------
    this.vpc = props.vpc ?? createVpc(this, p);
    const taskSubnets = props.taskSubnets ?? defaultTaskSubnets(this.vpc);
    const securityGroups = createSecurityGroups(this, this.vpc);
    this.loadBalancerSecurityGroup = securityGroups.loadBalancer;
    this.serviceSecurityGroup = securityGroups.service;
    const endpoints = props.vpc === undefined && this.vpc instanceof ec2.Vpc ? addVpcEndpoints(this, this.vpc, p.egress) : undefined;
    allowTaskEgress(this, p, this.serviceSecurityGroup, endpoints);

    // --- image, task and secrets ---------------------------------------------------------------------------------
    this.repository =
      props.repository ?? new McpImageRepository(this, 'ImageRepository', { repositoryName: props.repositoryName, keepImages: props.keepImages }).repository;
    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc: this.vpc, containerInsightsV2: p.containerInsights });
    // What exists only once deployed, and the gateway must be told: the cache endpoint, the user pool.
    const deployedEnvironment: Record<string, string> = {};
    if (p.store.kind === 'valkey') {
      const valkey = createValkeyCache(this, this.vpc, taskSubnets, this.serviceSecurityGroup, p.store);
      this.sessionCache = valkey.cache;
      this.sessionCacheSecurityGroup = valkey.securityGroup;
      deployedEnvironment[GATEWAY_ENV.redisUrl] = valkey.url;
    }
    const cognitoAuth = p.auth.cognito === undefined ? undefined : createCognitoAuth(this, p.auth.cognito, p.deletionProtection);
    if (cognitoAuth !== undefined) {
      this.userPool = cognitoAuth.userPool;
      this.userPoolResourceServer = cognitoAuth.resourceServer;
      this.userPoolClient = cognitoAuth.client;
      this.userPoolDomain = cognitoAuth.domain;
      Object.assign(deployedEnvironment, cognitoAuth.environment);
    }
    const task = createTask(this, props, p, this.repository, this.metricsServiceName, deployedEnvironment);
    this.logGroup = task.logGroup;
    this.taskDefinition = task.taskDefinition;
    this.container = task.container;
    this.sidecarContainers = task.sidecars;

    // --- service --------------------------------------------------------------------------------------------------
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      serviceName: props.serviceName,
      desiredCount: p.desiredCount,
      assignPublicIp: false,
      vpcSubnets: taskSubnets,
      securityGroups: [this.serviceSecurityGroup],
      circuitBreaker: { enable: true, rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      healthCheckGracePeriod: Duration.seconds(DEFAULTS.healthCheckGraceSeconds),
      // Pinned, so a platform release is a deliberate change of this construct, not a surprise at the next deployment.
      platformVersion: ecs.FargatePlatformVersion.VERSION1_4,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      // ECS adds its cluster and service tags to the tasks, beside the service's own that PropagateTags copies.
      enableECSManagedTags: true,
      enableExecuteCommand: false,
    });

    // --- load balancer ----------------------------------------------------------------------------------------------
    const lb = createLoadBalancing(this, props, p, this.vpc, taskSubnets, this.loadBalancerSecurityGroup, this.service);
    this.accessLogsBucket = lb.accessLogsBucket;
    this.loadBalancer = lb.loadBalancer;
    this.targetGroup = lb.targetGroup;
    this.httpsListener = lb.httpsListener;
    this.httpListener = lb.httpListener;
    this.certificate = lb.certificate;
    this.mcpUrl = lb.mcpUrl;
    if (p.wafRateLimitPer5Minutes !== undefined) this.webAcl = createWebAcl(this, this.loadBalancer, p.wafRateLimitPer5Minutes);

    // --- autoscaling --------------------------------------------------------------------------------------------------
    this.scaling = this.service.autoScaleTaskCount({ minCapacity: p.minTasks, maxCapacity: p.maxTasks });
    this.scaling.scaleOnCpuUtilization('CpuScaling', {
      targetUtilizationPercent: p.targetCpuUtilizationPercent,
      scaleInCooldown: Duration.seconds(DEFAULTS.scaleInCooldownSeconds),
      scaleOutCooldown: Duration.seconds(DEFAULTS.scaleOutCooldownSeconds),
    });
    this.scaling.scaleOnRequestCount('RequestScaling', {
      requestsPerTarget: p.targetRequestsPerTarget,
      targetGroup: this.targetGroup,
      // Request count undercounts long SSE streams, so it would remove tasks that hold sessions; while sessions live on
      // one task (the memory store) this policy only scales out, and CPU decides when to scale in. With a shared store
      // a removed task's sessions continue on the others.
      disableScaleIn: !p.store.shared,
      scaleInCooldown: Duration.seconds(DEFAULTS.scaleInCooldownSeconds),
      scaleOutCooldown: Duration.seconds(DEFAULTS.scaleOutCooldownSeconds),
    });

    // --- alarms and dashboard ------------------------------------------------------------------------------------------
    const watched = { loadBalancer: this.loadBalancer, targetGroup: this.targetGroup, service: this.service, metricsServiceName: this.metricsServiceName };
    this.alarms = createAlarms(this, p, watched, props.alarmTopic);
    // The circuit breaker sees only tasks that fail to start or fail health checks; these see a deployment that
    // serves errors, and roll it back.
    this.service.enableDeploymentAlarms([this.alarms.http5xx.alarmName, this.alarms.unhealthyHosts.alarmName], {
      behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM,
    });
    this.dashboard = createDashboard(this, p, watched, this.alarms);

    // --- outputs -------------------------------------------------------------------------------------------------------
    new CfnOutput(this, 'McpUrl', { description: 'Register this URL with the agent platform', value: this.mcpUrl });
    new CfnOutput(this, 'ServiceName', { value: this.service.serviceName });
    new CfnOutput(this, 'ClusterName', { value: this.cluster.clusterName });
    new CfnOutput(this, 'LogGroupName', { value: this.logGroup.logGroupName });
    new CfnOutput(this, 'RepositoryUri', { value: this.repository.repositoryUri });
    new CfnOutput(this, 'LoadBalancerDnsName', { value: this.loadBalancer.loadBalancerDnsName });
    this.sessionSummary = sessionSummary(p.store);
    new CfnOutput(this, 'SessionStore', { description: 'What happens to a legacy MCP session (README: Sessions on AWS)', value: this.sessionSummary });
    if (cognitoAuth !== undefined) {
      new CfnOutput(this, 'OAuthIssuer', { description: 'The authorization server (Cognito user pool)', value: cognitoAuth.issuer });
      new CfnOutput(this, 'OAuthTokenUrl', { description: 'Agents get access tokens here (client-credentials grant)', value: cognitoAuth.tokenUrl });
      new CfnOutput(this, 'OAuthClientId', {
        description: 'The app client for agents; its secret: aws cognito-idp describe-user-pool-client',
        value: cognitoAuth.client.userPoolClientId,
      });
    }

    acknowledgeTaskFindings(this.taskDefinition);
  }
}

/** What happens to a legacy MCP session with each store: the truth the docs and the synth output tell. */
function sessionSummary(store: ResolvedSessionStore): string {
  if (!store.shared) {
    return (
      'memory: a legacy MCP session lives on the task that created it; a deploy, a scale-in or a crash of that task ends it, and the ' +
      'client must re-initialize. With more than one task only cookie-keeping clients stay on their task (ALB stickiness); modern ' +
      '(2026-07-28) requests are served by any task.'
    );
  }
  return (
    `redis (${store.kind === 'valkey' ? 'ElastiCache Serverless for Valkey' : 'an existing store'}): any task serves any legacy MCP ` +
    'session, so a deploy, a scale-in or a crash ends no session, for clients with or without cookies (a crash fails only the calls in ' +
    'flight on that task); stickiness only saves a store round trip.'
  );
}

import { CfnOutput, Duration, Names, Stack, Tags } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DEFAULTS } from './defaults.js';
import { McpImageRepository } from './mcp-image-repository.js';
import { createLoadBalancing } from './service/load-balancer.js';
import type { McpAlarms } from './service/monitoring.js';
import { createAlarms, createDashboard } from './service/monitoring.js';
import { addVpcEndpoints, allowTaskEgress, createSecurityGroups, createVpc, defaultTaskSubnets } from './service/network.js';
import type { McpFargateServiceProps } from './service/props.js';
import { CONSTRUCT_TAGS, resolveProps } from './service/props.js';
import { acknowledgeTaskFindings, createTask } from './service/task.js';

export type { McpEgress, McpEgressRule, McpFargateServiceProps, McpSecret, McpSessionStore, McpStickiness } from './service/props.js';

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
  readonly container: ecs.ContainerDefinition;
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
    const task = createTask(this, props, p, this.repository, this.metricsServiceName);
    this.logGroup = task.logGroup;
    this.taskDefinition = task.taskDefinition;
    this.container = task.container;

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
      // one task (the memory store) this policy only scales out, and CPU decides when to scale in.
      disableScaleIn: p.sessionStore === 'memory',
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

    acknowledgeTaskFindings(this.taskDefinition);
  }
}

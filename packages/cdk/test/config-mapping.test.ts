// The deployment config -> template mapping: one config where every value differs from its default, synthesized
// once through the real app (cdk-nag and the validator included), and each value asserted on the template.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CfnResource, TagManager } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { createMcpFargateApp } from '../src/app.js';
import { parseDeploymentConfig } from '../src/deployment-config.js';
import { ACCOUNT, DIGEST, REGION, TOPIC_ARN, tempDir } from './fixtures.js';

const ZONE_ID = 'Z0ABCDEFGHIJKLMNOPQRS';
const PREFIX_LIST = 'pl-0123456789abcdef0';

/** GIVEN a config whose every value differs from the default. */
const VARIANT = {
  serviceName: 'mcp-variant',
  account: ACCOUNT,
  region: REGION,
  image: { repositoryName: 'team/mcp-variant', digest: DIGEST, keepImages: 7 },
  task: { cpu: 1024, memoryMiB: 3072, architecture: 'x86_64' },
  scaling: { minTasks: 3, desiredTasks: 4, maxTasks: 9, targetCpuPercent: 45, requestsPerTarget: 250 },
  environment: { LOG_LEVEL: 'debug', KEEP_ALIVE_TIMEOUT_MS: '310000' },
  sessionStore: 'valkey',
  valkey: { maxDataStorageGb: 4, maxEcpuPerSecond: 3000 },
  server: {
    image: `210987654321.dkr.ecr.us-east-1.amazonaws.com/team/mcp-python@${DIGEST}`,
    port: 9000,
    path: '/v1/mcp',
    healthCheck: { command: ['CMD-SHELL', 'python -c "print(1)"'], intervalSeconds: 15, timeoutSeconds: 4, retries: 5, startPeriodSeconds: 60 },
    environment: { APP_MODE: 'production' },
    secrets: { APP_KEY: 'prod/app-key' },
    user: '999:999',
    readonlyRootFilesystem: false,
  },
  auth: { mode: 'oauth', cognito: { domainPrefix: 'variant-mcp', scopes: ['tools'] } },
  waf: { rateLimitPer5Minutes: 3000 },
  secrets: { API_KEY: { secret: 'prod/api', format: 'string' } },
  loadBalancer: {
    scheme: 'internet-facing',
    domainName: 'mcp.variant.example.com',
    hostedZone: { id: ZONE_ID, name: 'variant.example.com' },
    allowedCidrs: ['192.0.2.0/24'],
    allowedPrefixListIds: [PREFIX_LIST],
    idleTimeoutSeconds: 300,
    httpRedirect: true,
  },
  stickiness: { type: 'lb-cookie', durationSeconds: 7200 },
  network: { egress: 'nat', maxAzs: 3, natGateways: 1, egressRules: [{ prefixListId: 'pl-0fedcba9876543210', port: 6379, description: 'Valkey' }] },
  deletionProtection: false,
  containerInsights: 'enhanced',
  tags: { team: 'mcp', 'cost-center': '42' },
  logs: { retentionDays: 90 },
  alarms: { snsTopicArn: TOPIC_ARN, http5xxPerMinute: 12, latencyP99Seconds: 2.5, cpuPercent: 70, memoryPercent: 75 },
};

function only(template: Template, type: string, props: Record<string, unknown> = {}) {
  const found = Object.values(template.findResources(type, { Properties: Match.objectLike(props) }));
  assert.equal(found.length, 1, `expected exactly one ${type} like ${JSON.stringify(props)}`);
  return found[0] as { Properties: Record<string, any> };
}

function attributes(list: { Key: string; Value: string }[]): Record<string, string> {
  return Object.fromEntries(list.map((a) => [a.Key, a.Value]));
}

describe('GIVEN a deployment config with non-default values WHEN synthesized', () => {
  // WHEN: synthesized once through the real app (synth is the slow part).
  const built = createMcpFargateApp(parseDeploymentConfig(VARIANT, 'variant config'), { outdir: tempDir('mapping') });
  const template = Template.fromStack(built.serviceStack);
  const repository = Template.fromStack(built.repositoryStack!);
  const container = () => only(template, 'AWS::ECS::TaskDefinition').Properties.ContainerDefinitions[0];

  test('THEN task.cpu, task.memoryMiB and task.architecture x86_64 reach the task definition', () => {
    only(template, 'AWS::ECS::TaskDefinition', {
      Cpu: '1024',
      Memory: '3072',
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
    });
  });

  test('THEN environment and secrets reach the container', () => {
    const env = Object.fromEntries(container().Environment.map((e: { Name: string; Value: string }) => [e.Name, e.Value]));
    assert.equal(env.LOG_LEVEL, 'debug');
    assert.deepEqual(
      container().Secrets.map((s: { Name: string }) => s.Name),
      ['API_KEY'],
    );
  });

  test('THEN logs.retentionDays sets the container log group retention', () => {
    const group = container().LogConfiguration.Options['awslogs-group'];
    const logicalId = group.Ref as string;
    assert.equal(template.toJSON().Resources[logicalId].Properties.RetentionInDays, 90);
  });

  test('THEN scaling.minTasks / desiredTasks / maxTasks and the targets reach the service and its scaling policies', () => {
    only(template, 'AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 3, MaxCapacity: 9 });
    assert.equal(only(template, 'AWS::ECS::Service').Properties.DesiredCount, 4);
    const policies = Object.values(template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy')).map(
      (p) => p.Properties.TargetTrackingScalingPolicyConfiguration,
    );
    const target = (metric: string) => policies.find((p) => p.PredefinedMetricSpecification.PredefinedMetricType === metric)?.TargetValue;
    assert.equal(target('ECSServiceAverageCPUUtilization'), 45);
    assert.equal(target('ALBRequestCountPerTarget'), 250);
  });

  test('THEN loadBalancer.idleTimeoutSeconds sets the ALB idle timeout and the derived SSE heartbeat; an environment keep-alive above it is kept', () => {
    const lb = only(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internet-facing' }).Properties;
    assert.equal(attributes(lb.LoadBalancerAttributes)['idle_timeout.timeout_seconds'], '300');
    const env = Object.fromEntries(container().Environment.map((e: { Name: string; Value: string }) => [e.Name, e.Value]));
    assert.deepEqual([env.KEEP_ALIVE_TIMEOUT_MS, env.SSE_HEARTBEAT_MS, env.SESSION_STORE], ['310000', '20000', 'redis']);
  });

  test('THEN stickiness sets the target group cookie duration', () => {
    const tg = only(template, 'AWS::ElasticLoadBalancingV2::TargetGroup').Properties;
    const attrs = attributes(tg.TargetGroupAttributes);
    assert.equal(attrs['stickiness.enabled'], 'true');
    assert.equal(attrs['stickiness.type'], 'lb_cookie');
    assert.equal(attrs['stickiness.lb_cookie.duration_seconds'], '7200');
  });

  test('THEN loadBalancer.httpRedirect adds the port 80 redirect', () => {
    const http = only(template, 'AWS::ElasticLoadBalancingV2::Listener', { Port: 80 }).Properties;
    assert.equal(http.DefaultActions[0].Type, 'redirect');
  });

  test('THEN network.egressRules open exactly that port to that prefix list', () => {
    const [tasksSgId] = Object.keys(
      template.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: Match.stringLikeRegexp('^MCP tasks') } }),
    );
    only(template, 'AWS::EC2::SecurityGroupEgress', {
      GroupId: { 'Fn::GetAtt': [tasksSgId, 'GroupId'] },
      DestinationPrefixListId: 'pl-0fedcba9876543210',
      Description: 'Valkey',
      FromPort: 6379,
      ToPort: 6379,
      IpProtocol: 'tcp',
    });
  });

  test('THEN deletionProtection false turns off the load balancer deletion protection and both stacks termination protection', () => {
    const lb = only(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer').Properties;
    assert.equal(attributes(lb.LoadBalancerAttributes)['deletion_protection.enabled'], 'false');
    assert.deepEqual([built.serviceStack.terminationProtection, built.repositoryStack?.terminationProtection], [false, false]);
  });

  test('THEN containerInsights enhanced reaches the cluster', () => {
    only(template, 'AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }] });
  });

  test('THEN tags reach every taggable resource of both stacks, beside the service and stack tags', () => {
    for (const stack of [built.serviceStack, built.repositoryStack!]) {
      const expected = { 'mcp-fargate:service': 'mcp-variant', 'mcp-fargate:stack': stack.stackName, team: 'mcp', 'cost-center': '42' };
      const taggable = stack.node.findAll().filter((c) => CfnResource.isCfnResource(c) && TagManager.isTaggable(c)) as unknown as {
        node: { path: string };
        tags: TagManager;
      }[];
      assert.ok(taggable.length > 0, stack.stackName);
      for (const resource of taggable) {
        const tags = resource.tags.tagValues();
        assert.deepEqual(Object.fromEntries(Object.keys(expected).map((key) => [key, tags[key]])), expected, resource.node.path);
      }
    }
  });

  test('THEN allowedCidrs and allowedPrefixListIds are the only HTTPS sources of the ALB', () => {
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroup'))
      .flatMap((sg) => (sg.Properties.SecurityGroupIngress ?? []) as Record<string, unknown>[])
      .concat(Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties as Record<string, unknown>))
      .filter((rule) => rule.FromPort === 443);
    assert.deepEqual(ingress.map((r) => r.CidrIp ?? r.SourcePrefixListId).sort(), ['192.0.2.0/24', PREFIX_LIST]);
  });

  test('THEN loadBalancer.hostedZone gives an alias record and a DNS-validated certificate for domainName', () => {
    only(template, 'AWS::Route53::RecordSet', { Name: 'mcp.variant.example.com.', Type: 'A', HostedZoneId: ZONE_ID });
    only(template, 'AWS::CertificateManager::Certificate', {
      DomainName: 'mcp.variant.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'mcp.variant.example.com', HostedZoneId: ZONE_ID }],
    });
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    assert.equal(Object.entries(outputs).find(([key]) => key.startsWith('McpMcpUrl'))?.[1].Value, 'https://mcp.variant.example.com/mcp');
  });

  test('THEN network.maxAzs and natGateways shape the new VPC', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    const service = only(template, 'AWS::ECS::Service').Properties;
    assert.equal(service.NetworkConfiguration.AwsvpcConfiguration.Subnets.length, 3);
  });

  test('THEN the alarm thresholds are the configured ones and notify alarms.snsTopicArn', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const threshold = (id: string) => {
      const found = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).filter(([logicalId]) => logicalId.includes(id));
      assert.equal(found.length, 1, id);
      return found[0]![1].Properties.Threshold;
    };
    assert.equal(threshold('Http5xxAlarm'), 12);
    assert.equal(threshold('LatencyP99Alarm'), 2.5);
    assert.equal(threshold('CpuAlarm'), 70);
    assert.equal(threshold('MemoryAlarm'), 75);
    for (const alarm of alarms) assert.deepEqual(alarm.AlarmActions, [TOPIC_ARN]);
  });

  test('THEN image.repositoryName and keepImages shape the repository stack, and the service pulls by digest', () => {
    const repo = only(repository, 'AWS::ECR::Repository', { RepositoryName: 'team/mcp-variant' }).Properties;
    const rules = JSON.parse(repo.LifecyclePolicy.LifecyclePolicyText).rules as { selection: { countNumber: number } }[];
    assert.deepEqual(
      rules.map((r) => r.selection.countNumber),
      [14, 7],
    );
    assert.match(JSON.stringify(only(template, 'AWS::ECS::TaskDefinition').Properties.ContainerDefinitions[0].Image), new RegExp(`team/mcp-variant@${DIGEST}`));
  });

  test('THEN server (a sidecar by ECR URI) becomes the server container: its repository in that account and region, port, path, health check, user', () => {
    const definitions = only(template, 'AWS::ECS::TaskDefinition').Properties.ContainerDefinitions as Record<string, any>[];
    const server = definitions.find((c) => c.Name === 'server');
    assert.ok(server !== undefined);
    assert.match(JSON.stringify(server.Image), new RegExp(`210987654321\\.dkr\\.ecr\\.us-east-1\\.[^/]*/team/mcp-python@${DIGEST}`));
    assert.deepEqual(server.HealthCheck, { Command: ['CMD-SHELL', 'python -c "print(1)"'], Interval: 15, Timeout: 4, Retries: 5, StartPeriod: 60 });
    assert.deepEqual([server.User, server.ReadonlyRootFilesystem, server.Environment], ['999:999', false, [{ Name: 'APP_MODE', Value: 'production' }]]);
    assert.match(JSON.stringify(server.Secrets), /secret:prod\/app-key"/);
    const env = Object.fromEntries(container().Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]));
    assert.equal(env.MCP_SERVER_URL, 'http://127.0.0.1:9000/v1/mcp');
    assert.match(JSON.stringify(template.findResources('AWS::IAM::Policy')), /arn:aws:ecr:us-east-1:210987654321:repository\/team\/mcp-python/);
  });

  test('THEN sessionStore valkey and its limits make the cache', () => {
    only(template, 'AWS::ElastiCache::ServerlessCache', { CacheUsageLimits: { DataStorage: { Maximum: 4, Unit: 'GB' }, ECPUPerSecond: { Maximum: 3000 } } });
  });

  test('THEN auth cognito with its domain prefix and scopes makes the user pool', () => {
    only(template, 'AWS::Cognito::UserPoolDomain', { Domain: 'variant-mcp' });
    only(template, 'AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'https://mcp.variant.example.com/mcp',
      Scopes: [Match.objectLike({ ScopeName: 'tools' })],
    });
  });

  test('THEN waf with its rate limit makes the web ACL', () => {
    const acl = only(template, 'AWS::WAFv2::WebACL').Properties;
    assert.equal(acl.Rules[0].Statement.RateBasedStatement.Limit, 3000);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CERTIFICATE_ARN, DIGEST, ENV, EXISTING_VPC_CONTEXT, EXISTING_VPC_ID, KMS_KEY_ARN, SECRET_COMPLETE_ARN, TOPIC_ARN, testApp } from '../test/fixtures.js';
import { GATEWAY_METRICS } from './gateway-metrics.js';
import { McpFargateService } from './mcp-fargate-service.js';

// Three stacks, each synthesized once and shared by the assertions below (synth is the slow part).

/** GIVEN the defaults: a new repository and VPC with NAT, public HTTPS with a DNS-validated certificate. */
function publicStack() {
  const app = testApp();
  const stack = new Stack(app, 'Public', { env: ENV });
  const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' });
  const mcp = new McpFargateService(stack, 'Mcp', {
    serviceName: 'mcp-github',
    imageDigest: DIGEST,
    repositoryName: 'mcp-github',
    domainName: 'mcp.example.com',
    hostedZone: zone,
    environment: { MCP_SERVER: '/app/server/index.js', LOG_LEVEL: 'info' },
    secrets: {
      GITHUB_TOKEN: { secret: 'prod/github', jsonKey: 'token' },
      API_KEY: { secret: SECRET_COMPLETE_ARN, kmsKeyArn: KMS_KEY_ARN },
    },
    allowedCidrs: ['203.0.113.0/24', '2001:db8::/32'],
    allowedPrefixListIds: ['pl-0123456789abcdef0'],
    alarmTopic: sns.Topic.fromTopicArn(stack, 'Topic', TOPIC_ARN),
  });
  return { stack, mcp, template: Template.fromStack(stack) };
}

/** GIVEN an internal ALB in a VPC with endpoints only, an existing repository and application-cookie stickiness. */
function internalStack() {
  const app = testApp();
  const stack = new Stack(app, 'Internal', { env: ENV });
  const mcp = new McpFargateService(stack, 'Mcp', {
    imageDigest: DIGEST,
    repository: ecr.Repository.fromRepositoryName(stack, 'Repo', 'team/mcp-existing'),
    certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERTIFICATE_ARN),
    internetFacing: false,
    egress: 'vpc-endpoints',
    stickiness: { type: 'app-cookie', cookieName: 'mcp-session', duration: Duration.hours(2) },
    cpu: 1024,
    memoryLimitMiB: 4096,
    minTasks: 1,
    maxTasks: 3,
  });
  return { stack, mcp, template: Template.fromStack(stack) };
}

/** GIVEN plain HTTP for testing, no stickiness, and an existing VPC found by id. */
function httpStack() {
  const app = testApp(EXISTING_VPC_CONTEXT);
  const stack = new Stack(app, 'Http', { env: ENV });
  const mcp = new McpFargateService(stack, 'Mcp', {
    imageDigest: DIGEST,
    vpc: ec2.Vpc.fromLookup(stack, 'Vpc', { vpcId: EXISTING_VPC_ID }),
    insecureHttpForTesting: true,
    stickiness: { type: 'off' },
  });
  return { stack, mcp, template: Template.fromStack(stack) };
}

const publicCase = publicStack();
const internalCase = internalStack();
const httpCase = httpStack();

function only(template: Template, type: string, props: Record<string, unknown> = {}) {
  const found = Object.values(template.findResources(type, { Properties: Match.objectLike(props) }));
  assert.equal(found.length, 1, `expected exactly one ${type}`);
  return found[0] as { Properties: Record<string, any> };
}

function container(template: Template): Record<string, any> {
  return only(template, 'AWS::ECS::TaskDefinition').Properties.ContainerDefinitions[0];
}

describe('1. ECR repository', () => {
  test('WHEN the construct creates it THEN tags are immutable, pushes are scanned, and the last 20 images are kept', () => {
    const repo = only(publicCase.template, 'AWS::ECR::Repository');
    assert.equal(repo.Properties.RepositoryName, 'mcp-github');
    assert.equal(repo.Properties.ImageTagMutability, 'IMMUTABLE');
    assert.deepEqual(repo.Properties.ImageScanningConfiguration, { ScanOnPush: true });
    const policy = JSON.parse(repo.Properties.LifecyclePolicy.LifecyclePolicyText);
    assert.deepEqual(policy.rules[0].selection, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 20 });
  });

  test('WHEN an existing repository is given by name THEN none is created and the image comes from it', () => {
    internalCase.template.resourceCountIs('AWS::ECR::Repository', 0);
    assert.match(JSON.stringify(container(internalCase.template).Image), /team\/mcp-existing@sha256:/);
  });
});

describe('2. image by digest', () => {
  test('THEN the task definition references repository@sha256:<digest>', () => {
    const image = JSON.stringify(container(publicCase.template).Image);
    assert.ok(image.includes(`@${DIGEST}`), image);
    assert.doesNotMatch(image, /:latest/);
  });
});

describe('3. task definition', () => {
  test('THEN it is ARM64 with 512 CPU / 1024 MiB by default, and the given size otherwise', () => {
    const task = only(publicCase.template, 'AWS::ECS::TaskDefinition').Properties;
    assert.deepEqual(task.RuntimePlatform, { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' });
    assert.equal(task.Cpu, '512');
    assert.equal(task.Memory, '1024');
    assert.deepEqual(task.RequiresCompatibilities, ['FARGATE']);
    const sized = only(internalCase.template, 'AWS::ECS::TaskDefinition').Properties;
    assert.equal(sized.Cpu, '1024');
    assert.equal(sized.Memory, '4096');
  });

  test('THEN the container listens on 8080 and health-checks /healthz with node, not curl', () => {
    const c = container(publicCase.template);
    assert.deepEqual(c.PortMappings, [{ ContainerPort: 8080, Name: 'http', Protocol: 'tcp' }]);
    const command: string[] = c.HealthCheck.Command;
    assert.deepEqual(command.slice(0, 3), ['CMD', 'node', '-e']);
    assert.match(command[3] ?? '', /^fetch\('http:\/\/127\.0\.0\.1:8080\/healthz'/);
    assert.ok(!command.join(' ').includes('curl'));
    assert.deepEqual(
      { Interval: c.HealthCheck.Interval, Timeout: c.HealthCheck.Timeout, Retries: c.HealthCheck.Retries, StartPeriod: c.HealthCheck.StartPeriod },
      { Interval: 10, Timeout: 5, Retries: 3, StartPeriod: 30 },
    );
    assert.deepEqual(
      c.Environment.filter((e: { Name: string }) => e.Name === 'PORT' || e.Name === 'HOST'),
      [
        { Name: 'PORT', Value: '8080' },
        { Name: 'HOST', Value: '0.0.0.0' },
      ],
    );
  });

  test('THEN it runs as a non-root user on a read-only root filesystem with a writable /tmp volume', () => {
    const task = only(publicCase.template, 'AWS::ECS::TaskDefinition').Properties;
    const c = container(publicCase.template);
    assert.equal(c.User, '1000:1000');
    assert.equal(c.ReadonlyRootFilesystem, true);
    assert.deepEqual(task.Volumes, [{ Name: 'tmp' }]);
    assert.deepEqual(c.MountPoints, [{ ContainerPath: '/tmp', ReadOnly: false, SourceVolume: 'tmp' }]);
    assert.equal(c.LinuxParameters.InitProcessEnabled, true);
  });

  test('THEN stopTimeout is 30 s and logs go NON_BLOCKING with a 25 MiB buffer to a log group with retention', () => {
    const c = container(publicCase.template);
    assert.equal(c.StopTimeout, 30);
    assert.equal(c.LogConfiguration.LogDriver, 'awslogs');
    assert.equal(c.LogConfiguration.Options.mode, 'non-blocking');
    assert.equal(c.LogConfiguration.Options['max-buffer-size'], `${25 * 1024 * 1024}b`);
    const [logGroupId] = Object.keys(publicCase.template.findResources('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 30 } }));
    assert.ok(logGroupId !== undefined);
    const logGroupRef = c.LogConfiguration.Options['awslogs-group'].Ref as string;
    assert.equal(publicCase.template.toJSON().Resources[logGroupRef].Properties.RetentionInDays, 30);
  });
});

describe('4. secrets', () => {
  const executionStatements = () => {
    const roleRef = only(publicCase.template, 'AWS::ECS::TaskDefinition').Properties.ExecutionRoleArn['Fn::GetAtt'][0];
    const policies = Object.values(publicCase.template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(roleRef));
    assert.equal(policies.length, 1);
    return (policies[0] as { Properties: { PolicyDocument: { Statement: any[] } } }).Properties.PolicyDocument.Statement;
  };

  test('THEN each secret becomes a task definition secret, with the JSON key in valueFrom', () => {
    const c = container(publicCase.template);
    assert.deepEqual(c.Secrets, [
      { Name: 'GITHUB_TOKEN', ValueFrom: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/github:token::' },
      { Name: 'API_KEY', ValueFrom: SECRET_COMPLETE_ARN },
    ]);
    const names = c.Environment.map((e: { Name: string }) => e.Name);
    assert.ok(!names.includes('GITHUB_TOKEN') && !names.includes('API_KEY'));
  });

  test('THEN the execution role may only GetSecretValue on exactly those secrets', () => {
    const statements = executionStatements().filter((s) => JSON.stringify(s.Action).includes('secretsmanager'));
    assert.equal(statements.length, 1);
    assert.equal(statements[0].Action, 'secretsmanager:GetSecretValue');
    assert.deepEqual(statements[0].Resource, ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/github-??????', SECRET_COMPLETE_ARN]);
  });

  test('THEN a customer key adds kms:Decrypt on that key, only via Secrets Manager', () => {
    const kms = executionStatements().filter((s) => JSON.stringify(s.Action).includes('kms:'));
    assert.equal(kms.length, 1);
    assert.equal(kms[0].Action, 'kms:Decrypt');
    assert.equal(kms[0].Resource, KMS_KEY_ARN);
    assert.ok(JSON.stringify(kms[0].Condition).includes('kms:ViaService'));
    const internalStatements = JSON.stringify(internalCase.template.findResources('AWS::IAM::Policy'));
    assert.ok(!internalStatements.includes('kms:'));
  });
});

describe('5. cluster and service', () => {
  test('THEN the cluster has Container Insights', () => {
    only(publicCase.template, 'AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
  });

  test('THEN the service runs in private subnets without a public IP, with circuit breaker rollback, 100/200 and 30 s grace', () => {
    const service = only(publicCase.template, 'AWS::ECS::Service').Properties;
    assert.equal(service.LaunchType, 'FARGATE');
    assert.equal(service.ServiceName, 'mcp-github');
    assert.equal(service.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp, 'DISABLED');
    const deployment = service.DeploymentConfiguration;
    assert.deepEqual(deployment.DeploymentCircuitBreaker, { Enable: true, Rollback: true });
    assert.equal(deployment.MaximumPercent, 200);
    assert.equal(deployment.MinimumHealthyPercent, 100);
    assert.equal(service.HealthCheckGracePeriodSeconds, 30);
    const subnets = JSON.stringify(service.NetworkConfiguration.AwsvpcConfiguration.Subnets);
    assert.match(subnets, /PrivateSubnet/);
    assert.doesNotMatch(subnets, /PublicSubnet/);
  });
});

describe('6. load balancer', () => {
  test('THEN it is internet-facing or internal as asked, with a 120 s idle timeout and access logs', () => {
    const lb = only(publicCase.template, 'AWS::ElasticLoadBalancingV2::LoadBalancer').Properties;
    assert.equal(lb.Scheme, 'internet-facing');
    const attributes = Object.fromEntries(lb.LoadBalancerAttributes.map((a: { Key: string; Value: unknown }) => [a.Key, a.Value]));
    assert.equal(attributes['idle_timeout.timeout_seconds'], '120');
    assert.equal(attributes['access_logs.s3.enabled'], 'true');
    assert.equal(attributes['routing.http.drop_invalid_header_fields.enabled'], 'true');
    assert.equal(only(internalCase.template, 'AWS::ElasticLoadBalancingV2::LoadBalancer').Properties.Scheme, 'internal');
  });

  test('THEN access logs go to an SSE-S3 encrypted, private bucket that denies non-TLS requests', () => {
    const bucket = only(publicCase.template, 'AWS::S3::Bucket').Properties;
    assert.deepEqual(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault, { SSEAlgorithm: 'AES256' });
    assert.deepEqual(bucket.PublicAccessBlockConfiguration, {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const policy = JSON.stringify(only(publicCase.template, 'AWS::S3::BucketPolicy').Properties.PolicyDocument);
    assert.match(policy, /"aws:SecureTransport":"false"/);
  });

  test('THEN HTTPS serves the MCP with the certificate and a TLS 1.3 policy, and HTTP redirects to it', () => {
    const https = only(publicCase.template, 'AWS::ElasticLoadBalancingV2::Listener', { Port: 443 }).Properties;
    assert.equal(https.Protocol, 'HTTPS');
    assert.equal(https.SslPolicy, 'ELBSecurityPolicy-TLS13-1-2-2021-06');
    assert.equal(https.Certificates.length, 1);
    assert.equal(https.DefaultActions[0].Type, 'forward');
    const http = only(publicCase.template, 'AWS::ElasticLoadBalancingV2::Listener', { Port: 80 }).Properties;
    assert.deepEqual(http.DefaultActions, [{ Type: 'redirect', RedirectConfig: { Port: '443', Protocol: 'HTTPS', StatusCode: 'HTTP_301' } }]);
    const internalHttps = only(internalCase.template, 'AWS::ElasticLoadBalancingV2::Listener', { Port: 443 }).Properties;
    assert.deepEqual(internalHttps.Certificates, [{ CertificateArn: CERTIFICATE_ARN }]);
  });

  test('WHEN insecureHttpForTesting is set THEN port 80 forwards, no HTTPS listener exists, and synth warns', () => {
    httpCase.template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    const http = only(httpCase.template, 'AWS::ElasticLoadBalancingV2::Listener').Properties;
    assert.equal(http.Port, 80);
    assert.equal(http.DefaultActions[0].Type, 'forward');
    Annotations.fromStack(httpCase.stack).hasWarning('/Http/Mcp', Match.stringLikeRegexp('plain HTTP'));
    assert.equal(Annotations.fromStack(publicCase.stack).findWarning('*', Match.stringLikeRegexp('plain HTTP')).length, 0);
  });

  test('THEN only the allowed CIDRs and prefix lists reach the load balancer', () => {
    const sg = only(publicCase.template, 'AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('^MCP load balancer') }).Properties;
    const [sgId] = Object.keys(
      publicCase.template.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: Match.stringLikeRegexp('^MCP load balancer') } }),
    );
    const separate = Object.values(publicCase.template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((r) => r.Properties)
      .filter((p) => p.GroupId['Fn::GetAtt']?.[0] === sgId);
    const ingress = [...(sg.SecurityGroupIngress as Record<string, unknown>[]), ...separate];
    const sources = ingress.map((rule) => rule.CidrIp ?? rule.CidrIpv6 ?? rule.SourcePrefixListId);
    assert.deepEqual([...new Set(sources)].sort(), ['2001:db8::/32', '203.0.113.0/24', 'pl-0123456789abcdef0']);
    assert.deepEqual([...new Set(ingress.map((rule) => rule.FromPort))].sort(), [443, 80]);
    assert.ok(!JSON.stringify(ingress).includes('0.0.0.0/0'));
    // The load balancer may only talk to the tasks.
    assert.deepEqual(sg.SecurityGroupEgress, undefined);
    const egress = only(publicCase.template, 'AWS::EC2::SecurityGroupEgress').Properties;
    assert.equal(egress.FromPort, 8080);
  });

  test('WHEN no CIDRs are given THEN an internal load balancer admits only its VPC, and a public one anyone', () => {
    const internalSg = only(internalCase.template, 'AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('^MCP load balancer') });
    assert.deepEqual([...new Set((internalSg.Properties.SecurityGroupIngress as { CidrIp: string }[]).map((r) => r.CidrIp))], ['10.0.0.0/16']);
    const httpSg = only(httpCase.template, 'AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('^MCP load balancer') });
    assert.deepEqual(httpSg.Properties.SecurityGroupIngress, [
      { CidrIp: '0.0.0.0/0', Description: 'MCP from anywhere', FromPort: 80, IpProtocol: 'tcp', ToPort: 80 },
    ]);
  });

  test('THEN only the load balancer reaches the tasks, on 8080', () => {
    const taskSg = only(publicCase.template, 'AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('^MCP tasks') });
    assert.equal(taskSg.Properties.SecurityGroupIngress, undefined);
    const [taskSgId] = Object.keys(
      publicCase.template.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: Match.stringLikeRegexp('^MCP tasks') } }),
    );
    const rules = Object.values(publicCase.template.findResources('AWS::EC2::SecurityGroupIngress')).filter(
      (r) => r.Properties.GroupId['Fn::GetAtt']?.[0] === taskSgId,
    );
    assert.equal(rules.length, 1);
    const ingress = rules[0]?.Properties;
    assert.equal(ingress.FromPort, 8080);
    assert.equal(ingress.ToPort, 8080);
    assert.ok(JSON.stringify(ingress.SourceSecurityGroupId).includes('LoadBalancerSecurityGroup'));
  });
});

describe('7. target group', () => {
  const attributesOf = (template: Template) =>
    Object.fromEntries(
      (only(template, 'AWS::ElasticLoadBalancingV2::TargetGroup').Properties.TargetGroupAttributes as { Key: string; Value: string }[]).map((a) => [
        a.Key,
        a.Value,
      ]),
    );

  test('THEN it targets 8080 and health-checks /healthz every 10 s (5 s timeout, 2 healthy, 3 unhealthy, 200)', () => {
    only(publicCase.template, 'AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8080,
      Protocol: 'HTTP',
      TargetType: 'ip',
      HealthCheckPath: '/healthz',
      HealthCheckIntervalSeconds: 10,
      HealthCheckTimeoutSeconds: 5,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 3,
      Matcher: { HttpCode: '200' },
    });
    assert.equal(attributesOf(publicCase.template)['deregistration_delay.timeout_seconds'], '60');
  });

  test('THEN stickiness is a load-balancer cookie by default, an application cookie, or off', () => {
    const lb = attributesOf(publicCase.template);
    assert.deepEqual([lb['stickiness.enabled'], lb['stickiness.type'], lb['stickiness.lb_cookie.duration_seconds']], ['true', 'lb_cookie', '86400']);
    const app = attributesOf(internalCase.template);
    assert.deepEqual(
      [app['stickiness.enabled'], app['stickiness.type'], app['stickiness.app_cookie.cookie_name'], app['stickiness.app_cookie.duration_seconds']],
      ['true', 'app_cookie', 'mcp-session', '7200'],
    );
    assert.notEqual(attributesOf(httpCase.template)['stickiness.enabled'], 'true');
  });
});

describe('8. egress', () => {
  test('WHEN egress is nat THEN private subnets route through one NAT gateway per AZ', () => {
    publicCase.template.resourceCountIs('AWS::EC2::NatGateway', 2);
    publicCase.template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    publicCase.template.hasResourceProperties('AWS::EC2::Route', { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: Match.anyValue() });
    publicCase.template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL' });
  });

  test('WHEN egress is vpc-endpoints THEN there is no NAT, and S3, ECR, logs and Secrets Manager endpoints serve the tasks', () => {
    const t = internalCase.template;
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    t.resourceCountIs('AWS::EC2::InternetGateway', 0);
    const endpoints = Object.values(t.findResources('AWS::EC2::VPCEndpoint')).map((e) => JSON.stringify(e.Properties.ServiceName));
    const names = endpoints.map((n) => /\.(s3|ecr\.api|ecr\.dkr|logs|secretsmanager)"/.exec(n)?.[1]).sort();
    assert.deepEqual(names, ['ecr.api', 'ecr.dkr', 'logs', 's3', 'secretsmanager']);
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
    const subnets = JSON.stringify(only(t, 'AWS::ECS::Service').Properties.NetworkConfiguration);
    assert.match(subnets, /PrivateSubnet/);
    t.resourceCountIs('AWS::EC2::Route', 0);
  });

  test('WHEN an existing VPC is given THEN none is created and the tasks use its private subnets', () => {
    httpCase.template.resourceCountIs('AWS::EC2::VPC', 0);
    const service = only(httpCase.template, 'AWS::ECS::Service').Properties;
    assert.deepEqual(service.NetworkConfiguration.AwsvpcConfiguration.Subnets, ['subnet-0bbbbbbbbbbbbbbb1', 'subnet-0bbbbbbbbbbbbbbb2']);
  });
});

describe('9. autoscaling', () => {
  test('THEN it scales between min and max tasks on CPU and on requests per target, scaling in after 300 s', () => {
    only(publicCase.template, 'AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 4 });
    only(internalCase.template, 'AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 1, MaxCapacity: 3 });
    const policies = Object.values(publicCase.template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy')).map(
      (p) => p.Properties.TargetTrackingScalingPolicyConfiguration,
    );
    const byMetric = Object.fromEntries(policies.map((p) => [p.PredefinedMetricSpecification.PredefinedMetricType, p]));
    assert.deepEqual(Object.keys(byMetric).sort(), ['ALBRequestCountPerTarget', 'ECSServiceAverageCPUUtilization']);
    assert.equal(byMetric.ECSServiceAverageCPUUtilization.TargetValue, 60);
    assert.equal(byMetric.ALBRequestCountPerTarget.TargetValue, 1000);
    for (const policy of policies) assert.equal(policy.ScaleInCooldown, 300);
    // No desiredCount given: the template leaves DesiredCount out, so a deployment never resets what autoscaling chose.
    assert.equal('DesiredCount' in only(publicCase.template, 'AWS::ECS::Service').Properties, false);
    assert.equal('DesiredCount' in only(internalCase.template, 'AWS::ECS::Service').Properties, false);
  });
});

describe('10. alarms and dashboard', () => {
  const alarms = () => Object.values(publicCase.template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);

  test('THEN there are alarms on 5xx, unhealthy hosts, p99 latency, CPU and memory, notifying the topic', () => {
    const all = alarms();
    assert.equal(all.length, 5);
    const text = all.map((a) => JSON.stringify(a));
    assert.ok(text.some((a) => a.includes('HTTPCode_ELB_5XX_Count') && a.includes('HTTPCode_Target_5XX_Count')));
    assert.ok(text.some((a) => a.includes('UnHealthyHostCount')));
    assert.ok(all.some((a) => a.MetricName === 'TargetResponseTime' && a.ExtendedStatistic === 'p99' && a.Threshold === 5));
    assert.ok(all.some((a) => a.MetricName === 'CPUUtilization' && a.Threshold === 85));
    assert.ok(all.some((a) => a.MetricName === 'MemoryUtilization' && a.Threshold === 85));
    for (const alarm of all) {
      assert.deepEqual(alarm.AlarmActions, [TOPIC_ARN]);
      assert.deepEqual(alarm.OKActions, [TOPIC_ARN]);
    }
  });

  test('THEN the dashboard shows the alarms with the gateway EMF metrics (sessions, requests and errors by method, latency)', () => {
    const body = JSON.stringify(only(publicCase.template, 'AWS::CloudWatch::Dashboard').Properties.DashboardBody);
    for (const name of [GATEWAY_METRICS.liveSessions, GATEWAY_METRICS.requests, GATEWAY_METRICS.errors, GATEWAY_METRICS.latencyMs]) {
      assert.ok(body.includes(name), `dashboard shows ${name}`);
    }
    assert.ok(body.includes(`{${GATEWAY_METRICS.namespace},${GATEWAY_METRICS.serviceDimension},${GATEWAY_METRICS.methodDimension}}`));
    assert.ok(body.includes('mcp-github'));
    assert.ok(body.includes('alarm'), 'alarm status widget');
    assert.equal((body.match(/Http5xxAlarm|UnhealthyHostsAlarm|LatencyP99Alarm|CpuAlarm|MemoryAlarm/g) ?? []).length >= 5, true);
  });

  test('THEN the container is told to emit EMF under its service name', () => {
    const env = Object.fromEntries(container(publicCase.template).Environment.map((e: { Name: string; Value: string }) => [e.Name, e.Value]));
    assert.equal(env.METRICS, 'emf');
    assert.equal(env.METRICS_SERVICE, 'mcp-github');
  });
});

describe('11. outputs', () => {
  test('THEN the MCP URL, service, cluster, log group and repository URI are outputs', () => {
    const outputs = publicCase.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const byName = (name: string) => Object.entries(outputs).find(([key]) => key.startsWith(`Mcp${name}`))?.[1].Value;
    assert.equal(byName('McpUrl'), 'https://mcp.example.com/mcp');
    for (const name of ['ServiceName', 'ClusterName', 'LogGroupName', 'RepositoryUri']) assert.ok(byName(name) !== undefined, name);
    const internalOutputs = internalCase.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const url = JSON.stringify(Object.entries(internalOutputs).find(([key]) => key.startsWith('McpMcpUrl'))?.[1].Value);
    assert.match(url, /"https:\/\/",\{"Fn::GetAtt":\["McpLoadBalancer[0-9A-F]+","DNSName"\]\},"\/mcp"/);
    assert.equal(httpCase.mcp.mcpUrl.startsWith('http://'), true);
  });
});

describe('12. custom domain', () => {
  test('WHEN a hosted zone is given THEN an alias record and a DNS-validated certificate are created', () => {
    only(publicCase.template, 'AWS::Route53::RecordSet', {
      Name: 'mcp.example.com.',
      Type: 'A',
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      AliasTarget: Match.objectLike({ DNSName: Match.anyValue() }),
    });
    only(publicCase.template, 'AWS::CertificateManager::Certificate', {
      DomainName: 'mcp.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'mcp.example.com', HostedZoneId: 'Z0123456789ABCDEFGHIJ' }],
    });
    internalCase.template.resourceCountIs('AWS::Route53::RecordSet', 0);
  });
});

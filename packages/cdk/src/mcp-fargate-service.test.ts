import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CfnResource, Duration, Stack, TagManager } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  ACCOUNT,
  AUTH_KEYS_ARN,
  CERTIFICATE_ARN,
  DIGEST,
  ENV,
  EXISTING_VPC_CONTEXT,
  EXISTING_VPC_ID,
  KMS_KEY_ARN,
  NO_AUTH,
  S3_PREFIX_LIST_CONTEXT,
  S3_PREFIX_LIST_ID,
  SECRET_COMPLETE_ARN,
  TOPIC_ARN,
  testApp,
} from '../test/fixtures.js';
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
    environment: { LOG_LEVEL: 'info' },
    server: { module: '/app/server/index.js' },
    auth: { mode: 'keys', keysSecret: { secret: AUTH_KEYS_ARN }, header: 'X-Sema4ai-Auth' },
    secrets: {
      GITHUB_TOKEN: { secret: 'prod/github', jsonKey: 'token' },
      API_KEY: { secret: SECRET_COMPLETE_ARN, kmsKeyArn: KMS_KEY_ARN },
    },
    allowedCidrs: ['203.0.113.0/24', '2001:db8::/32'],
    allowedPrefixListIds: ['pl-0123456789abcdef0'],
    httpRedirect: true,
    egressRules: [{ cidr: '10.20.0.0/16', port: 5432, description: 'Postgres' }],
    tags: { team: 'platform' },
    alarmTopic: sns.Topic.fromTopicArn(stack, 'Topic', TOPIC_ARN),
  });
  return { stack, mcp, template: Template.fromStack(stack) };
}

/**
 * GIVEN an internal ALB in a VPC with endpoints only, an existing repository, a 2-hour cookie, a 30 s idle timeout,
 * enhanced Container Insights and no deletion protection.
 */
function internalStack() {
  const app = testApp(S3_PREFIX_LIST_CONTEXT);
  const stack = new Stack(app, 'Internal', { env: ENV });
  const mcp = new McpFargateService(stack, 'Mcp', {
    imageDigest: DIGEST,
    repository: ecr.Repository.fromRepositoryName(stack, 'Repo', 'team/mcp-existing'),
    certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERTIFICATE_ARN),
    domainName: 'mcp.internal.example.com',
    auth: { mode: 'oauth', issuer: 'https://login.example.com/realms/agents', scopes: ['mcp:tools'] },
    internetFacing: false,
    egress: 'vpc-endpoints',
    stickiness: { type: 'lb-cookie', duration: Duration.hours(2) },
    idleTimeout: Duration.seconds(30),
    containerInsights: ecs.ContainerInsights.ENHANCED,
    deletionProtection: false,
    cpu: 1024,
    memoryLimitMiB: 4096,
    minTasks: 1,
    maxTasks: 3,
  });
  return { stack, mcp, template: Template.fromStack(stack) };
}

/** GIVEN plain HTTP for testing open to anyone (auth none, acknowledged), one task without stickiness, and an existing VPC found by id. */
function httpStack() {
  const app = testApp(EXISTING_VPC_CONTEXT);
  const stack = new Stack(app, 'Http', { env: ENV });
  const mcp = new McpFargateService(stack, 'Mcp', {
    imageDigest: DIGEST,
    vpc: ec2.Vpc.fromLookup(stack, 'Vpc', { vpcId: EXISTING_VPC_ID }),
    insecureHttpForTesting: true,
    auth: NO_AUTH,
    stickiness: { type: 'off' },
    minTasks: 1,
    maxTasks: 1,
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
  test('WHEN the construct creates it THEN tags are immutable, pushes are scanned, untagged images expire after 14 days and the last 100 tagged ones are kept', () => {
    const repo = only(publicCase.template, 'AWS::ECR::Repository');
    assert.equal(repo.Properties.RepositoryName, 'mcp-github');
    assert.equal(repo.Properties.ImageTagMutability, 'IMMUTABLE');
    assert.deepEqual(repo.Properties.ImageScanningConfiguration, { ScanOnPush: true });
    const policy = JSON.parse(repo.Properties.LifecyclePolicy.LifecyclePolicyText) as { rules: { selection: Record<string, unknown> }[] };
    // No rule counts every image: buildx indexes and attestations would push the running release out early.
    assert.deepEqual(
      policy.rules.map((r) => r.selection),
      [
        { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 14, countUnit: 'days' },
        { tagStatus: 'tagged', tagPatternList: ['*'], countType: 'imageCountMoreThan', countNumber: 100 },
      ],
    );
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

  test('THEN each secret becomes a task definition secret, with the JSON key in valueFrom; the auth keys are one too', () => {
    const c = container(publicCase.template);
    assert.deepEqual(c.Secrets, [
      { Name: 'GITHUB_TOKEN', ValueFrom: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/github:token::' },
      { Name: 'API_KEY', ValueFrom: SECRET_COMPLETE_ARN },
      { Name: 'AUTH_KEYS', ValueFrom: AUTH_KEYS_ARN },
    ]);
    const names = c.Environment.map((e: { Name: string }) => e.Name);
    assert.ok(!names.includes('GITHUB_TOKEN') && !names.includes('API_KEY'));
  });

  test('THEN the execution role may only GetSecretValue on exactly those secrets', () => {
    const statements = executionStatements().filter((s) => JSON.stringify(s.Action).includes('secretsmanager'));
    assert.equal(statements.length, 1);
    assert.equal(statements[0].Action, 'secretsmanager:GetSecretValue');
    assert.deepEqual(statements[0].Resource, ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/github-??????', SECRET_COMPLETE_ARN, AUTH_KEYS_ARN]);
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
  test('THEN the cluster has Container Insights, enhanced when asked', () => {
    only(publicCase.template, 'AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
    only(internalCase.template, 'AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }] });
  });

  test('THEN the Fargate platform version is pinned, and ECS-managed tags are on so the service tags reach the tasks', () => {
    const service = only(publicCase.template, 'AWS::ECS::Service').Properties;
    assert.equal(service.PlatformVersion, '1.4.0');
    assert.equal(service.EnableECSManagedTags, true);
    assert.equal(service.PropagateTags, 'SERVICE');
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

  test('WHEN httpRedirect is not set THEN there is no port 80 listener and port 80 is closed', () => {
    internalCase.template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    only(internalCase.template, 'AWS::ElasticLoadBalancingV2::Listener', { Port: 443 });
    const sg = only(internalCase.template, 'AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('^MCP load balancer') });
    assert.deepEqual([...new Set((sg.Properties.SecurityGroupIngress as { FromPort: number }[]).map((r) => r.FromPort))], [443]);
  });

  test('THEN HTTPS serves the MCP with the certificate and a TLS 1.3 policy, and with httpRedirect port 80 redirects to it', () => {
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

  test('WHEN no CIDRs are given THEN an internal load balancer admits only its VPC, and an internet-facing one anyone', () => {
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

  test('THEN stickiness is a load-balancer cookie, one day by default, or off (here with one task)', () => {
    const lb = attributesOf(publicCase.template);
    assert.deepEqual([lb['stickiness.enabled'], lb['stickiness.type'], lb['stickiness.lb_cookie.duration_seconds']], ['true', 'lb_cookie', '86400']);
    const internal = attributesOf(internalCase.template);
    assert.deepEqual([internal['stickiness.type'], internal['stickiness.lb_cookie.duration_seconds']], ['lb_cookie', '7200']);
    assert.notEqual(attributesOf(httpCase.template)['stickiness.enabled'], 'true');
  });
});

describe('8. egress', () => {
  test('WHEN egress is nat THEN private subnets route through one NAT gateway per AZ, and S3 through its free gateway endpoint', () => {
    publicCase.template.resourceCountIs('AWS::EC2::NatGateway', 2);
    const endpoints = Object.values(publicCase.template.findResources('AWS::EC2::VPCEndpoint')).map((e) => e.Properties);
    assert.equal(endpoints.length, 1);
    assert.equal(endpoints[0].VpcEndpointType, 'Gateway');
    assert.match(JSON.stringify(endpoints[0].ServiceName), /\.s3"/);
    assert.match(JSON.stringify(endpoints[0].RouteTableIds), /PrivateSubnet/);
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
    // While sessions live on one task (memory store), request count may add tasks but never removes them.
    assert.equal(byMetric.ALBRequestCountPerTarget.DisableScaleIn, true);
    assert.equal(byMetric.ECSServiceAverageCPUUtilization.DisableScaleIn, undefined);
    // No desiredCount given: the template leaves DesiredCount out, so a deployment never resets what autoscaling chose.
    assert.equal('DesiredCount' in only(publicCase.template, 'AWS::ECS::Service').Properties, false);
    assert.equal('DesiredCount' in only(internalCase.template, 'AWS::ECS::Service').Properties, false);
  });
});

describe('10. alarms and dashboard', () => {
  const alarms = () => Object.values(publicCase.template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);

  test('THEN there are alarms on 5xx, unhealthy hosts, too few healthy hosts, p99 latency, CPU and memory, notifying the topic', () => {
    const all = alarms();
    assert.equal(all.length, 6);
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
  const output = (template: Template, name: string) =>
    Object.entries(template.toJSON().Outputs as Record<string, { Value: unknown }>).find(([key]) => key.startsWith(`Mcp${name}`))?.[1].Value;

  test('THEN the MCP URL, service, cluster, log group, repository URI and load balancer DNS name are outputs', () => {
    for (const name of ['ServiceName', 'ClusterName', 'LogGroupName', 'RepositoryUri', 'LoadBalancerDnsName'])
      assert.ok(output(publicCase.template, name) !== undefined, name);
  });

  test('THEN with HTTPS the MCP URL names the domain the certificate covers, never the load balancer DNS name (issue 8, item 4)', () => {
    assert.equal(output(publicCase.template, 'McpUrl'), 'https://mcp.example.com/mcp');
    assert.equal(output(internalCase.template, 'McpUrl'), 'https://mcp.internal.example.com/mcp');
    assert.match(JSON.stringify(output(httpCase.template, 'McpUrl')), /"http:\/\/",\{"Fn::GetAtt":\["McpLoadBalancer[0-9A-F]+","DNSName"\]\},"\/mcp"/);
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

describe('13. the gateway timeouts follow the ALB idle timeout (issue 8, item 5)', () => {
  const env = (template: Template) => Object.fromEntries((container(template).Environment as { Name: string; Value: string }[]).map((e) => [e.Name, e.Value]));
  const idle = (template: Template) =>
    (only(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer').Properties.LoadBalancerAttributes as { Key: string; Value: string }[]).find(
      (a) => a.Key === 'idle_timeout.timeout_seconds',
    )?.Value;

  test('THEN the gateway is told the idle timeout, its keep-alive is that + 5 s, and the SSE heartbeat 20 s or a third of a shorter one', () => {
    const timeouts = (template: Template) => {
      const { LB_IDLE_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, SSE_HEARTBEAT_MS } = env(template);
      return [LB_IDLE_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, SSE_HEARTBEAT_MS];
    };
    assert.equal(idle(publicCase.template), '120');
    assert.deepEqual(timeouts(publicCase.template), ['120000', '125000', '20000']);
    assert.equal(idle(internalCase.template), '30');
    assert.deepEqual(timeouts(internalCase.template), ['30000', '35000', '10000']);
  });

  test('THEN the session store is the memory one, set by the construct', () => {
    assert.equal(env(publicCase.template).SESSION_STORE, 'memory');
  });
});

describe('14. deployment alarms (issue 8, item 6)', () => {
  test('THEN the 5xx and unhealthy-host alarms roll a deployment back', () => {
    const deployment = only(publicCase.template, 'AWS::ECS::Service').Properties.DeploymentConfiguration;
    const alarmIds = Object.keys(publicCase.template.findResources('AWS::CloudWatch::Alarm'));
    const id = (name: string) => alarmIds.find((logicalId) => logicalId.startsWith(`Mcp${name}`));
    assert.deepEqual(deployment.Alarms, {
      AlarmNames: [{ Ref: id('Http5xxAlarm') }, { Ref: id('UnhealthyHostsAlarm') }],
      Enable: true,
      Rollback: true,
    });
  });

  test('THEN fewer healthy hosts than minTasks raises an alarm, even with no datapoint at all', () => {
    for (const [template, minTasks] of [
      [publicCase.template, 2],
      [httpCase.template, 1],
    ] as const) {
      const alarm = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find((a) => a.Properties.MetricName === 'HealthyHostCount')?.Properties;
      assert.ok(alarm !== undefined);
      assert.deepEqual(
        [alarm.Threshold, alarm.ComparisonOperator, alarm.Statistic, alarm.TreatMissingData],
        [minTasks, 'LessThanThreshold', 'Minimum', 'breaching'],
      );
    }
  });
});

describe('15. task egress (issue 8, item 7)', () => {
  const taskEgress = (template: Template) => {
    const [sgId, sg] = Object.entries(
      template.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: Match.stringLikeRegexp('^MCP tasks') } }),
    )[0] as [string, { Properties: Record<string, any> }];
    const separate = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress'))
      .map((r) => r.Properties)
      .filter((p) => p.GroupId['Fn::GetAtt']?.[0] === sgId);
    return [...((sg.Properties.SecurityGroupEgress ?? []) as Record<string, any>[]), ...separate];
  };

  test('WHEN egress is nat THEN the tasks may open HTTPS anywhere and the ports the config names, nothing else', () => {
    const rules = taskEgress(publicCase.template);
    assert.deepEqual(
      rules.map((r) => [r.IpProtocol, r.FromPort, r.ToPort, r.CidrIp]),
      [
        ['tcp', 443, 443, '0.0.0.0/0'],
        ['tcp', 5432, 5432, '10.20.0.0/16'],
      ],
    );
  });

  test('WHEN egress is vpc-endpoints THEN the tasks may reach only the endpoints security group and the S3 prefix list, on 443', () => {
    const rules = taskEgress(internalCase.template);
    const [endpointSgId] = Object.keys(
      internalCase.template.findResources('AWS::EC2::SecurityGroup', {
        Properties: { GroupDescription: Match.stringLikeRegexp('^MCP VPC interface endpoints') },
      }),
    );
    assert.deepEqual(
      rules.map((r) => [r.IpProtocol, r.FromPort, r.DestinationPrefixListId ?? r.DestinationSecurityGroupId?.['Fn::GetAtt']?.[0]]).sort(),
      [
        ['tcp', 443, S3_PREFIX_LIST_ID],
        ['tcp', 443, endpointSgId],
      ].sort(),
    );
    // The four interface endpoints share that one group, which admits only the tasks.
    const endpoints = Object.values(internalCase.template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }));
    assert.equal(endpoints.length, 4);
    for (const endpoint of endpoints) assert.deepEqual(endpoint.Properties.SecurityGroupIds, [{ 'Fn::GetAtt': [endpointSgId, 'GroupId'] }]);
  });

  test('THEN no security group of the construct allows every protocol out', () => {
    for (const template of [publicCase.template, internalCase.template, httpCase.template]) {
      assert.doesNotMatch(JSON.stringify(template.findResources('AWS::EC2::SecurityGroup')), /"IpProtocol":"-1"/);
    }
  });
});

describe('16. hardening', () => {
  const lbAttributes = (template: Template) =>
    Object.fromEntries(
      (only(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer').Properties.LoadBalancerAttributes as { Key: string; Value: string }[]).map((a) => [
        a.Key,
        a.Value,
      ]),
    );

  test('THEN the load balancer has deletion protection unless turned off, and the strictest desync mitigation', () => {
    assert.equal(lbAttributes(publicCase.template)['deletion_protection.enabled'], 'true');
    assert.equal(lbAttributes(internalCase.template)['deletion_protection.enabled'], 'false');
    assert.equal(lbAttributes(publicCase.template)['routing.http.desync_mitigation_mode'], 'strictest');
  });

  test('THEN the access-log bucket lets only the regional load balancer delivery write, only under this account', () => {
    const statements = only(publicCase.template, 'AWS::S3::BucketPolicy').Properties.PolicyDocument.Statement as Record<string, any>[];
    const allows = statements.filter((s) => s.Effect === 'Allow');
    assert.equal(allows.length, 1, 'no grant to delivery.logs.amazonaws.com, which only Network Load Balancers use');
    assert.deepEqual(allows[0]?.Principal, { AWS: 'arn:aws:iam::156460612806:root' });
    assert.equal(allows[0]?.Action, 's3:PutObject');
    assert.match(JSON.stringify(allows[0]?.Resource), new RegExp(`/alb/AWSLogs/${ACCOUNT}/\\*`));
    assert.equal(lbAttributes(publicCase.template)['access_logs.s3.prefix'], 'alb');
    const lb = Object.values(publicCase.template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'))[0];
    assert.ok(
      ((lb?.DependsOn ?? []) as string[]).some((id) => id.startsWith('McpAccessLogsBucketPolicy')),
      'the policy exists before the load balancer checks it',
    );
  });

  test("THEN the roles' trust policies are confined to this account (and its ECS or flow-log resources) against the confused deputy", () => {
    const trust = (prefix: string) => {
      const roles = Object.entries(publicCase.template.findResources('AWS::IAM::Role')).filter(([id]) => id.startsWith(prefix));
      assert.equal(roles.length, 1, prefix);
      const statements = roles[0]?.[1].Properties.AssumeRolePolicyDocument.Statement as Record<string, any>[];
      assert.equal(statements.length, 1);
      return statements[0];
    };
    assert.deepEqual(trust('McpTaskDefinitionTaskRole')?.Condition, {
      StringEquals: { 'aws:SourceAccount': ACCOUNT },
      ArnLike: { 'aws:SourceArn': `arn:aws:ecs:eu-west-1:${ACCOUNT}:*` },
    });
    assert.deepEqual(trust('McpTaskDefinitionExecutionRole')?.Condition, { StringEquals: { 'aws:SourceAccount': ACCOUNT } });
    assert.deepEqual(trust('McpVpcAllIAMRole')?.Condition, {
      StringEquals: { 'aws:SourceAccount': ACCOUNT },
      ArnLike: { 'aws:SourceArn': `arn:aws:ec2:eu-west-1:${ACCOUNT}:vpc-flow-log/*` },
    });
  });

  test('THEN every taggable resource of the construct carries the service, the stack and the given tags', () => {
    const taggable = publicCase.mcp.node.findAll().filter((c) => CfnResource.isCfnResource(c) && TagManager.isTaggable(c)) as unknown as {
      node: { path: string };
      tags: TagManager;
    }[];
    assert.ok(taggable.length >= 25, `${taggable.length} taggable resources`);
    for (const resource of taggable) {
      const tags = resource.tags.tagValues();
      assert.deepEqual([tags['mcp-fargate:service'], tags['mcp-fargate:stack'], tags.team], ['mcp-github', 'Public', 'platform'], resource.node.path);
    }
  });
});

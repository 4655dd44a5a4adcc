import { Annotations, CfnResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import type { Construct } from 'constructs';
import { DEFAULTS } from '../defaults.js';
import { NEW_VPC_CIDR } from './network.js';
import type { McpFargateServiceProps, ResolvedProps } from './props.js';
import { CONTAINER_NAME } from './task.js';

/** Where the load balancer writes its access logs in the bucket. */
const ACCESS_LOG_PREFIX = 'alb';

export interface LoadBalancing {
  readonly accessLogsBucket: s3.IBucket;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly httpsListener?: elbv2.ApplicationListener;
  readonly httpListener?: elbv2.ApplicationListener;
  readonly certificate?: acm.ICertificate;
  /** The URL to register with the agent. */
  readonly mcpUrl: string;
}

/**
 * The load balancer in front of the service: access logs, the target group (health checks on /healthz, a deregistration
 * delay for SSE streams, stickiness), the listeners, who may reach them, and the DNS name of the MCP URL.
 */
export function createLoadBalancing(
  scope: Construct,
  props: McpFargateServiceProps,
  p: ResolvedProps,
  vpc: ec2.IVpc,
  taskSubnets: ec2.SubnetSelection,
  securityGroup: ec2.SecurityGroup,
  service: ecs.FargateService,
): LoadBalancing {
  const accessLogsBucket = props.accessLogsBucket ?? createAccessLogsBucket(scope);
  const loadBalancer = new elbv2.ApplicationLoadBalancer(scope, 'LoadBalancer', {
    vpc,
    internetFacing: p.internetFacing,
    vpcSubnets: p.internetFacing ? { subnetType: ec2.SubnetType.PUBLIC } : taskSubnets,
    securityGroup,
    idleTimeout: p.idleTimeout,
    dropInvalidHeaderFields: true,
    // Requests that are ambiguous to any HTTP parser are refused, not passed on (request smuggling).
    desyncMitigationMode: elbv2.DesyncMitigationMode.STRICTEST,
    http2Enabled: true,
    deletionProtection: p.deletionProtection,
  });
  logAccessLogs(loadBalancer, accessLogsBucket);

  const stickiness = p.stickiness;
  const targetGroup = new elbv2.ApplicationTargetGroup(scope, 'TargetGroup', {
    vpc,
    targetType: elbv2.TargetType.IP,
    protocol: elbv2.ApplicationProtocol.HTTP,
    port: p.containerPort,
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
    targets: [service.loadBalancerTarget({ containerName: CONTAINER_NAME, containerPort: p.containerPort })],
  });

  const domainName = props.domainName;
  let httpsListener: elbv2.ApplicationListener | undefined;
  let httpListener: elbv2.ApplicationListener | undefined;
  let certificate: acm.ICertificate | undefined;
  if (p.insecureHttp) {
    Annotations.of(scope).addWarningV2(
      '@mcp-fargate/cdk:insecureHttp',
      'insecureHttpForTesting is set: the MCP is served over plain HTTP on port 80, with no TLS. Use it for internal ' +
        'testing only; give a certificate (or domainName and hostedZone) for anything an agent platform uses.',
    );
    httpListener = loadBalancer.addListener('HttpListener', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultTargetGroups: [targetGroup],
    });
  } else {
    if (props.certificate !== undefined) {
      certificate = props.certificate;
    } else if (props.hostedZone !== undefined && domainName !== undefined) {
      certificate = new acm.Certificate(scope, 'Certificate', {
        domainName,
        validation: acm.CertificateValidation.fromDns(props.hostedZone),
      });
    }
    if (certificate === undefined) throw new Error('unreachable: certificate checked with the props');
    httpsListener = loadBalancer.addListener('HttpsListener', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [elbv2.ListenerCertificate.fromCertificateManager(certificate)],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      open: false,
      defaultTargetGroups: [targetGroup],
    });
    if (p.httpRedirect) {
      // For browsers only: clients that follow a 301 turn an MCP POST into a GET.
      httpListener = loadBalancer.addListener('HttpListener', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        open: false,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
      });
    }
  }
  allowIngress(scope, p, vpc, securityGroup);

  if (props.hostedZone !== undefined && domainName !== undefined) {
    new route53.ARecord(scope, 'AliasRecord', {
      zone: props.hostedZone,
      recordName: domainName,
      target: route53.RecordTarget.fromAlias(new route53Targets.LoadBalancerTarget(loadBalancer)),
    });
  }
  const mcpUrl = `${p.insecureHttp ? 'http' : 'https'}://${domainName ?? loadBalancer.loadBalancerDnsName}/mcp`;
  return { accessLogsBucket, loadBalancer, targetGroup, httpsListener, httpListener, certificate, mcpUrl };
}

function createAccessLogsBucket(scope: Construct): s3.Bucket {
  const bucket = new s3.Bucket(scope, 'AccessLogsBucket', {
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

/** The ports the load balancer listens on. */
function listenerPorts(p: ResolvedProps): number[] {
  if (p.insecureHttp) return [80];
  return p.httpRedirect ? [443, 80] : [443];
}

/** The allowed peers may reach the listeners; with none given, the VPC (internal) or anyone (internet-facing). */
function allowIngress(scope: Construct, p: ResolvedProps, vpc: ec2.IVpc, securityGroup: ec2.SecurityGroup): void {
  const peers: [ec2.IPeer, string][] = [
    ...p.allowedCidrs.map(({ cidr, kind }): [ec2.IPeer, string] => [kind === 'ipv6' ? ec2.Peer.ipv6(cidr) : ec2.Peer.ipv4(cidr), cidr]),
    ...p.allowedPrefixListIds.map((pl): [ec2.IPeer, string] => [ec2.Peer.prefixList(pl), pl]),
  ];
  const open = peers.length === 0 && p.internetFacing;
  if (peers.length === 0) {
    // Open to anyone only with auth on, or with auth none acknowledged in so many words (resolveAuth).
    peers.push(
      p.internetFacing
        ? [ec2.Peer.anyIpv4(), 'anywhere']
        : [ec2.Peer.ipv4(scope.node.tryFindChild('Vpc') === undefined ? vpc.vpcCidrBlock : NEW_VPC_CIDR), 'the VPC'],
    );
  }
  const ports = listenerPorts(p);
  for (const [peer, label] of peers) {
    for (const port of ports) {
      securityGroup.addIngressRule(peer, ec2.Port.tcp(port), port === 443 || p.insecureHttp ? `MCP from ${label}` : `Redirect to HTTPS for ${label}`);
    }
  }
  if (open) {
    const opened = `${ports.map((port) => `port ${port}`).join(' and ')} of this internet-facing load balancer ${ports.length === 1 ? 'is' : 'are'} open to every IPv4 address`;
    Validations.of(securityGroup).acknowledge({
      id: 'AwsSolutions::AwsSolutions-EC23',
      reason:
        p.auth.mode === 'none'
          ? `With auth none, ${opened}: anyone who finds the URL can call the MCP. The owner acknowledged it (auth.acknowledgeNoAuth): ` +
            `"${p.auth.acknowledgeNoAuth}"`
          : `With auth ${p.auth.mode} (AUTH_MODE=${p.auth.mode}), ${opened}, so agent platforms reach it from anywhere: the gateway ` +
            'authenticates every request to the MCP endpoints before it reaches the hosted server; only /healthz' +
            `${p.auth.mode === 'oauth' ? ' and the OAuth protected resource metadata answer' : ' answers'} without credentials.`,
    });
  }
}

/**
 * Access logs to the bucket, with a bucket policy that lets exactly the load balancer's log delivery write under this
 * account's prefix. `logAccessLogs` of aws-cdk-lib also grants `delivery.logs.amazonaws.com`, which only Network Load
 * Balancers use. No aws:SourceAccount/aws:SourceArn condition: in regions older than August 2022 the writer is the
 * regional Elastic Load Balancing account, not a service principal, the example policies of the ALB guide carry none,
 * and nothing here can show that log delivery sets those keys; a condition it does not satisfy would stop delivery
 * with no error anywhere. The resource, scoped to AWSLogs/<this account>/, keeps other accounts' load balancers out.
 */
function logAccessLogs(loadBalancer: elbv2.ApplicationLoadBalancer, bucket: s3.IBucket): void {
  const stack = Stack.of(loadBalancer);
  loadBalancer.setAttribute('access_logs.s3.enabled', 'true');
  loadBalancer.setAttribute('access_logs.s3.bucket', bucket.bucketName);
  loadBalancer.setAttribute('access_logs.s3.prefix', ACCESS_LOG_PREFIX);
  const elbAccount = RegionInfo.get(stack.region).elbv2Account;
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      actions: ['s3:PutObject'],
      principals: [
        elbAccount !== undefined ? new iam.AccountPrincipal(elbAccount) : new iam.ServicePrincipal('logdelivery.elasticloadbalancing.amazonaws.com'),
      ],
      resources: [bucket.arnForObjects(`${ACCESS_LOG_PREFIX}/AWSLogs/${stack.account}/*`)],
    }),
  );
  // The load balancer checks that it may write when access logging is turned on, so the policy must exist first.
  const policy = bucket.policy?.node.defaultChild;
  if (policy instanceof CfnResource) (loadBalancer.node.defaultChild as CfnResource).addResourceDependency(policy);
}

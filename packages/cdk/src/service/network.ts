import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { McpEgress, ResolvedProps } from './props.js';
import { confineTrust } from './role-trust.js';

/** Address range of a new VPC; a literal, so security group rules that name it stay literal too. */
export const NEW_VPC_CIDR = '10.0.0.0/16';

/** A new VPC across `maxAzs` zones: public subnets only when something needs them, private ones egressing per `egress`. */
export function createVpc(scope: Construct, p: ResolvedProps): ec2.Vpc {
  const needsPublicSubnets = p.egress === 'nat' || p.internetFacing;
  const flowLogGroup = new logs.LogGroup(scope, 'VpcFlowLogs', {
    retention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const vpc = new ec2.Vpc(scope, 'Vpc', {
    ipAddresses: ec2.IpAddresses.cidr(NEW_VPC_CIDR),
    maxAzs: p.maxAzs,
    natGateways: p.egress === 'nat' ? p.natGateways : 0,
    subnetConfiguration: [
      ...(needsPublicSubnets ? [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }] : []),
      {
        name: 'Private',
        subnetType: p.egress === 'nat' ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
        cidrMask: 20,
      },
    ],
    flowLogs: {
      All: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup), trafficType: ec2.FlowLogTrafficType.ALL },
    },
  });
  confineTrust((vpc.node.findChild('All') as ec2.FlowLog).iamRole, 'flow-logs');
  return vpc;
}

/** The tasks' subnets: the VPC's private subnets with egress, or its isolated ones if it has none. */
export function defaultTaskSubnets(vpc: ec2.IVpc): ec2.SubnetSelection {
  return { subnetType: vpc.privateSubnets.length > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED };
}

export interface SecurityGroups {
  readonly loadBalancer: ec2.SecurityGroup;
  readonly service: ec2.SecurityGroup;
}

/**
 * Only the ALB reaches the tasks, and only the allowed peers reach the ALB (rules are added with the listeners). The
 * tasks may open no connection but those `allowTaskEgress` adds.
 */
export function createSecurityGroups(scope: Construct, vpc: ec2.IVpc): SecurityGroups {
  const loadBalancer = new ec2.SecurityGroup(scope, 'LoadBalancerSecurityGroup', {
    vpc,
    description: 'MCP load balancer: listeners open to the allowed peers, egress only to the tasks',
    allowAllOutbound: false,
  });
  const service = new ec2.SecurityGroup(scope, 'ServiceSecurityGroup', {
    vpc,
    description: 'MCP tasks: ingress only from the load balancer on the container port, egress only as configured',
    allowAllOutbound: false,
  });
  return { loadBalancer, service };
}

/**
 * The S3 gateway endpoint, free, in both egress modes: ECR keeps image layers in S3, so without it every image pull
 * through NAT pays NAT data charges. With `vpc-endpoints`, also the interface endpoints the tasks need (ecr.api,
 * ecr.dkr, logs, secretsmanager), behind one security group that admits HTTPS from the tasks only.
 */
export function addVpcEndpoints(scope: Construct, vpc: ec2.Vpc, egress: McpEgress): ec2.SecurityGroup | undefined {
  const subnetType = egress === 'nat' ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED;
  vpc.addGatewayEndpoint('S3Endpoint', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [{ subnetType }] });
  if (egress !== 'vpc-endpoints') return undefined;
  const securityGroup = new ec2.SecurityGroup(scope, 'EndpointSecurityGroup', {
    vpc,
    description: 'MCP VPC interface endpoints: HTTPS from the MCP tasks only',
    allowAllOutbound: false,
  });
  const interfaces: [string, ec2.InterfaceVpcEndpointAwsService][] = [
    ['EcrApiEndpoint', ec2.InterfaceVpcEndpointAwsService.ECR],
    ['EcrDockerEndpoint', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER],
    ['LogsEndpoint', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
    ['SecretsManagerEndpoint', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
  ];
  for (const [id, service] of interfaces) {
    vpc.addInterfaceEndpoint(id, { service, subnets: { subnetType }, privateDnsEnabled: true, open: false, securityGroups: [securityGroup] });
  }
  return securityGroup;
}

/**
 * What the tasks may connect to. With NAT (or an existing VPC): HTTPS anywhere, which ECR, CloudWatch Logs, Secrets
 * Manager and the MCP's own APIs all use. With VPC endpoints only: HTTPS to the endpoints and to S3 through its gateway
 * endpoint (its managed prefix list, looked up by the CDK CLI). Then whatever `egressRules` name (a database port).
 */
export function allowTaskEgress(scope: Construct, p: ResolvedProps, tasks: ec2.SecurityGroup, endpoints: ec2.SecurityGroup | undefined): void {
  const https = ec2.Port.tcp(443);
  if (endpoints === undefined) {
    tasks.addEgressRule(ec2.Peer.anyIpv4(), https, 'HTTPS to AWS APIs and the internet');
  } else {
    endpoints.addIngressRule(tasks, https, 'HTTPS from the MCP tasks');
    tasks.addEgressRule(endpoints, https, 'HTTPS to the VPC interface endpoints');
    const region = Stack.of(scope).region;
    const s3 = ec2.PrefixList.fromLookup(scope, 'S3PrefixList', { prefixListName: `com.amazonaws.${region}.s3` });
    tasks.addEgressRule(ec2.Peer.prefixList(s3.prefixListId), https, 'HTTPS to S3 (ECR image layers) through the gateway endpoint');
  }
  for (const rule of p.egressRules) {
    const peer = 'cidr' in rule ? (rule.cidr.includes(':') ? ec2.Peer.ipv6(rule.cidr) : ec2.Peer.ipv4(rule.cidr)) : ec2.Peer.prefixList(rule.prefixListId);
    tasks.addEgressRule(peer, ec2.Port.tcp(rule.port), rule.description ?? `TCP ${rule.port} to ${'cidr' in rule ? rule.cidr : rule.prefixListId}`);
  }
}

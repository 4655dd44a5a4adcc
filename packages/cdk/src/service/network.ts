import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { McpEgress, ResolvedProps } from './props.js';

/** Address range of a new VPC; a literal, so security group rules that name it stay literal too. */
export const NEW_VPC_CIDR = '10.0.0.0/16';

/** A new VPC across `maxAzs` zones: public subnets only when something needs them, private ones egressing per `egress`. */
export function createVpc(scope: Construct, p: ResolvedProps): ec2.Vpc {
  const needsPublicSubnets = p.egress === 'nat' || p.internetFacing;
  const flowLogGroup = new logs.LogGroup(scope, 'VpcFlowLogs', {
    retention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  return new ec2.Vpc(scope, 'Vpc', {
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
}

/** The tasks' subnets: the VPC's private subnets with egress, or its isolated ones if it has none. */
export function defaultTaskSubnets(vpc: ec2.IVpc): ec2.SubnetSelection {
  return { subnetType: vpc.privateSubnets.length > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED };
}

export interface SecurityGroups {
  readonly loadBalancer: ec2.SecurityGroup;
  readonly service: ec2.SecurityGroup;
}

/** Only the ALB reaches the tasks, and only the allowed peers reach the ALB (rules are added with the listeners). */
export function createSecurityGroups(scope: Construct, vpc: ec2.IVpc): SecurityGroups {
  const loadBalancer = new ec2.SecurityGroup(scope, 'LoadBalancerSecurityGroup', {
    vpc,
    description: 'MCP load balancer: listeners open to the allowed peers, egress only to the tasks',
    allowAllOutbound: false,
  });
  const service = new ec2.SecurityGroup(scope, 'ServiceSecurityGroup', {
    vpc,
    description: 'MCP tasks: ingress only from the load balancer on the container port',
    allowAllOutbound: true,
  });
  return { loadBalancer, service };
}

/**
 * Interface endpoints (and the free S3 gateway endpoint, since ECR keeps image layers in S3) for tasks without
 * NAT; reachable on 443 only from the tasks.
 */
export function addVpcEndpoints(vpc: ec2.Vpc, egress: McpEgress, tasks: ec2.SecurityGroup): void {
  if (egress !== 'vpc-endpoints') return;
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
    endpoint.connections.allowDefaultPortFrom(tasks, 'HTTPS from the MCP tasks');
  }
}

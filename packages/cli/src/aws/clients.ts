import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';

/**
 * The AWS SDK clients the commands use, made once per command for one region. Tests replace their `send` with
 * aws-sdk-client-mock; nothing else stands in for AWS.
 */
export interface AwsClients {
  readonly region: string;
  readonly sts: STSClient;
  readonly ssm: SSMClient;
  readonly cloudFormation: CloudFormationClient;
  readonly ecr: ECRClient;
  readonly ecs: ECSClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly logs: CloudWatchLogsClient;
}

export function createAwsClients(region: string): AwsClients {
  // Credentials come from the SDK's default chain (environment, profile, SSO, instance role), as with the AWS CLI.
  const options = { region };
  return {
    region,
    sts: new STSClient(options),
    ssm: new SSMClient(options),
    cloudFormation: new CloudFormationClient(options),
    ecr: new ECRClient(options),
    ecs: new ECSClient(options),
    elbv2: new ElasticLoadBalancingV2Client(options),
    logs: new CloudWatchLogsClient(options),
  };
}

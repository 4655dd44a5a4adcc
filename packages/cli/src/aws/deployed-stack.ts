import { DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { CliError } from '../errors.js';
import { outputNamed } from '../stack-outputs.js';
import type { AwsClients } from './clients.js';

/** A deployed service stack, read from CloudFormation: what `status`, `logs` and `destroy` start from. */
export interface DeployedStack {
  readonly stack: Stack;
  readonly outputs: Record<string, string>;
  output(name: 'McpUrl' | 'ServiceName' | 'ClusterName' | 'LogGroupName' | 'RepositoryUri' | 'LoadBalancerDnsName'): string | undefined;
}

export async function describeDeployedStack(aws: AwsClients, stackName: string): Promise<DeployedStack> {
  let stack: Stack | undefined;
  try {
    stack = (await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
  } catch (error) {
    if (!/does not exist/.test((error as Error).message)) throw error;
  }
  if (stack === undefined) {
    throw new CliError(
      'MCPF_CLI_STACK_NOT_FOUND',
      `the stack ${stackName} is not deployed in ${aws.region}: run \`mcp-fargate deploy\` (or check region and credentials)`,
    );
  }
  const outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  return { stack, outputs, output: (name) => outputNamed(outputs, name) };
}

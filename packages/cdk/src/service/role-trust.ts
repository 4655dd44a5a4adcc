import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * Confines a service role's trust policy to this account's (and, where the service sets it, this region's)
 * resources with aws:SourceAccount / aws:SourceArn, so the service cannot be made to assume it on another account's
 * behalf (the cross-service confused deputy). The roles are made by aws-cdk-lib with one trust statement, whose
 * condition is set here.
 */
export function confineTrust(role: IConstruct | undefined, service: 'ecs-task' | 'ecs-execution' | 'flow-logs'): void {
  const cfn = role?.node.defaultChild;
  if (!(cfn instanceof iam.CfnRole)) throw new Error(`confineTrust: ${role?.node.path} is not a role made in this app`);
  const stack = Stack.of(cfn);
  const sourceAccount = { StringEquals: { 'aws:SourceAccount': stack.account } };
  const sourceArn = (arn: string) => ({ ...sourceAccount, ArnLike: { 'aws:SourceArn': arn } });
  const conditions = {
    // The task role: as the Amazon ECS guide's task IAM role trust policy has it.
    'ecs-task': sourceArn(stack.formatArn({ service: 'ecs', resource: '*' })),
    // The execution role is assumed by the agent that pulls the image and reads the secrets. Only the account is
    // conditioned: that the agent sends a source ARN for this role could not be verified here, and if it did not,
    // no task would start.
    'ecs-execution': sourceAccount,
    // The flow log role: as the Amazon VPC guide's flow-log role trust policy has it.
    'flow-logs': sourceArn(stack.formatArn({ service: 'ec2', resource: 'vpc-flow-log', resourceName: '*' })),
  }[service];
  cfn.addPropertyOverride('AssumeRolePolicyDocument.Statement.0.Condition', conditions);
}

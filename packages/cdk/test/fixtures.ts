// Shared fixtures for the CDK tests: realistic ids (the bundled CloudFormation validator checks their formats).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type { IConstruct } from 'constructs';
import { mcpFargateAppContext } from '../src/app.js';
import type { McpFargateServiceProps } from '../src/service/props.js';
import { McpFargateService } from '../src/mcp-fargate-service.js';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const ENV = { account: ACCOUNT, region: REGION } as const;
export const DIGEST = `sha256:${'3f1c9d5e'.repeat(8)}`;
export const CERTIFICATE_ARN = `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d`;
export const KMS_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
export const SECRET_COMPLETE_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/mcp-api-Ab12Cd`;
/** The secret holding the keys of `auth: { mode: 'keys' }`. */
export const AUTH_KEYS_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/mcp-auth-keys-Gh56Ij`;
/** Auth off, acknowledged in so many words, for stacks whose tests are about something else. */
export const NO_AUTH = { mode: 'none', acknowledgeNoAuth: 'This test stack is never deployed and holds no data' } as const;
export const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:mcp-alarms`;
export const EXISTING_VPC_ID = 'vpc-0123456789abcdef0';

/** The repository root (packages/cdk/dist/test -> ../../../..). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const EXAMPLE_CONFIG = join(REPO_ROOT, 'examples', 'mcp-fargate.config.json');

export function readExampleConfig(): Record<string, unknown> {
  return JSON.parse(readFileSync(EXAMPLE_CONFIG, 'utf8')) as Record<string, unknown>;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `mcp-fargate-${prefix}-`));
}

/** An app with the same feature flags as the real one, and the validator's findings as errors. */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({ outdir: tempDir('cdk'), context: { ...mcpFargateAppContext(), ...context } });
}

/** Context answering `Vpc.fromLookup` for EXISTING_VPC_ID, as the CDK CLI would after a lookup. */
export const EXISTING_VPC_CONTEXT = {
  [`vpc-provider:account=${ACCOUNT}:filter.vpc-id=${EXISTING_VPC_ID}:region=${REGION}:returnAsymmetricSubnets=true`]: {
    vpcId: EXISTING_VPC_ID,
    vpcCidrBlock: '172.31.0.0/16',
    ownerAccountId: ACCOUNT,
    availabilityZones: [],
    subnetGroups: [
      {
        name: 'Public',
        type: 'Public',
        subnets: [
          { subnetId: 'subnet-0aaaaaaaaaaaaaaa1', cidr: '172.31.0.0/20', availabilityZone: 'eu-west-1a', routeTableId: 'rtb-0aaaaaaaaaaaaaaa1' },
          { subnetId: 'subnet-0aaaaaaaaaaaaaaa2', cidr: '172.31.16.0/20', availabilityZone: 'eu-west-1b', routeTableId: 'rtb-0aaaaaaaaaaaaaaa2' },
        ],
      },
      {
        name: 'Private',
        type: 'Private',
        subnets: [
          { subnetId: 'subnet-0bbbbbbbbbbbbbbb1', cidr: '172.31.32.0/20', availabilityZone: 'eu-west-1a', routeTableId: 'rtb-0bbbbbbbbbbbbbbb1' },
          { subnetId: 'subnet-0bbbbbbbbbbbbbbb2', cidr: '172.31.48.0/20', availabilityZone: 'eu-west-1b', routeTableId: 'rtb-0bbbbbbbbbbbbbbb2' },
        ],
      },
    ],
  },
};

/** Every acknowledgement recorded under `scope` (the construct path, the rule id with its tool prefix, the reason). */
export function acknowledgements(scope: IConstruct): { path: string; id: string; reason: string }[] {
  const found: { path: string; id: string; reason: string }[] = [];
  for (const construct of scope.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ path: construct.node.path, id, reason });
      }
    }
  }
  return found;
}

/** `{ stack name: { logical id: resource type } }` of a synthesized assembly, sorted, for pinning construct ids. */
export function resourceTypesByStack(assembly: { stacks: { stackName: string; template: unknown }[] }): Record<string, Record<string, string>> {
  const byStack: Record<string, Record<string, string>> = {};
  for (const stack of [...assembly.stacks].sort((a, b) => a.stackName.localeCompare(b.stackName))) {
    const resources = (stack.template as { Resources?: Record<string, { Type: string }> }).Resources ?? {};
    byStack[stack.stackName] = Object.fromEntries(
      Object.entries(resources)
        .map(([id, resource]): [string, string] => [id, resource.Type])
        .sort(([a], [b]) => a.localeCompare(b)),
    );
  }
  return byStack;
}

/** Context answering the lookup of the S3 managed prefix list in REGION (egress: 'vpc-endpoints'), as the CDK CLI would. */
export const S3_PREFIX_LIST_ID = 'pl-6da54004';
export const S3_PREFIX_LIST_CONTEXT = {
  [`cc-api-provider:account=${ACCOUNT}:expectedMatchCount=exactly-one:propertiesToReturn.0=PrefixListId:propertyMatch.PrefixListName=com.amazonaws.${REGION}.s3:region=${REGION}:typeName=AWS$:$:EC2$:$:PrefixList`]:
    [{ PrefixListId: S3_PREFIX_LIST_ID }],
};

/** Props every construct test starts from: a pinned image, HTTPS for mcp.example.com, one allowed range, static keys. */
export function baseProps(stack: Stack): McpFargateServiceProps {
  return {
    imageDigest: DIGEST,
    repository: ecr.Repository.fromRepositoryName(stack, 'Repo', 'mcp'),
    certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERTIFICATE_ARN),
    domainName: 'mcp.example.com',
    allowedCidrs: ['203.0.113.0/24'],
    auth: { mode: 'keys', keysSecret: { secret: AUTH_KEYS_ARN } },
  };
}

/** GIVEN `baseProps` with `extra` WHEN synthesized (validation included): the stack, the construct and its template. */
export function synthService(extra: (stack: Stack) => Partial<McpFargateServiceProps>, context: Record<string, unknown> = {}) {
  const stack = new Stack(testApp(context), 'Stack', { env: ENV });
  const mcp = new McpFargateService(stack, 'Mcp', { ...baseProps(stack), ...extra(stack) });
  return { stack, mcp, template: Template.fromStack(stack) };
}

/** The one resource of `type` whose properties are like `props`. */
export function only(template: Template, type: string, props: Record<string, unknown> = {}): { Properties: Record<string, any>; [key: string]: any } {
  const found = Object.values(template.findResources(type, { Properties: Match.objectLike(props) }));
  assert.equal(found.length, 1, `expected exactly one ${type} like ${JSON.stringify(props)}, found ${found.length}`);
  return found[0] as { Properties: Record<string, any> };
}

/** The container definitions of the one task definition, by name. */
export function containers(template: Template): Record<string, Record<string, any>> {
  const defs = only(template, 'AWS::ECS::TaskDefinition').Properties.ContainerDefinitions as Record<string, any>[];
  return Object.fromEntries(defs.map((c) => [c.Name as string, c]));
}

/** A container's plain environment as an object. */
export function environmentOf(container: Record<string, any>): Record<string, unknown> {
  return Object.fromEntries(((container.Environment ?? []) as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]));
}

/** A container's secrets as an object of valueFrom. */
export function secretsOf(container: Record<string, any>): Record<string, unknown> {
  return Object.fromEntries(((container.Secrets ?? []) as { Name: string; ValueFrom: unknown }[]).map((e) => [e.Name, e.ValueFrom]));
}

/** The statements of the task execution role's policy. */
export function executionStatements(template: Template): Record<string, any>[] {
  const roleRef = only(template, 'AWS::ECS::TaskDefinition').Properties.ExecutionRoleArn['Fn::GetAtt'][0];
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(roleRef));
  assert.equal(policies.length, 1);
  return (policies[0] as { Properties: { PolicyDocument: { Statement: Record<string, any>[] } } }).Properties.PolicyDocument.Statement;
}

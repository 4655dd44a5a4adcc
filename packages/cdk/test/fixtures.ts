// Shared fixtures for the CDK tests: realistic ids (the bundled CloudFormation validator checks their formats).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { mcpFargateAppContext } from '../src/app.js';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const ENV = { account: ACCOUNT, region: REGION } as const;
export const DIGEST = `sha256:${'3f1c9d5e'.repeat(8)}`;
export const CERTIFICATE_ARN = `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d`;
export const KMS_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
export const SECRET_COMPLETE_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/mcp-api-Ab12Cd`;
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

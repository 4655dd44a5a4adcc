// The quality gates on the synthesized app: cdk-nag's AwsSolutions pack and the CloudFormation validator bundled
// with aws-cdk-lib (findings as errors), over the example config and the other shapes a config can take.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { createMcpFargateApp, synthesizeMcpFargateApp } from '../src/app.js';
import { loadDeploymentConfig, parseDeploymentConfig } from '../src/deployment-config.js';
import { validatePlainEnvironment } from '../src/validation.js';
import {
  EXAMPLE_CONFIG,
  EXISTING_VPC_CONTEXT,
  EXISTING_VPC_ID,
  REPO_ROOT,
  S3_PREFIX_LIST_CONTEXT,
  acknowledgements,
  readExampleConfig,
  tempDir,
} from './fixtures.js';

interface Report {
  pluginReports: { pluginName: string; violations: { ruleName: string; severity: string; description: string }[] }[];
}

function synthesize(config: ReturnType<typeof loadDeploymentConfig>, context: Record<string, unknown> = {}) {
  const outdir = tempDir('gates');
  const built = createMcpFargateApp(config, { outdir, context });
  const assembly = built.app.synth();
  const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as Report;
  return { ...built, assembly, report };
}

function findings(report: Report): string[] {
  return report.pluginReports.flatMap((p) => p.violations.map((v) => `${p.pluginName} ${v.severity} ${v.ruleName}: ${v.description}`));
}

function variant(patch: (config: Record<string, any>) => void) {
  const config = structuredClone(readExampleConfig()) as Record<string, any>;
  patch(config);
  return parseDeploymentConfig(JSON.parse(JSON.stringify(config)));
}

/**
 * Each acknowledgement's reason, checked against the synthesized template: a reason that stops being true (a secret in
 * the plain environment, a second wildcard action, a public port the reason does not name) fails here.
 */
const CLAIMS: Record<string, (template: Template, reason: string) => void> = {
  // "The plain environment holds settings only ...; the construct refuses names and values that look like credentials,
  // and credentials come from Secrets Manager through the task definition secrets."
  // Every container: the gateway and any sidecar.
  'AwsSolutions::AwsSolutions-ECS2': (template) => {
    const [task] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
    for (const container of (task?.Properties.ContainerDefinitions ?? []) as Record<string, any>[]) {
      for (const { Name, Value } of (container.Environment ?? []) as { Name: string; Value: unknown }[]) {
        const text = typeof Value === 'string' ? Value : JSON.stringify(Value);
        assert.doesNotThrow(() => validatePlainEnvironment('environment', Name, text), `environment.${Name} looks like a credential`);
      }
      for (const secret of (container.Secrets ?? []) as { ValueFrom: unknown }[]) assert.match(JSON.stringify(secret.ValueFrom), /secretsmanager/);
    }
  },
  // "ecr:GetAuthorizationToken supports no resource-level permissions; image pulls themselves are scoped to the repository."
  'AwsSolutions::AwsSolutions-IAM5[Resource::*]': (template) => {
    const [task] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
    const role = task?.Properties.ExecutionRoleArn['Fn::GetAtt'][0];
    const [policy] = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(role));
    const statements = policy?.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[];
    assert.deepEqual(
      statements.filter((s) => s.Resource === '*').map((s) => s.Action),
      ['ecr:GetAuthorizationToken'],
    );
    const pull = statements.find((s) => [s.Action].flat().includes('ecr:BatchGetImage'));
    assert.ok(pull !== undefined && pull.Resource !== '*' && /repository\//.test(JSON.stringify(pull.Resource)), JSON.stringify(pull));
  },
  // "This bucket receives the load balancer access logs; ... Access is private, TLS-only and its objects expire after 90 days."
  'AwsSolutions::AwsSolutions-S1': (template) => {
    const [[bucketId, bucket]] = Object.entries(template.findResources('AWS::S3::Bucket')) as [[string, { Properties: Record<string, any> }]];
    const [lb] = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'));
    const logBucket = ((lb?.Properties.LoadBalancerAttributes ?? []) as { Key: string; Value: unknown }[]).find(
      (a) => a.Key === 'access_logs.s3.bucket',
    )?.Value;
    assert.deepEqual(logBucket, { Ref: bucketId });
    assert.deepEqual(Object.values(bucket.Properties.PublicAccessBlockConfiguration), [true, true, true, true]);
    assert.deepEqual(
      bucket.Properties.LifecycleConfiguration.Rules.map((r: { ExpirationInDays: number }) => r.ExpirationInDays),
      [90],
    );
    const [policy] = Object.values(template.findResources('AWS::S3::BucketPolicy'));
    const statements = policy?.Properties.PolicyDocument.Statement as { Effect: string; Condition?: Record<string, Record<string, string>> }[];
    assert.ok(
      statements.some((st) => st.Effect === 'Deny' && st.Condition?.Bool?.['aws:SecureTransport'] === 'false'),
      'TLS-only',
    );
  },
  // "With auth keys (AUTH_MODE=keys), port N of this internet-facing load balancer is open to every IPv4 address, ...:
  // the gateway authenticates every request ..." or "With auth none, port N ... The owner acknowledged it ...: "...""
  'AwsSolutions::AwsSolutions-EC23': (template, reason) => {
    const [lb] = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'));
    assert.equal(lb?.Properties.Scheme, 'internet-facing');
    const open = Object.values(template.findResources('AWS::EC2::SecurityGroup'))
      .flatMap((sg) => (sg.Properties.SecurityGroupIngress ?? []) as { CidrIp?: string; FromPort: number }[])
      .filter((rule) => rule.CidrIp === '0.0.0.0/0')
      .map((rule) => rule.FromPort);
    assert.ok(open.length > 0);
    assert.deepEqual([...reason.matchAll(/port (\d+)/g)].map((m) => Number(m[1])).sort(), open.sort(), reason);
    // The mode the reason names is the one the gateway is told.
    const [task] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
    const env = task?.Properties.ContainerDefinitions[0].Environment as { Name: string; Value: string }[];
    const mode = env.find((e) => e.Name === 'AUTH_MODE')?.Value;
    assert.match(reason, new RegExp(`^With auth ${mode}[ ,]`));
    if (mode === 'none') assert.match(reason, /anyone who finds the URL can call the MCP\. The owner acknowledged it \(auth\.acknowledgeNoAuth\): ".{20,}"$/);
    else assert.match(reason, new RegExp(`\\(AUTH_MODE=${mode}\\).*the gateway authenticates every request to the MCP endpoints`));
  },
  // "No user signs in to this pool: self sign-up is off, the stack creates no users, and its only app client is a
  // confidential client allowed the client-credentials grant alone, with no sign-in flow. ..."
  'AwsSolutions::AwsSolutions-COG8': (template) => {
    const [pool] = Object.values(template.findResources('AWS::Cognito::UserPool'));
    assert.equal(pool?.Properties.AdminCreateUserConfig.AllowAdminCreateUserOnly, true);
    template.resourceCountIs('AWS::Cognito::UserPoolUser', 0);
    const clients = Object.values(template.findResources('AWS::Cognito::UserPoolClient')).map((c) => c.Properties);
    assert.equal(clients.length, 1);
    assert.deepEqual(
      [clients[0]?.GenerateSecret, clients[0]?.AllowedOAuthFlows, clients[0]?.ExplicitAuthFlows],
      [true, ['client_credentials'], ['ALLOW_REFRESH_TOKEN_AUTH']],
    );
  },
};

function verifyAcknowledgements(stack: Stack, acks: { id: string; reason: string }[]): void {
  const template = Template.fromStack(stack);
  for (const ack of acks) {
    const verify = CLAIMS[ack.id];
    assert.ok(verify !== undefined, `${ack.id} is acknowledged, but no test checks its reason: "${ack.reason}"`);
    verify(template, ack.reason);
  }
}

describe('quality gates', () => {
  const example = synthesize(loadDeploymentConfig(EXAMPLE_CONFIG));

  test('GIVEN the example config WHEN synthesized THEN cdk-nag and the CloudFormation validator report nothing', () => {
    assert.deepEqual(findings(example.report), []);
    assert.deepEqual(example.assembly.stacks.map((s) => s.stackName).sort(), ['McpFargate-mcp-github', 'McpFargate-mcp-github-repository']);
  });

  test('THEN every acknowledgement sits on the construct it is about, and what its reason claims is true of the template', () => {
    const acks = acknowledgements(example.app);
    // Ours: cdk-nag findings that are right for this design.
    const ours = acks.filter((a) => a.id.startsWith('AwsSolutions::'));
    assert.deepEqual(ours.map((a) => `${a.id} @ ${a.path}`).sort(), [
      'AwsSolutions::AwsSolutions-ECS2 @ McpFargate-mcp-github/Mcp/TaskDefinition',
      'AwsSolutions::AwsSolutions-IAM5[Resource::*] @ McpFargate-mcp-github/Mcp/TaskDefinition/ExecutionRole/DefaultPolicy',
      'AwsSolutions::AwsSolutions-S1 @ McpFargate-mcp-github/Mcp/AccessLogsBucket',
    ]);
    verifyAcknowledgements(example.serviceStack, ours);
    // aws-cdk-lib's own, made inside its L2 constructs (literal AZs, the flow log's camelCase options).
    const library = acks.filter((a) => !a.id.startsWith('AwsSolutions::'));
    assert.deepEqual([...new Set(library.map((a) => a.id))].sort(), [
      'CloudFormation-Validate::F3002',
      'CloudFormation-Validate::F3003',
      'CloudFormation-Validate::W3010',
    ]);
  });

  test('GIVEN an internal ALB, VPC endpoints only, an existing repository and a hosted zone THEN nothing is reported, and the reasons hold', () => {
    const { report, repositoryStack, serviceStack, app } = synthesize(
      variant((c) => {
        c.image.createRepository = false;
        delete c.image.keepImages;
        c.network = { egress: 'vpc-endpoints', egressRules: [{ cidr: '10.20.0.0/16', port: 5432 }] };
        c.loadBalancer = {
          scheme: 'internal',
          domainName: 'mcp.internal.example.com',
          hostedZone: { id: 'Z0123456789ABCDEFGHIJ', name: 'internal.example.com' },
        };
        c.stickiness = { type: 'lb-cookie', durationSeconds: 3600 };
        c.secrets.API_KEY = { secret: 'prod/api', format: 'string' };
      }),
      S3_PREFIX_LIST_CONTEXT,
    );
    assert.equal(repositoryStack, undefined);
    assert.deepEqual(findings(report), []);
    verifyAcknowledgements(
      serviceStack,
      acknowledgements(app).filter((a) => a.id.startsWith('AwsSolutions::')),
    );
  });

  test('GIVEN plain HTTP open to anyone without auth (acknowledged) in an existing VPC THEN the only finding is the plain-HTTP warning, and the open ingress is acknowledged truthfully', () => {
    const { report, app, serviceStack } = synthesize(
      variant((c) => {
        c.network = { vpcId: EXISTING_VPC_ID };
        c.loadBalancer = { insecureHttpForTesting: true };
        c.auth = { mode: 'none', acknowledgeNoAuth: 'A test deployment of the demo server, which holds no data' };
        c.stickiness = { type: 'off' };
        c.scaling = { minTasks: 1, maxTasks: 1 };
      }),
      EXISTING_VPC_CONTEXT,
    );
    const all = findings(report);
    assert.equal(all.length, 1, all.join('\n'));
    assert.match(all[0] ?? '', /warning .*insecureHttp.*plain HTTP/);
    const ours = acknowledgements(app).filter((a) => a.id.startsWith('AwsSolutions::'));
    assert.ok(
      ours.some((a) => a.id === 'AwsSolutions::AwsSolutions-EC23'),
      'open ingress is acknowledged with its reason',
    );
    verifyAcknowledgements(serviceStack, ours);
  });

  for (const [name, file, acks] of [
    ['stdio', 'mcp-fargate.stdio.config.json', ['AwsSolutions-COG8', 'AwsSolutions-EC23']],
    ['sidecar', 'mcp-fargate.sidecar.config.json', []],
  ] as const) {
    test(`GIVEN the ${name} example (issues 9-11) THEN nothing is reported, and each acknowledgement is true of the template`, () => {
      const built = synthesize(loadDeploymentConfig(join(REPO_ROOT, 'examples', file)));
      assert.deepEqual(findings(built.report), []);
      const ours = acknowledgements(built.app).filter((a) => a.id.startsWith('AwsSolutions::'));
      const base = ['AwsSolutions-ECS2', 'AwsSolutions-IAM5[Resource::*]', 'AwsSolutions-S1'];
      assert.deepEqual(ours.map((a) => a.id.replace('AwsSolutions::', '')).sort(), [...base, ...acks].sort());
      verifyAcknowledgements(built.serviceStack, ours);
    });
  }

  test('GIVEN a config with the valkey store, servers (one a sidecar), a Cognito pool and WAF THEN nothing is reported', () => {
    const built = synthesize(
      variant((c) => {
        c.sessionStore = 'valkey';
        c.stickiness = { type: 'off' };
        c.waf = { rateLimitPer5Minutes: 2000 };
        c.auth = { mode: 'oauth', cognito: { domainPrefix: 'acme-mcp-gallery' } };
        c.servers = {
          github: { command: 'github-mcp-server stdio', passEnv: ['GITHUB_TOKEN'], default: true },
          docs: { url: 'https://docs.example.net/mcp', headers: { Authorization: `Bearer \${GITHUB_TOKEN}` } },
          weather: {
            image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp-weather@sha256:${'ab'.repeat(32)}`,
            port: 8001,
            healthCheck: { command: ['CMD', 'python', '-c', 'print(1)'] },
          },
        };
        c.network = { egress: 'vpc-endpoints' };
      }),
      S3_PREFIX_LIST_CONTEXT,
    );
    assert.deepEqual(findings(built.report), []);
    verifyAcknowledgements(
      built.serviceStack,
      acknowledgements(built.app).filter((a) => a.id.startsWith('AwsSolutions::')),
    );
  });

  test('GIVEN a resource that breaks the rules THEN both gates fail synth (they are not vacuous)', () => {
    const outdir = tempDir('gates');
    const built = createMcpFargateApp(loadDeploymentConfig(EXAMPLE_CONFIG), { outdir });
    const stack: Stack = built.serviceStack;
    const bucket = new s3.Bucket(stack, 'Unchecked');
    (bucket.node.defaultChild as s3.CfnBucket).addPropertyOverride('BucketName', 'Not_A_Valid_Name');
    assert.throws(() => built.app.synth(), /Validation failed/);
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as Report;
    const all = findings(report).join('\n');
    assert.match(all, /AwsSolutions error AwsSolutions-S1:/);
    assert.match(all, /AwsSolutions error AwsSolutions-S10:/);
    assert.match(all, /CloudFormation Validate error F3031:.*Not_A_Valid_Name/);
  });

  test('WHEN `npm run synth` runs without AWS credentials THEN the example synthesizes to the output directory', async () => {
    const out = tempDir('synth');
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_') && !key.startsWith('CDK_')));
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [join(REPO_ROOT, 'packages/cdk/dist/src/main.js'), '--config', EXAMPLE_CONFIG, '--output', out],
      { env, cwd: REPO_ROOT },
    );
    assert.match(stdout, /Synthesized McpFargate-mcp-github-repository, McpFargate-mcp-github/);
    // The new VPC's zones are looked up for a stack with an account; standalone, nothing performs that lookup.
    assert.match(stderr, /^note: context lookups pending \(availability-zones\): the templates hold placeholder values/m);
    const template = JSON.parse(readFileSync(join(out, 'McpFargate-mcp-github.template.json'), 'utf8')) as {
      Outputs: Record<string, { Value: unknown }>;
    };
    const url = Object.entries(template.Outputs).find(([key]) => key.startsWith('McpMcpUrl'))?.[1].Value;
    assert.equal(url, 'https://mcp.example.com/mcp');
    const report = JSON.parse(readFileSync(join(out, 'validation-report.json'), 'utf8')) as Report;
    assert.deepEqual(findings(report), []);
    assert.match(stdout, /^sessions: memory: a legacy MCP session lives on the task that created it/m);
  });

  test('WHEN `npm run synth -- --config <example>` runs (a second --config wins) THEN the stdio and sidecar examples synthesize too', async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_') && !key.startsWith('CDK_')));
    for (const [file, stack, sessions] of [
      [
        'mcp-fargate.stdio.config.json',
        'McpFargate-mcp-github-stdio',
        /^sessions: redis \(ElastiCache Serverless for Valkey\): any task serves any legacy MCP session/m,
      ],
      ['mcp-fargate.sidecar.config.json', 'McpFargate-mcp-weather', /^sessions: memory: /m],
    ] as const) {
      const out = tempDir('synth');
      const main = join(REPO_ROOT, 'packages/cdk/dist/src/main.js');
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [main, '--config', EXAMPLE_CONFIG, '--output', out, '--config', join(REPO_ROOT, 'examples', file)],
        { env, cwd: REPO_ROOT },
      );
      assert.match(stdout, new RegExp(`^Synthesized ${stack}-repository, ${stack} to `, 'm'));
      assert.match(stdout, sessions);
    }
  });

  describe('GIVEN an existing VPC (network.vpcId) and no lookup context', () => {
    // Before the lookup, aws-cdk-lib substitutes placeholder ids (vpc-12345, s-12345) that the validator rejects.
    const main = join(REPO_ROOT, 'packages/cdk/dist/src/main.js');
    const noAws = () => Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_') && !key.startsWith('CDK_')));
    function configFile(): { dir: string; path: string } {
      const dir = tempDir('lookup');
      const path = join(dir, 'mcp-fargate.config.json');
      writeFileSync(path, JSON.stringify({ ...readExampleConfig(), network: { vpcId: EXISTING_VPC_ID } }));
      return { dir, path };
    }

    test('WHEN the CDK toolkit runs main.js (CDK_OUTDIR) THEN it exits 0 with the lookup recorded in the manifest', async () => {
      const { dir, path } = configFile();
      const out = join(dir, 'cdk.out');
      // A non-zero exit would make the toolkit fail instead of performing the lookup and running the app again.
      const { stdout } = await promisify(execFile)(process.execPath, [main, '--config', path], {
        env: { ...noAws(), CDK_OUTDIR: out },
        cwd: dir,
        maxBuffer: 16 * 1024 * 1024,
      });
      assert.match(stdout, /^context lookups pending: vpc-provider(, availability-zones)?$/m);
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { missing?: { provider: string; key: string }[] };
      assert.equal(manifest.missing?.[0]?.provider, 'vpc-provider');
      assert.match(manifest.missing?.[0]?.key ?? '', new RegExp(`filter\\.vpc-id=${EXISTING_VPC_ID}:`));
    });

    test('WHEN main.js runs standalone (--output, no toolkit) THEN it exits 1 naming the pending lookup, not a stack trace', async () => {
      const { dir, path } = configFile();
      await assert.rejects(
        promisify(execFile)(process.execPath, [main, '--config', path, '--output', join(dir, 'out')], { env: noAws(), maxBuffer: 16 * 1024 * 1024 }),
        (error: { code: number; stderr: string }) => {
          assert.equal(error.code, 1);
          assert.match(error.stderr, /^mcp-fargate synth failed: context lookups pending: vpc-provider.*CDK CLI/m);
          assert.doesNotMatch(error.stderr, /\n\s+at /);
          return true;
        },
      );
    });
  });

  test('GIVEN a manifest with pending lookups left by an earlier run WHEN synth fails before writing one THEN the failure is rethrown', () => {
    const outdir = tempDir('stale');
    const { account: _account, ...noAccount } = readExampleConfig();
    const built = createMcpFargateApp(parseDeploymentConfig(noAccount), { outdir });
    built.serviceStack.node.addValidation({ validate: () => ['deliberately broken'] });
    writeFileSync(join(outdir, 'manifest.json'), JSON.stringify({ version: '55.0.0', missing: [{ key: 'k', provider: 'vpc-provider', props: {} }] }));
    assert.throws(() => synthesizeMcpFargateApp(built.app), /deliberately broken/);
  });

  test('GIVEN a config with no lookups WHEN synthesizeMcpFargateApp runs THEN it returns the synthesized assembly', () => {
    const { account: _account, ...noAccount } = readExampleConfig();
    const built = createMcpFargateApp(parseDeploymentConfig(noAccount), { outdir: tempDir('plain') });
    const result = synthesizeMcpFargateApp(built.app);
    assert.equal(result.status, 'synthesized');
    assert.deepEqual(result.assembly.manifest.missing ?? [], []);
  });

  test('WHEN the config file is invalid THEN the app exits 1 with the message, not a stack trace', async () => {
    const dir = tempDir('bad');
    const path = join(dir, 'mcp-fargate.config.json');
    writeFileSync(path, JSON.stringify({ ...readExampleConfig(), image: { repositoryName: 'mcp', digest: 'latest' } }));
    await assert.rejects(
      promisify(execFile)(process.execPath, [join(REPO_ROOT, 'packages/cdk/dist/src/main.js'), '--config', path, '--output', dir]),
      (error: { code: number; stderr: string }) => {
        assert.equal(error.code, 1);
        assert.match(error.stderr, /^MCPF_CDK_IMAGE_TAG_NOT_ALLOWED: .*image\.digest got the tag "latest"/);
        assert.doesNotMatch(error.stderr, /\n\s+at /);
        return true;
      },
    );
  });
});

// Opt-in, never in CI: deploys the example stack to a real AWS account, checks the MCP through the ALB, destroys it.
// Run with `npm run test:aws`; see packages/cdk/README.md ("The opt-in real-account test") for the variables.
// Its file name does not end in .test.js, so `npm test` never picks it up.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { createMcpFargateApp, synthesizeMcpFargateApp } from '../src/app.js';
import { parseDeploymentConfig } from '../src/deployment-config.js';
import { readExampleConfig } from './fixtures.js';
import { listTools, waitFor200 } from './mcp-http.js';

const env = process.env;
const OPT_IN = 'MCP_FARGATE_AWS_TEST';
const required = ['AWS_REGION', 'MCP_FARGATE_AWS_IMAGE_REPOSITORY', 'MCP_FARGATE_AWS_IMAGE_DIGEST'] as const;
const missing = required.filter((name) => !env[name]);
const skip =
  env[OPT_IN] !== '1'
    ? `not opted in: set ${OPT_IN}=1 (with AWS credentials and ${required.join(', ')}) to deploy to a real account`
    : missing.length > 0
      ? `opted in, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set`
      : env.MCP_FARGATE_AWS_CERTIFICATE_ARN !== undefined && env.MCP_FARGATE_AWS_DOMAIN === undefined
        ? 'MCP_FARGATE_AWS_CERTIFICATE_ARN needs MCP_FARGATE_AWS_DOMAIN: the name the certificate covers'
        : false;

if (skip !== false) console.log(`# real-account test skipped: ${skip}`);

test('GIVEN AWS credentials and a pushed image WHEN the example stack is deployed THEN /healthz and tools/list answer through the ALB, and the stack is destroyed', {
  skip,
  timeout: 60 * 60_000,
}, async () => {
  // Loaded only here: the toolkit is a dev dependency for this test alone.
  const { Toolkit, StackSelectionStrategy } = await import('@aws-cdk/toolkit-lib');
  const suffix = randomBytes(3).toString('hex');
  const example = readExampleConfig() as Record<string, any>;
  const certificateArn = env.MCP_FARGATE_AWS_CERTIFICATE_ARN;
  const domainName = env.MCP_FARGATE_AWS_DOMAIN;
  const config = parseDeploymentConfig(
    {
      ...example,
      serviceName: `mcp-fargate-it-${suffix}`,
      stackName: `McpFargateIt-${suffix}`,
      account: undefined,
      region: env.AWS_REGION,
      image: { repositoryName: env.MCP_FARGATE_AWS_IMAGE_REPOSITORY, createRepository: false, digest: env.MCP_FARGATE_AWS_IMAGE_DIGEST },
      // The example's secret ARN is illustrative; the gateway's demo server needs none.
      secrets: {},
      environment: { LOG_LEVEL: 'info' },
      scaling: { minTasks: 1, maxTasks: 2 },
      network: { egress: 'nat', maxAzs: 2, natGateways: 1 },
      // The example's topic is in another account; alarms still show and still roll deployments back.
      alarms: {},
      // The stack is destroyed at the end, so nothing may protect it.
      deletionProtection: false,
      // HTTPS when a certificate (and the domain it covers, pointed at the ALB by you) is given; otherwise plain HTTP,
      // which is what insecureHttpForTesting exists for. Open to anyone without auth so this machine can reach it.
      loadBalancer:
        certificateArn !== undefined ? { scheme: 'internet-facing', certificateArn, domainName } : { scheme: 'internet-facing', insecureHttpForTesting: true },
      auth: { mode: 'none', acknowledgeNoAuth: 'The demo server holds no secret, and the stack lives for the minutes this test runs.' },
    },
    'real-account test config',
  );

  const toolkit = new Toolkit();
  // Pending lookups come back as an assembly with `missing` entries, which the toolkit answers and then rebuilds.
  const cx = await toolkit.fromAssemblyBuilder(
    async (props) =>
      synthesizeMcpFargateApp(
        createMcpFargateApp(config, {
          outdir: props.outdir,
          autoSynth: false,
          context: props.context,
          defaultEnv: { account: props.env?.CDK_DEFAULT_ACCOUNT, region: env.AWS_REGION },
        }).app,
      ).assembly,
  );
  const stacks = { strategy: StackSelectionStrategy.PATTERN_MUST_MATCH, patterns: [config.stackName] };
  let deployed = false;
  after(async () => {
    if (deployed) await toolkit.destroy(cx, { stacks });
  });

  deployed = true; // a failed deploy may leave a stack to delete
  const result = await toolkit.deploy(cx, { stacks });
  const outputs = result.stacks[0]?.outputs ?? {};
  const output = (prefix: string) => Object.entries(outputs).find(([key]) => key.startsWith(prefix))?.[1];
  const dnsName = output('McpLoadBalancerDnsName');
  assert.ok(dnsName, `stack outputs: ${JSON.stringify(outputs)}`);
  // With a certificate, the URL to register (its domain must point at the ALB: MCP_FARGATE_AWS_DOMAIN, set up by
  // you); without one, plain HTTP on the ALB's own name.
  const mcpUrl = certificateArn !== undefined ? (output('McpMcpUrl') ?? '') : `http://${dnsName}/mcp`;
  const base = mcpUrl.replace(/\/mcp$/, '');

  // ECS waited for a steady service; the ALB marks targets healthy after 2 checks 10 s apart.
  await waitFor200(`${base}/healthz`, 10 * 60_000);
  const tools = await listTools(mcpUrl);
  assert.ok(tools.length > 0, 'the MCP lists its tools through the ALB');
});

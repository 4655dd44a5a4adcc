#!/usr/bin/env node
// The CDK app entry point: `node dist/src/main.js [--config mcp-fargate.config.json] [--output cdk.out]`, or the
// `app` of a cdk.json for the CDK CLI, which passes CDK_OUTDIR and the default account and region in the environment.
import { parseArgs } from 'node:util';
import { createMcpFargateApp, synthesizeMcpFargateApp } from './app.js';
import { loadDeploymentConfig } from './deployment-config.js';
import { McpFargateError } from './errors.js';

const USAGE = `Usage: node packages/cdk/dist/src/main.js [--config <file>] [--output <dir>]

Synthesizes the mcp-fargate stacks for a deployment config: the app of a cdk.json for the CDK CLI, or standalone.
  --config <file>     the deployment config (default: $MCP_FARGATE_CONFIG, else ./mcp-fargate.config.json); given
                      twice, the last one wins, so \`npm run synth -- --config my.json\` synthesizes my.json
  --output, -o <dir>  where the cloud assembly goes (default: $CDK_OUTDIR, else a temporary directory)
  --help, -h          this text
`;

let values: { config: string; output?: string | undefined; help?: boolean | undefined };
try {
  ({ values } = parseArgs({
    options: {
      config: { type: 'string', default: process.env.MCP_FARGATE_CONFIG ?? 'mcp-fargate.config.json' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (error) {
  // A mistyped flag is a usage problem, not a crash: say which and show the usage.
  process.stderr.write(`mcp-fargate synth: ${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (values.help === true) {
  process.stdout.write(USAGE);
  process.exit(0);
}

try {
  const config = loadDeploymentConfig(values.config);
  if (
    config.region === undefined &&
    process.env.CDK_DEFAULT_REGION === undefined &&
    process.env.AWS_REGION === undefined &&
    process.env.AWS_DEFAULT_REGION === undefined
  ) {
    // Named here because only the entry point knows which file it read.
    throw new McpFargateError(
      'MCPF_CDK_REGION_REQUIRED',
      `${values.config}: region is required: add "region" to the file, or run with AWS_REGION set (ALB access logs are granted to the region's Elastic Load Balancing account)`,
    );
  }
  const { app, serviceStack } = createMcpFargateApp(config, {
    outdir: values.output,
    autoSynth: false, // synthesized below, once
    defaultEnv: {
      account: process.env.CDK_DEFAULT_ACCOUNT,
      region: process.env.CDK_DEFAULT_REGION ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
    },
  });
  const result = synthesizeMcpFargateApp(app);
  if (result.status === 'lookups-pending') {
    const pending = `context lookups pending: ${result.providers.join(', ')}`;
    if (process.env.CDK_OUTDIR !== undefined) {
      // Run by the CDK toolkit (it sets CDK_OUTDIR): it performs the lookups recorded in the assembly's `missing`,
      // stores them in cdk.context.json and runs the app again, which then validates with the real values. The
      // toolkit does that only for an app that exited 0.
      console.log(pending);
    } else {
      // Standalone, nobody performs the lookups: the assembly holds placeholder values and is not valid.
      console.error(
        `mcp-fargate synth failed: ${pending}; the templates hold placeholder values until they are answered. ` +
          'Synthesize through the CDK CLI (`npx cdk synth` next to a cdk.json such as examples/cdk.json), which ' +
          'performs the lookups with your AWS credentials and records them in cdk.context.json.',
      );
      process.exitCode = 1;
    }
  } else if (values.output !== undefined) {
    const { assembly } = result;
    console.log(`Synthesized ${assembly.stacks.map((s) => s.stackName).join(', ')} to ${assembly.directory}`);
    // What a deploy, a scale-in or a crash does to a legacy session differs by store: say it where the reader looks.
    console.log(`sessions: ${serviceStack.mcp.sessionSummary}`);
    // Lookups that do not fail synth (availability zones, the S3 prefix list) leave placeholder values in the
    // templates: fine to read, not to deploy as they are.
    const pending = [...new Set((assembly.manifest.missing ?? []).map((m) => m.provider))];
    if (pending.length > 0) {
      console.error(
        `note: context lookups pending (${pending.join(', ')}): the templates hold placeholder values for them; ` +
          'deploy through the CDK CLI (`npx cdk deploy` next to a cdk.json such as examples/cdk.json), which performs the lookups first.',
      );
    }
  }
} catch (error) {
  if (error instanceof McpFargateError) {
    console.error(error.message);
  } else {
    // Validation findings were printed above by aws-cdk-lib; the message says where the report is.
    console.error(`mcp-fargate synth failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exitCode = 1;
}

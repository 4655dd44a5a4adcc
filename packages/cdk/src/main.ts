#!/usr/bin/env node
// The CDK app entry point: `node dist/src/main.js [--config mcp-fargate.config.json] [--output cdk.out]`, or the
// `app` of a cdk.json for the CDK CLI, which passes CDK_OUTDIR and the default account and region in the environment.
import { parseArgs } from 'node:util';
import { createMcpFargateApp } from './app.js';
import { loadDeploymentConfig } from './deployment-config.js';
import { McpFargateError } from './errors.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: process.env.MCP_FARGATE_CONFIG ?? 'mcp-fargate.config.json' },
    output: { type: 'string', short: 'o' },
  },
});

try {
  const config = loadDeploymentConfig(values.config);
  const { app } = createMcpFargateApp(config, {
    outdir: values.output,
    defaultEnv: {
      account: process.env.CDK_DEFAULT_ACCOUNT,
      region: process.env.CDK_DEFAULT_REGION ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
    },
  });
  const assembly = app.synth();
  if (values.output !== undefined) {
    console.log(`Synthesized ${assembly.stacks.map((s) => s.stackName).join(', ')} to ${assembly.directory}`);
  }
} catch (error) {
  if (error instanceof McpFargateError) {
    console.error(error.message);
    process.exitCode = 1;
  } else {
    throw error;
  }
}

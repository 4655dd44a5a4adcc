import { createMcpFargateApp, type DeploymentConfig, McpFargateError, synthesizeMcpFargateApp } from '@mcp-fargate/cdk';
import { CliError } from '../errors.js';
import type { AssemblySource } from './stack-deployer.js';

/** The CDK app of a validated config, synthesized where the toolkit (or `synth`) asks. */
export function configAssembly(config: DeploymentConfig): AssemblySource {
  return (build) => {
    try {
      const { app } = createMcpFargateApp(config, {
        outdir: build.outdir,
        autoSynth: false,
        context: build.context,
        defaultEnv: { account: build.account, region: config.region },
      });
      return synthesizeMcpFargateApp(app).assembly;
    } catch (error) {
      // The construct's own errors name the field and the fix; validator and cdk-nag findings were printed above.
      const message = error instanceof McpFargateError ? error.message : `synthesis failed: ${(error as Error).message}`;
      throw new CliError('MCPF_CLI_STACK_FAILED', message);
    }
  };
}

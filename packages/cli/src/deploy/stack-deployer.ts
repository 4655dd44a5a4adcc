import type { McpFargateSynthResult } from '@mcp-fargate/cdk';

/** What an assembly is built with: where it goes, the toolkit's context (answered lookups), the default account. */
export interface AssemblyBuild {
  readonly outdir: string;
  readonly context: Record<string, unknown>;
  readonly account: string | undefined;
}

/** Synthesizes the app into `build.outdir` (pending lookups included, for the toolkit to answer). */
export type AssemblySource = (build: AssemblyBuild) => McpFargateSynthResult['assembly'];

/**
 * The one seam between the CLI and CloudFormation. The real one is `@aws-cdk/toolkit-lib`; tests pass a recorder
 * that synthesizes the same assembly and keeps the template it was handed, since nothing here may reach AWS.
 */
export interface StackDeployer {
  /** Deploys one stack of the assembly and returns its outputs. */
  deploy(stackName: string, source: AssemblySource): Promise<Record<string, string>>;
  /** Deletes one stack of the assembly. */
  destroy(stackName: string, source: AssemblySource): Promise<void>;
}

type ToolkitLib = typeof import('@aws-cdk/toolkit-lib');
type Toolkit = InstanceType<ToolkitLib['Toolkit']>;

/** The toolkit's view of an assembly source: it passes the outdir, the context it has answered and the default env. */
export function toolkitAssembly(toolkit: Toolkit, source: AssemblySource) {
  return toolkit.fromAssemblyBuilder(async (props) =>
    source({ outdir: props.outdir ?? '', context: props.context ?? {}, account: props.env?.CDK_DEFAULT_ACCOUNT }),
  );
}

/** The deployer over `@aws-cdk/toolkit-lib`: context lookups, asset publishing and the CloudFormation deploy. */
export async function toolkitDeployer(): Promise<StackDeployer> {
  // Loaded on first use: only deploy and destroy need it, and it is large.
  const { Toolkit, StackSelectionStrategy } = await import('@aws-cdk/toolkit-lib');
  const toolkit = new Toolkit();
  const select = (stackName: string) => ({ strategy: StackSelectionStrategy.PATTERN_MUST_MATCH, patterns: [stackName] });
  return {
    async deploy(stackName, source) {
      const result = await toolkit.deploy(await toolkitAssembly(toolkit, source), { stacks: select(stackName) });
      return { ...result.stacks.find((stack) => stack.stackName === stackName)?.outputs };
    },
    async destroy(stackName, source) {
      await toolkit.destroy(await toolkitAssembly(toolkit, source), { stacks: select(stackName) });
    },
  };
}

import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { DeploymentConfig } from './deployment-config.js';
import { McpFargateError } from './errors.js';
import { McpFargateStack, McpImageRepositoryStack, tagStack } from './mcp-fargate-stack.js';

const require = createRequire(import.meta.url);

/** The feature flags `cdk init` writes into a new project's cdk.json, as shipped with this aws-cdk-lib. */
const RECOMMENDED_FEATURE_FLAGS = require('aws-cdk-lib/recommended-feature-flags.json') as Record<string, unknown>;

/** The context every mcp-fargate app synthesizes with: recommended flags, validator findings as errors. */
export function mcpFargateAppContext(): Record<string, unknown> {
  return { ...RECOMMENDED_FEATURE_FLAGS, '@aws-cdk/core:validateAgainstDefaultRules': true };
}

export interface McpFargateAppOptions {
  /**
   * Where the cloud assembly goes.
   * @default - `CDK_OUTDIR` when the CDK CLI runs the app, otherwise a temporary directory
   */
  readonly outdir?: string;

  /**
   * Account and region for stacks whose config names none (the CDK CLI passes `CDK_DEFAULT_ACCOUNT` and
   * `CDK_DEFAULT_REGION`).
   * @default - none: the config must name a region
   */
  readonly defaultEnv?: { readonly account?: string; readonly region?: string };

  /**
   * Extra context (feature flags, lookups).
   * @default - none beyond the recommended feature flags and `@aws-cdk/core:validateAgainstDefaultRules`
   */
  readonly context?: Record<string, unknown>;

  /**
   * Synthesize automatically when the process is about to exit (see `AppProps.autoSynth`). Give `false` when you call
   * `synthesizeMcpFargateApp` yourself: after a synth that failed only because context lookups are pending, the
   * automatic one would fail the process again.
   * @default - aws-cdk-lib's default: true when run by the CDK toolkit (CDK_OUTDIR is set)
   */
  readonly autoSynth?: boolean;
}

export interface McpFargateApp {
  readonly app: App;
  /** The repository stack; absent when the config uses an existing repository. */
  readonly repositoryStack?: McpImageRepositoryStack;
  readonly serviceStack: McpFargateStack;
}

/**
 * The CDK app for a deployment config: the repository stack (unless the repository exists already), the service
 * stack, cdk-nag's AwsSolutions pack and the bundled CloudFormation validator with findings as errors. Synthesis
 * fails on any unacknowledged finding.
 */
export function createMcpFargateApp(config: DeploymentConfig, options: McpFargateAppOptions = {}): McpFargateApp {
  const region = config.region ?? options.defaultEnv?.region;
  if (region === undefined) {
    throw new McpFargateError(
      'MCPF_CDK_REGION_REQUIRED',
      'mcp-fargate.config.json: region is required (or run with AWS_REGION / CDK_DEFAULT_REGION set): ALB access logs ' +
        'are granted to the Elastic Load Balancing account of the region',
    );
  }
  const env = { account: config.account ?? options.defaultEnv?.account, region };
  const app = new App({
    outdir: options.outdir,
    autoSynth: options.autoSynth,
    context: { ...mcpFargateAppContext(), ...options.context },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const repositoryStack = config.image.createRepository
    ? new McpImageRepositoryStack(app, `${config.stackName}-repository`, {
        env,
        terminationProtection: config.deletionProtection,
        description: `ECR repository for the ${config.serviceName} MCP image (mcp-fargate)`,
        repositoryName: config.image.repositoryName,
        keepImages: config.image.keepImages,
      })
    : undefined;
  const serviceStack = new McpFargateStack(app, config.stackName, {
    env,
    description: `${config.serviceName}: an MCP server on ECS Fargate behind an Application Load Balancer (mcp-fargate)`,
    config,
  });
  if (repositoryStack !== undefined) {
    tagStack(repositoryStack, config);
    serviceStack.addStackDependency(repositoryStack, 'the image is pulled from this repository');
  }
  return { app, repositoryStack, serviceStack };
}

/** What `synthesizeMcpFargateApp` produced. */
export type McpFargateSynthResult =
  | { readonly status: 'synthesized'; readonly assembly: CloudAssembly }
  | {
      /**
       * Context lookups (e.g. `Vpc.fromLookup` of `network.vpcId`) are still pending: the assembly records them in
       * `missing` and the CDK toolkit performs them, then runs the app again.
       */
      readonly status: 'lookups-pending';
      readonly assembly: CloudAssembly;
      /** The pending lookups' providers (`vpc-provider`, …), in manifest order. */
      readonly providers: readonly string[];
    };

/**
 * Synthesizes the app. Before context lookups are answered, aws-cdk-lib builds the stacks with placeholder ids
 * (`vpc-12345`, `s-12345`) and the bundled CloudFormation validator rejects them, so synth throws even though the
 * assembly, with its `missing` entries, was already written. That case is returned as `lookups-pending` so the
 * caller can hand the assembly back to the CDK toolkit, which only performs lookups for an app that succeeded.
 * Any other failure is rethrown.
 */
export function synthesizeMcpFargateApp(app: App): McpFargateSynthResult {
  const manifest = join(app.outdir, 'manifest.json');
  // A manifest left by an earlier run must not turn a failure that happens before the assembly is written into
  // "lookups pending".
  rmSync(manifest, { force: true });
  try {
    return { status: 'synthesized', assembly: app.synth() };
  } catch (error) {
    const providers = pendingLookups(manifest);
    if (providers.length === 0) throw error;
    return { status: 'lookups-pending', assembly: new CloudAssembly(app.outdir), providers };
  }
}

/** The providers of the `missing` context entries of a cloud assembly manifest (none when it is absent). */
function pendingLookups(manifest: string): string[] {
  let text: string;
  try {
    text = readFileSync(manifest, 'utf8');
  } catch {
    return [];
  }
  const parsed = JSON.parse(text) as { missing?: { provider?: unknown }[] };
  return [...new Set((parsed.missing ?? []).map((m) => String(m.provider)))];
}

import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { configAssembly } from '../deploy/assembly.js';
import { DEFAULT_CONFIG_FILE, loadProjectConfig, PLACEHOLDER_DIGEST } from '../project-config.js';

export function registerSynth(program: Command, context: CliContext): void {
  program
    .command('synth')
    .description('write the CloudFormation templates (cloud assembly) for the config; no AWS credentials needed')
    .option('-c, --config <file>', 'the deployment config', DEFAULT_CONFIG_FILE)
    .option('-o, --output <dir>', 'where the cloud assembly goes', 'cdk.out')
    .option('--digest <sha256>', 'pin this image digest instead of the config file one')
    .addHelpText(
      'after',
      `
Examples:
  $ mcp-fargate synth                                   # ./mcp-fargate.config.json -> ./cdk.out
  $ mcp-fargate synth --config examples/mcp-fargate.config.json --output /tmp/out
  $ mcp-fargate synth --digest sha256:3f1c…             # the template as deploy would pin it`,
    )
    .action((flags: { config: string; output: string; digest?: string }) => {
      const project = loadProjectConfig(resolve(context.cwd, flags.config), {
        env: context.env,
        ...(flags.digest === undefined ? {} : { digest: flags.digest }),
      });
      const outdir = resolve(context.cwd, flags.output);
      const assembly = configAssembly(project.config)({ outdir, context: {}, account: undefined });
      for (const stack of assembly.stacks) context.out.write(`${stack.stackName}: ${resolve(outdir, stack.templateFile)}\n`);
      if (project.digestIsPlaceholder) {
        context.err.write(
          `note: image.digest is not set, so the template pins ${PLACEHOLDER_DIGEST}: for reading only. ` +
            '`mcp-fargate deploy` pushes the image and pins its real digest.\n',
        );
      }
      const pending = [...new Set((assembly.manifest.missing ?? []).map((m) => m.provider))];
      if (pending.length > 0) {
        context.err.write(
          `note: context lookups pending (${pending.join(', ')}): the templates hold placeholder values for them; \`mcp-fargate deploy\` performs the lookups with your credentials first.\n`,
        );
      }
    });
}

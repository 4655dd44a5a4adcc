import { resolve } from 'node:path';
import { DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DeleteRepositoryCommand } from '@aws-sdk/client-ecr';
import type { Command } from 'commander';
import { describeDeployedStack } from '../aws/deployed-stack.js';
import type { CliContext } from '../cli-context.js';
import { configAssembly } from '../deploy/assembly.js';
import { CliError } from '../errors.js';
import { DEFAULT_CONFIG_FILE, loadProjectConfig } from '../project-config.js';

export function registerDestroy(program: Command, context: CliContext): void {
  program
    .command('destroy')
    .description('delete the service stack after confirmation; the ECR repository and the log group stay unless asked')
    .option('-c, --config <file>', 'the deployment config', DEFAULT_CONFIG_FILE)
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--delete-repository', 'also delete the repository stack and the ECR repository with every image in it')
    .option('--delete-logs', 'also delete the log group')
    .addHelpText(
      'after',
      `
A stack deployed with "deletionProtection": true (the default) is protected: set it to false, run deploy, then destroy.

Examples:
  $ mcp-fargate destroy
  $ mcp-fargate destroy --yes --delete-logs`,
    )
    .action(async (flags: { config: string; yes?: boolean; deleteRepository?: boolean; deleteLogs?: boolean }) => {
      const { config } = loadProjectConfig(resolve(context.cwd, flags.config), { env: context.env });
      const aws = context.aws(config.region ?? '');
      const deployed = await describeDeployedStack(aws, config.stackName);
      if (deployed.stack.EnableTerminationProtection === true) {
        throw new CliError(
          'MCPF_CLI_STACK_FAILED',
          `${config.stackName} has termination protection: set "deletionProtection": false in ${flags.config}, run \`mcp-fargate deploy\`, then destroy`,
        );
      }
      const what = [
        config.stackName,
        ...(flags.deleteRepository ? [`${config.stackName}-repository and the ECR repository ${config.image.repositoryName}`] : []),
      ];
      if (flags.yes !== true) {
        if (context.ask === undefined) {
          throw new CliError('MCPF_CLI_DESTROY_NOT_CONFIRMED', `destroy deletes ${what.join(', ')}; there is no terminal to confirm on: pass --yes`);
        }
        const answer = await context.ask(`Delete ${what.join(', ')} in ${aws.region}? Type the stack name to confirm`, '');
        if (answer !== config.stackName) throw new CliError('MCPF_CLI_DESTROY_NOT_CONFIRMED', 'not confirmed; nothing was deleted');
      }
      const logGroupName = deployed.output('LogGroupName');
      const deployer = await context.deployer();
      await deployer.destroy(config.stackName, configAssembly(config));
      context.out.write(`deleted ${config.stackName}\n`);
      if (flags.deleteRepository && config.image.createRepository) {
        await deployer.destroy(`${config.stackName}-repository`, configAssembly(config));
        // The repository is retained when its stack goes (images outlive a stack), so it is deleted by name.
        await aws.ecr.send(new DeleteRepositoryCommand({ repositoryName: config.image.repositoryName, force: true }));
        context.out.write(`deleted ${config.stackName}-repository and ${config.image.repositoryName}\n`);
      }
      if (flags.deleteLogs && logGroupName !== undefined) {
        await aws.logs.send(new DeleteLogGroupCommand({ logGroupName }));
        context.out.write(`deleted the log group ${logGroupName}\n`);
      } else if (logGroupName !== undefined) {
        context.out.write(`kept the log group ${logGroupName} (--delete-logs deletes it)\n`);
      }
    });
}

import { resolve } from 'node:path';
import { DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Command } from 'commander';
import { describeDeployedStack } from '../aws/deployed-stack.js';
import type { CliContext } from '../cli-context.js';
import { DEFAULT_CONFIG_FILE, loadProjectConfig } from '../project-config.js';
import { table } from './table.js';

export function registerStatus(program: Command, context: CliContext): void {
  program
    .command('status')
    .description('the service, its tasks, target health, the running deployment and the MCP URL')
    .option('-c, --config <file>', 'the deployment config', DEFAULT_CONFIG_FILE)
    .addHelpText('after', '\nExamples:\n  $ mcp-fargate status\n  $ AWS_PROFILE=prod mcp-fargate status --config prod.config.json')
    .action(async (flags: { config: string }) => {
      const { config } = loadProjectConfig(resolve(context.cwd, flags.config), { env: context.env });
      const aws = context.aws(config.region ?? '');
      const deployed = await describeDeployedStack(aws, config.stackName);
      const cluster = deployed.output('ClusterName');
      const serviceName = deployed.output('ServiceName');
      const out: string[] = [`stack    ${config.stackName}: ${deployed.stack.StackStatus ?? '?'}`, `url      ${deployed.output('McpUrl') ?? '?'}`];
      if (cluster === undefined || serviceName === undefined) {
        context.out.write(`${out.join('\n')}\n(the stack has no ClusterName/ServiceName output yet)\n`);
        return;
      }
      const service = (await aws.ecs.send(new DescribeServicesCommand({ cluster, services: [serviceName] }))).services?.[0];
      out.push(
        `service  ${serviceName}: ${service?.status ?? '?'}, ${service?.runningCount ?? 0} running / ${service?.desiredCount ?? 0} desired / ${service?.pendingCount ?? 0} pending`,
      );
      out.push('', 'deployments');
      out.push(
        table(
          ['id', 'status', 'rollout', 'running', 'desired', 'task definition', 'updated'],
          (service?.deployments ?? []).map((d) => [
            d.id?.replace(/^ecs-svc\//, '') ?? '',
            d.status ?? '',
            d.rolloutState ?? '',
            String(d.runningCount ?? 0),
            String(d.desiredCount ?? 0),
            d.taskDefinition?.split('/').pop() ?? '',
            d.updatedAt?.toISOString() ?? '',
          ]),
        ),
      );
      const arns = (await aws.ecs.send(new ListTasksCommand({ cluster, serviceName }))).taskArns ?? [];
      const tasks = arns.length === 0 ? [] : ((await aws.ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks ?? []);
      out.push('', 'tasks');
      out.push(
        table(
          ['task', 'status', 'health', 'started', 'image digest'],
          tasks.map((t) => [
            t.taskArn?.split('/').pop() ?? '',
            t.lastStatus ?? '',
            t.healthStatus ?? '',
            t.startedAt?.toISOString() ?? '',
            t.containers?.[0]?.imageDigest?.slice(0, 19) ?? '',
          ]),
        ),
      );
      const targetGroupArn = service?.loadBalancers?.[0]?.targetGroupArn;
      if (targetGroupArn !== undefined) {
        const health = (await aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }))).TargetHealthDescriptions ?? [];
        out.push('', 'targets');
        out.push(
          table(
            ['target', 'port', 'state', 'reason'],
            health.map((h) => [h.Target?.Id ?? '', String(h.Target?.Port ?? ''), h.TargetHealth?.State ?? '', h.TargetHealth?.Description ?? '']),
          ),
        );
      }
      context.out.write(`${out.join('\n')}\n`);
    });
}

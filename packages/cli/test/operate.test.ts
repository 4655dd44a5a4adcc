// logs, status and destroy against mocked AWS SDK clients (aws-sdk-client-mock): what they ask AWS and what they print.
import assert from 'node:assert/strict';
import { after, beforeEach, describe, test } from 'node:test';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, DeleteLogGroupCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DeleteRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { formatLogEvent } from '../src/commands/logs-command.js';
import { cli, EXAMPLE_CONFIG, recordingDeployer } from './helpers.js';

const cloudFormation = mockClient(CloudFormationClient);
const logs = mockClient(CloudWatchLogsClient);
const ecs = mockClient(ECSClient);
const elbv2 = mockClient(ElasticLoadBalancingV2Client);
const ecr = mockClient(ECRClient);
const ALL = [cloudFormation, logs, ecs, elbv2, ecr];

const STACK = 'McpFargate-mcp-github';
const NOW = new Date('2026-12-01T12:00:00Z');

function deployedStack(protection = false) {
  cloudFormation.on(DescribeStacksCommand, { StackName: STACK }).resolves({
    Stacks: [
      {
        StackName: STACK,
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: NOW,
        EnableTerminationProtection: protection,
        Outputs: [
          { OutputKey: 'McpMcpUrl6F3B2A1C', OutputValue: 'https://mcp.example.com/mcp' },
          { OutputKey: 'McpServiceName0A1B2C3D', OutputValue: 'mcp-github' },
          { OutputKey: 'McpClusterName4E5F6A7B', OutputValue: 'McpFargate-mcp-github-Cluster' },
          { OutputKey: 'McpLogGroupName8C9D0E1F', OutputValue: '/mcp-fargate/mcp-github' },
        ],
      },
    ],
  });
}

beforeEach(() => {
  for (const mock of ALL) mock.reset();
});
after(() => {
  for (const mock of ALL) mock.restore();
});

describe('logs', () => {
  test('GIVEN gateway JSON lines and an EMF document THEN the requests print readably, metrics are left out, --since sets the start', async () => {
    deployedStack();
    logs.on(FilterLogEventsCommand).resolves({
      events: [
        {
          eventId: '1',
          timestamp: NOW.getTime() - 1000,
          message: JSON.stringify({
            level: 30,
            task: '27bd007bxx',
            msg: 'mcp request',
            method: 'POST',
            era: 'legacy',
            mcpMethod: 'tools/call',
            status: 200,
            durationMs: 3.2,
          }),
        },
        { eventId: '2', timestamp: NOW.getTime() - 900, message: JSON.stringify({ _aws: { CloudWatchMetrics: [] }, Requests: 3 }) },
        { eventId: '3', timestamp: NOW.getTime() - 800, message: 'plain text from a child process' },
      ],
    });
    const run = await cli(['logs', '--config', EXAMPLE_CONFIG, '--since', '1h'], { now: () => NOW });
    assert.equal(run.code, 0, run.err);
    assert.equal(
      run.out,
      '11:59:59.000 INFO  [27bd007b] mcp request  method=POST era=legacy mcpMethod=tools/call status=200 durationMs=3.2\n11:59:59.200 plain text from a child process\n',
    );
    const input = logs.commandCalls(FilterLogEventsCommand)[0]?.args[0].input;
    assert.equal(input?.logGroupName, '/mcp-fargate/mcp-github');
    assert.equal(input?.startTime, NOW.getTime() - 3_600_000);
  });

  test('GIVEN --follow THEN it polls from the newest line seen, prints each line once, and stops on Ctrl-C', async () => {
    deployedStack();
    const line = (eventId: string, ms: number, msg: string) => ({
      eventId,
      timestamp: NOW.getTime() + ms,
      message: JSON.stringify({ level: 30, task: '27bd007bxx', msg }),
    });
    let interrupt: (() => void) | undefined;
    let polls = 0;
    logs.on(FilterLogEventsCommand).callsFake(() => {
      polls += 1;
      if (polls === 1) return { events: [line('1', 0, 'first')] };
      // The line at the boundary comes again with the new one; Ctrl-C arrives while this poll is answered.
      interrupt?.();
      return { events: [line('1', 0, 'first'), line('2', 500, 'second')] };
    });
    const run = await cli(['logs', '--config', EXAMPLE_CONFIG, '--follow'], {
      now: () => NOW,
      onInterrupt: (listener) => {
        interrupt = listener;
        return () => {
          interrupt = undefined;
        };
      },
    });
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out, '12:00:00.000 INFO  [27bd007b] first\n12:00:00.500 INFO  [27bd007b] second\n');
    assert.deepEqual(
      logs.commandCalls(FilterLogEventsCommand).map((call) => call.args[0].input.startTime),
      [NOW.getTime() - 600_000, NOW.getTime()],
    );
    assert.equal(interrupt, undefined, 'the Ctrl-C listener was taken back');
  });

  test('GIVEN a stack that is not deployed THEN it says so and what to run', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(new Error(`Stack with id ${STACK} does not exist`));
    const run = await cli(['logs', '--config', EXAMPLE_CONFIG]);
    assert.equal(run.code, 1);
    assert.match(run.err, /the stack McpFargate-mcp-github is not deployed in eu-west-1: run `mcp-fargate deploy`/);
  });

  test('GIVEN a bad --since THEN exit 2 naming the accepted forms', async () => {
    const run = await cli(['logs', '--config', EXAMPLE_CONFIG, '--since', 'yesterday']);
    assert.equal(run.code, 2);
    assert.match(run.err, /expected a duration such as 30s, 10m, 2h or 1d, got "yesterday"/);
  });

  test('GIVEN an error line with err THEN its message is shown', () => {
    assert.equal(
      formatLogEvent({ timestamp: 0, message: JSON.stringify({ level: 50, msg: 'hosted server failed', err: { message: 'GITHUB_TOKEN is not set' } }) }),
      '00:00:00.000 ERROR hosted server failed GITHUB_TOKEN is not set',
    );
  });
});

describe('status', () => {
  test('GIVEN a running service THEN the stack, URL, service counts, deployments, tasks and targets print as tables', async () => {
    deployedStack();
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          status: 'ACTIVE',
          runningCount: 2,
          desiredCount: 2,
          pendingCount: 0,
          deployments: [
            {
              id: 'ecs-svc/123',
              status: 'PRIMARY',
              rolloutState: 'COMPLETED',
              runningCount: 2,
              desiredCount: 2,
              taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/mcp:7',
              updatedAt: NOW,
            },
          ],
          loadBalancers: [{ targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/mcp/abc' }],
        },
      ],
    });
    ecs.on(ListTasksCommand).resolves({ taskArns: ['arn:aws:ecs:eu-west-1:123456789012:task/c/aaaa1111'] });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/c/aaaa1111',
          lastStatus: 'RUNNING',
          healthStatus: 'HEALTHY',
          startedAt: NOW,
          containers: [{ imageDigest: `sha256:${'ab'.repeat(32)}` }],
        },
      ],
    });
    elbv2
      .on(DescribeTargetHealthCommand)
      .resolves({ TargetHealthDescriptions: [{ Target: { Id: '10.0.1.5', Port: 8080 }, TargetHealth: { State: 'healthy' } }] });
    const run = await cli(['status', '--config', EXAMPLE_CONFIG]);
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /^stack {4}McpFargate-mcp-github: UPDATE_COMPLETE$/m);
    assert.match(run.out, /^url {6}https:\/\/mcp\.example\.com\/mcp$/m);
    assert.match(run.out, /^service {2}mcp-github: ACTIVE, 2 running \/ 2 desired \/ 0 pending$/m);
    assert.match(run.out, /^ {2}123 +PRIMARY +COMPLETED +2 +2 +mcp:7 +2026-12-01T12:00:00\.000Z$/m);
    assert.match(run.out, /^ {2}aaaa1111 +RUNNING +HEALTHY +2026-12-01T12:00:00\.000Z +sha256:abababababab$/m);
    assert.match(run.out, /^ {2}10\.0\.1\.5 +8080 +healthy$/m);
    assert.equal(ecs.commandCalls(DescribeServicesCommand)[0]?.args[0].input.cluster, 'McpFargate-mcp-github-Cluster');
  });
});

describe('destroy', () => {
  test('GIVEN no terminal and no --yes THEN nothing is deleted and it says to pass --yes', async () => {
    deployedStack();
    const events: string[] = [];
    const run = await cli(['destroy', '--config', EXAMPLE_CONFIG], { deployer: async () => recordingDeployer({}, events) });
    assert.equal(run.code, 1);
    assert.match(run.err, /destroy deletes McpFargate-mcp-github; there is no terminal to confirm on: pass --yes/);
    assert.deepEqual(events, []);
  });

  test('GIVEN a confirmation that is not the stack name THEN nothing is deleted', async () => {
    deployedStack();
    const events: string[] = [];
    const run = await cli(['destroy', '--config', EXAMPLE_CONFIG], { deployer: async () => recordingDeployer({}, events), ask: async () => 'yes' });
    assert.equal(run.code, 1);
    assert.match(run.err, /not confirmed; nothing was deleted/);
    assert.deepEqual(events, []);
  });

  test('GIVEN --yes THEN the service stack goes, the repository and the log group stay (and say how to delete them)', async () => {
    deployedStack();
    const events: string[] = [];
    const run = await cli(['destroy', '--config', EXAMPLE_CONFIG, '--yes'], { deployer: async () => recordingDeployer({}, events) });
    assert.equal(run.code, 0, run.err);
    assert.deepEqual(events, ['destroy McpFargate-mcp-github']);
    assert.match(run.out, /kept the log group \/mcp-fargate\/mcp-github \(--delete-logs deletes it\)/);
    assert.equal(logs.commandCalls(DeleteLogGroupCommand).length, 0);
  });

  test('GIVEN --delete-logs THEN the log group is deleted after the stack', async () => {
    deployedStack();
    logs.on(DeleteLogGroupCommand).resolves({});
    const events: string[] = [];
    const run = await cli(['destroy', '--config', EXAMPLE_CONFIG, '--yes', '--delete-logs'], { deployer: async () => recordingDeployer({}, events) });
    assert.equal(run.code, 0, run.err);
    assert.equal(logs.commandCalls(DeleteLogGroupCommand)[0]?.args[0].input.logGroupName, '/mcp-fargate/mcp-github');
  });

  test('GIVEN --delete-repository THEN the repository stack goes after the service stack, and the retained repository is deleted by name', async () => {
    deployedStack();
    ecr.on(DeleteRepositoryCommand).resolves({});
    const events: string[] = [];
    const run = await cli(['destroy', '--config', EXAMPLE_CONFIG, '--yes', '--delete-repository'], { deployer: async () => recordingDeployer({}, events) });
    assert.equal(run.code, 0, run.err);
    assert.deepEqual(events, ['destroy McpFargate-mcp-github', 'destroy McpFargate-mcp-github-repository']);
    assert.deepEqual(
      ecr.commandCalls(DeleteRepositoryCommand).map((call) => call.args[0].input),
      [{ repositoryName: 'mcp-github', force: true }],
    );
    assert.match(run.out, /deleted McpFargate-mcp-github-repository and mcp-github/);
  });

  test('GIVEN a stack with termination protection THEN it explains the two steps, and nothing is deleted', async () => {
    deployedStack(true);
    const events: string[] = [];
    const run = await cli(['destroy', '--config', EXAMPLE_CONFIG, '--yes'], { deployer: async () => recordingDeployer({}, events) });
    assert.equal(run.code, 1);
    assert.match(run.err, /has termination protection: set "deletionProtection": false in .*, run `mcp-fargate deploy`, then destroy/);
    assert.deepEqual(events, []);
  });
});

// Issue 9 in the template: each kind of hosted server sets exactly the gateway variables the gateway reads, and a
// sidecar is a second container of the task that the gateway waits for and fronts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Duration } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import {
  AUTH_KEYS_ARN,
  DIGEST,
  SECRET_COMPLETE_ARN,
  containers,
  environmentOf,
  executionStatements,
  only,
  secretsOf,
  synthService,
} from '../../test/fixtures.js';

const SERVER_VARIABLES = ['MCP_SERVER', 'MCP_SERVER_COMMAND', 'MCP_SERVER_CWD', 'MCP_SERVER_ENV', 'MCP_SERVER_URL', 'MCP_SERVER_HEADERS', 'MCP_SERVERS'];
const HEALTH = ['CMD', 'python', '-c', "import socket; socket.create_connection(('127.0.0.1', 8000), 3).close()"];

/**
 * The gateway's MCP_SERVER* variables, and nothing else of its environment, as the container gets them: a value in
 * `Fn::Sub` is rendered as CloudFormation renders it (`${!NAME}` is a literal `${NAME}`; it has no other variable).
 */
function serverVariables(container: Record<string, any>): Record<string, unknown> {
  const rendered = (value: unknown) => {
    const sub = (value as { 'Fn::Sub'?: unknown } | undefined)?.['Fn::Sub'];
    if (typeof sub !== 'string') return value;
    assert.doesNotMatch(sub, /\$\{[^!]/, 'no CloudFormation variable in the gateway value');
    return sub.replaceAll('${!', '${');
  };
  return Object.fromEntries(
    Object.entries(environmentOf(container))
      .filter(([name]) => SERVER_VARIABLES.includes(name))
      .map(([name, value]) => [name, rendered(value)]),
  );
}

const moduleCase = synthService(() => ({ server: { module: '/app/server/index.js' } }));
const commandCase = synthService(() => ({
  server: {
    command: 'uvx mcp-server-fetch --user-agent "mcp fargate"',
    cwd: '/app/work',
    passEnv: ['FETCH_API_KEY', 'PYTHONPATH'],
    env: { FETCH_TIMEOUT: '30' },
  },
  secrets: { FETCH_API_KEY: { secret: SECRET_COMPLETE_ARN } },
}));
const urlCase = synthService(() => ({
  server: { url: 'https://mcp.internal.example.net/mcp', headers: { Authorization: `Bearer \${UPSTREAM_TOKEN}`, 'X-Team': 'platform' } },
  secrets: { UPSTREAM_TOKEN: { secret: 'prod/upstream-token' } },
}));
const sidecarCase = synthService((stack) => ({
  server: {
    image: { repository: ecr.Repository.fromRepositoryName(stack, 'PythonRepo', 'mcp-python'), digest: DIGEST },
    port: 8000,
    healthCheck: { command: HEALTH, startPeriod: Duration.seconds(20) },
    environment: { FASTMCP_PORT: '8000' },
    secrets: { WEATHER_API_KEY: { secret: SECRET_COMPLETE_ARN } },
  },
}));
const serversCase = synthService((stack) => ({
  servers: {
    demo: { module: '/app/demo/index.js' },
    everything: { command: 'npx -y @modelcontextprotocol/server-everything', env: { LOG_LEVEL: 'debug' }, passEnv: ['NPM_TOKEN'], default: true },
    docs: { url: 'https://docs.example.net/mcp', headers: { 'X-Api-Key': `\${DOCS_KEY}` } },
    weather: {
      image: { repository: ecr.Repository.fromRepositoryName(stack, 'WeatherRepo', 'mcp-weather'), digest: DIGEST },
      port: 8001,
      path: '/weather/mcp',
      healthCheck: { command: ['CMD-SHELL', 'python -c "import socket; socket.create_connection((\'127.0.0.1\', 8001), 3)"'] },
      user: 'app',
      readonlyRootFilesystem: false,
    },
  },
  secrets: { NPM_TOKEN: { secret: 'prod/npm' }, DOCS_KEY: { secret: 'prod/docs' } },
}));

describe('issue 9: the server the gateway hosts', () => {
  test('GIVEN server { module } THEN the gateway gets MCP_SERVER alone, and the task one container', () => {
    const { mcp } = containers(moduleCase.template);
    assert.deepEqual(serverVariables(mcp!), { MCP_SERVER: '/app/server/index.js' });
    assert.deepEqual(Object.keys(containers(moduleCase.template)), ['mcp']);
  });

  test('GIVEN server { command, cwd, passEnv, env } THEN MCP_SERVER_COMMAND, _CWD and _ENV name exactly what the child may see', () => {
    const { mcp } = containers(commandCase.template);
    assert.deepEqual(serverVariables(mcp!), {
      MCP_SERVER_COMMAND: 'uvx mcp-server-fetch --user-agent "mcp fargate"',
      MCP_SERVER_CWD: '/app/work',
      MCP_SERVER_ENV: 'FETCH_API_KEY,PYTHONPATH,FETCH_TIMEOUT',
    });
    // The child's values travel as gateway variables (named above); its credential only as a task definition secret.
    assert.equal(environmentOf(mcp!).FETCH_TIMEOUT, '30');
    assert.deepEqual(secretsOf(mcp!), { FETCH_API_KEY: SECRET_COMPLETE_ARN, AUTH_KEYS: AUTH_KEYS_ARN });
  });

  test('GIVEN a passEnv name nothing defines THEN synth warns that only the image can set it', () => {
    Annotations.fromStack(commandCase.stack).hasWarning(
      '/Stack/Mcp',
      Match.stringLikeRegexp('server.passEnv names PYTHONPATH, which neither environment nor secrets'),
    );
    assert.equal(Annotations.fromStack(moduleCase.stack).findWarning('*', Match.stringLikeRegexp('passEnv')).length, 0);
  });

  test('GIVEN server { url, headers } THEN MCP_SERVER_URL and MCP_SERVER_HEADERS, the credential a reference to a secret', () => {
    const { mcp } = containers(urlCase.template);
    assert.deepEqual(serverVariables(mcp!), {
      MCP_SERVER_URL: 'https://mcp.internal.example.net/mcp',
      MCP_SERVER_HEADERS: JSON.stringify({ Authorization: `Bearer \${UPSTREAM_TOKEN}`, 'X-Team': 'platform' }),
    });
    assert.match(String(secretsOf(mcp!).UPSTREAM_TOKEN), /secret:prod\/upstream-token$/);
  });

  describe('GIVEN server { image, port, healthCheck } (a sidecar)', () => {
    const all = containers(sidecarCase.template);
    const gateway = all.mcp!;
    const server = all.server!;

    test('THEN the gateway reaches it on 127.0.0.1:<port><path>, with the default path /mcp', () => {
      assert.deepEqual(serverVariables(gateway), { MCP_SERVER_URL: 'http://127.0.0.1:8000/mcp' });
    });

    test('THEN the gateway starts only once it is HEALTHY, by its own health check', () => {
      assert.deepEqual(gateway.DependsOn, [{ Condition: 'HEALTHY', ContainerName: 'server' }]);
      assert.deepEqual(server.HealthCheck, { Command: HEALTH, Interval: 10, Retries: 3, StartPeriod: 20, Timeout: 5 });
      assert.equal(server.Essential, true);
    });

    test('THEN only the gateway is behind the load balancer: the sidecar maps no port and no rule admits its port', () => {
      assert.equal(server.PortMappings, undefined);
      only(sidecarCase.template, 'AWS::ElasticLoadBalancingV2::TargetGroup', { Port: 8080 });
      const service = only(sidecarCase.template, 'AWS::ECS::Service').Properties;
      assert.deepEqual(
        service.LoadBalancers.map((lb: { ContainerName: string; ContainerPort: number }) => [lb.ContainerName, lb.ContainerPort]),
        [['mcp', 8080]],
      );
      const ports = Object.values(sidecarCase.template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties.FromPort);
      assert.ok(!ports.includes(8000), JSON.stringify(ports));
    });

    test('THEN it runs its image by digest, non-root, read-only with its own /tmp volume, logged to the service log group', () => {
      assert.match(JSON.stringify(server.Image), new RegExp(`/mcp-python@${DIGEST}`));
      assert.equal(server.User, '1000:1000');
      assert.equal(server.ReadonlyRootFilesystem, true);
      assert.deepEqual(server.MountPoints, [{ ContainerPath: '/tmp', ReadOnly: false, SourceVolume: 'server-tmp' }]);
      assert.deepEqual(only(sidecarCase.template, 'AWS::ECS::TaskDefinition').Properties.Volumes, [{ Name: 'tmp' }, { Name: 'server-tmp' }]);
      assert.deepEqual(server.LogConfiguration.Options['awslogs-group'], gateway.LogConfiguration.Options['awslogs-group']);
      assert.deepEqual([server.LogConfiguration.Options['awslogs-stream-prefix'], server.LogConfiguration.Options.mode], ['server', 'non-blocking']);
      assert.equal(server.LinuxParameters.InitProcessEnabled, true);
    });

    test('THEN its environment and secrets are its own, and the execution role may pull its image and read its secret', () => {
      assert.deepEqual(environmentOf(server), { FASTMCP_PORT: '8000' });
      assert.deepEqual(secretsOf(server), { WEATHER_API_KEY: SECRET_COMPLETE_ARN });
      assert.ok(!('WEATHER_API_KEY' in secretsOf(gateway)));
      const statements = executionStatements(sidecarCase.template);
      const pull = statements.find((s) => [s.Action].flat().includes('ecr:BatchGetImage'));
      assert.deepEqual(pull?.Resource, ['arn:aws:ecr:eu-west-1:123456789012:repository/mcp', 'arn:aws:ecr:eu-west-1:123456789012:repository/mcp-python']);
      const read = statements.find((s) => s.Action === 'secretsmanager:GetSecretValue');
      assert.deepEqual([...(read?.Resource ?? [])].sort(), [SECRET_COMPLETE_ARN, AUTH_KEYS_ARN].sort());
    });
  });

  describe('GIVEN servers (a module, a default stdio command, a url, a sidecar)', () => {
    const all = containers(serversCase.template);

    test('THEN MCP_SERVERS maps each name to its kind, the default marked, and no single-server variable is set', () => {
      const variables = serverVariables(all.mcp!);
      assert.deepEqual(Object.keys(variables), ['MCP_SERVERS']);
      assert.deepEqual(JSON.parse(String(variables.MCP_SERVERS)), {
        demo: { module: '/app/demo/index.js' },
        everything: { command: 'npx -y @modelcontextprotocol/server-everything', env: { LOG_LEVEL: 'debug' }, passEnv: ['NPM_TOKEN'], default: true },
        docs: { url: 'https://docs.example.net/mcp', headers: { 'X-Api-Key': `\${DOCS_KEY}` } },
        weather: { url: 'http://127.0.0.1:8001/weather/mcp' },
      });
      // A child's env in MCP_SERVERS stays the child's: the gateway's own LOG_LEVEL is untouched.
      assert.equal(environmentOf(all.mcp!).LOG_LEVEL, undefined);
    });

    test('THEN the sidecar is server-<name>, as its user and root filesystem say, and the gateway waits for it', () => {
      assert.deepEqual(Object.keys(all), ['mcp', 'server-weather']);
      const weather = all['server-weather']!;
      assert.deepEqual([weather.User, weather.ReadonlyRootFilesystem], ['app', false]);
      assert.deepEqual(weather.HealthCheck.Command[0], 'CMD-SHELL');
      assert.deepEqual(all.mcp!.DependsOn, [{ Condition: 'HEALTHY', ContainerName: 'server-weather' }]);
      assert.equal(weather.LogConfiguration.Options['awslogs-stream-prefix'], 'server-weather');
    });
  });

  test('GIVEN no server THEN the gateway gets none of the server variables: it hosts its built-in demo', () => {
    const plain = synthService(() => ({}));
    assert.deepEqual(serverVariables(containers(plain.template).mcp!), {});
  });
});

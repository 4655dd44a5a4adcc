// Issue 10 in the template: the session store the gateway is told about, the valkey cache the construct creates and
// who may reach it, and what stickiness and scale-in do with each store.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { AUTH_KEYS_ARN, containers, environmentOf, executionStatements, only, secretsOf, synthService } from '../../test/fixtures.js';

const STORE_VARIABLES = ['SESSION_STORE', 'REDIS_URL', 'REDIS_CLUSTER'];

function storeVariables(template: Template): Record<string, unknown> {
  return Object.fromEntries(Object.entries(environmentOf(containers(template).mcp!)).filter(([name]) => STORE_VARIABLES.includes(name)));
}

function securityGroupId(template: Template, description: RegExp): string {
  const [id] = Object.keys(template.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: Match.stringLikeRegexp(description.source) } }));
  assert.ok(id !== undefined, String(description));
  return id;
}

function requestScaling(template: Template): Record<string, any> {
  return Object.values(template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'))
    .map((p) => p.Properties.TargetTrackingScalingPolicyConfiguration)
    .find((c) => c.PredefinedMetricSpecification.PredefinedMetricType === 'ALBRequestCountPerTarget');
}

function output(template: Template, name: string): unknown {
  return Object.entries(template.toJSON().Outputs as Record<string, { Value: unknown }>).find(([key]) => key.startsWith(`Mcp${name}`))?.[1].Value;
}

const valkeyCase = synthService(() => ({
  sessionStore: 'valkey',
  valkeyMaxDataStorageGb: 3,
  valkeyMaxEcpuPerSecond: 8000,
  stickiness: { type: 'off' },
  maxTasks: 6,
}));
const memoryCase = synthService(() => ({}));
const urlCase = synthService(() => ({
  sessionStore: { url: 'rediss://sessions.cache.internal:6380' },
  egressRules: [{ cidr: '10.20.0.0/16', port: 6380, description: 'Valkey' }],
}));
const secretCase = synthService(() => ({ sessionStore: { urlSecret: { secret: 'prod/redis-url', jsonKey: 'url' }, cluster: true } }));

describe('issue 10: sessions across tasks', () => {
  describe("GIVEN sessionStore 'valkey'", () => {
    const t = valkeyCase.template;

    test('THEN an ElastiCache Serverless Valkey cache is made in the private subnets of the tasks, with the given limits and no snapshots', () => {
      const cache = only(t, 'AWS::ElastiCache::ServerlessCache');
      assert.deepEqual([cache.Properties.Engine, cache.Properties.MajorEngineVersion, cache.Properties.SnapshotRetentionLimit], ['valkey', '8', 0]);
      assert.deepEqual(cache.Properties.CacheUsageLimits, { DataStorage: { Maximum: 3, Unit: 'GB' }, ECPUPerSecond: { Maximum: 8000 } });
      const service = only(t, 'AWS::ECS::Service').Properties;
      assert.deepEqual(cache.Properties.SubnetIds, service.NetworkConfiguration.AwsvpcConfiguration.Subnets);
      assert.match(JSON.stringify(cache.Properties.SubnetIds), /PrivateSubnet/);
      assert.match(cache.Properties.ServerlessCacheName, /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/);
      assert.doesNotMatch(cache.Properties.ServerlessCacheName, /--/);
      // Sessions are short-lived: the cache goes with the stack rather than lingering, billed.
      assert.equal(cache.DeletionPolicy, 'Delete');
    });

    test('THEN its own security group admits only the group of the tasks on 6379, and the tasks may open 6379 to it', () => {
      const cacheSg = securityGroupId(t, /^MCP session store/);
      const tasksSg = securityGroupId(t, /^MCP tasks/);
      const cache = only(t, 'AWS::ElastiCache::ServerlessCache');
      assert.deepEqual(cache.Properties.SecurityGroupIds, [{ 'Fn::GetAtt': [cacheSg, 'GroupId'] }]);
      const ingress = Object.values(t.findResources('AWS::EC2::SecurityGroupIngress'))
        .map((r) => r.Properties)
        .filter((p) => p.GroupId['Fn::GetAtt'][0] === cacheSg);
      assert.deepEqual(
        ingress.map((p) => [p.IpProtocol, p.FromPort, p.ToPort, p.SourceSecurityGroupId['Fn::GetAtt'][0]]),
        [['tcp', 6379, 6379, tasksSg]],
      );
      assert.equal(
        only(t, 'AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('^MCP session store') }).Properties.SecurityGroupIngress,
        undefined,
      );
      only(t, 'AWS::EC2::SecurityGroupEgress', {
        GroupId: { 'Fn::GetAtt': [tasksSg, 'GroupId'] },
        DestinationSecurityGroupId: { 'Fn::GetAtt': [cacheSg, 'GroupId'] },
        FromPort: 6379,
        ToPort: 6379,
      });
    });

    test('THEN the gateway gets SESSION_STORE=redis, REDIS_CLUSTER=on and a rediss:// URL of the endpoint, without a password', () => {
      const [cacheId] = Object.keys(t.findResources('AWS::ElastiCache::ServerlessCache'));
      assert.deepEqual(storeVariables(t), {
        SESSION_STORE: 'redis',
        REDIS_CLUSTER: 'on',
        REDIS_URL: { 'Fn::Join': ['', ['rediss://', { 'Fn::GetAtt': [cacheId, 'Endpoint.Address'] }, ':', { 'Fn::GetAtt': [cacheId, 'Endpoint.Port'] }]] },
      });
      assert.ok(!('REDIS_URL' in secretsOf(containers(t).mcp!)));
    });

    test('THEN stickiness off with several tasks is allowed, request count scales in too, and the output says any task serves any session', () => {
      const attributes = only(t, 'AWS::ElasticLoadBalancingV2::TargetGroup').Properties.TargetGroupAttributes as { Key: string; Value: string }[];
      assert.notEqual(attributes.find((a) => a.Key === 'stickiness.enabled')?.Value, 'true');
      only(t, 'AWS::ApplicationAutoScaling::ScalableTarget', { MaxCapacity: 6 });
      assert.equal(requestScaling(t).DisableScaleIn, false);
      assert.match(String(output(t, 'SessionStore')), /^redis \(ElastiCache Serverless for Valkey\): any task serves any legacy MCP session/);
      assert.equal(valkeyCase.mcp.sessionCache, valkeyCase.mcp.node.findChild('SessionCache'));
    });
  });

  test('GIVEN the default memory store THEN SESSION_STORE=memory alone, no cache, request count never scales in, and the output says so', () => {
    const t = memoryCase.template;
    assert.deepEqual(storeVariables(t), { SESSION_STORE: 'memory' });
    t.resourceCountIs('AWS::ElastiCache::ServerlessCache', 0);
    assert.equal(requestScaling(t).DisableScaleIn, true);
    assert.match(String(output(t, 'SessionStore')), /^memory: a legacy MCP session lives on the task that created it/);
  });

  test('GIVEN an existing store by URL THEN REDIS_URL is plain, REDIS_CLUSTER off, and no cache is made', () => {
    assert.deepEqual(storeVariables(urlCase.template), { SESSION_STORE: 'redis', REDIS_CLUSTER: 'off', REDIS_URL: 'rediss://sessions.cache.internal:6380' });
    urlCase.template.resourceCountIs('AWS::ElastiCache::ServerlessCache', 0);
    assert.match(String(output(urlCase.template, 'SessionStore')), /^redis \(an existing store\)/);
  });

  test('GIVEN an existing store by secret THEN REDIS_URL is a task definition secret only, readable by the execution role, and REDIS_CLUSTER on', () => {
    const t = secretCase.template;
    assert.deepEqual(storeVariables(t), { SESSION_STORE: 'redis', REDIS_CLUSTER: 'on' });
    assert.equal(secretsOf(containers(t).mcp!).REDIS_URL, 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/redis-url:url::');
    const read = executionStatements(t).find((s) => s.Action === 'secretsmanager:GetSecretValue');
    assert.deepEqual(read?.Resource, [AUTH_KEYS_ARN, 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/redis-url-??????']);
  });
});

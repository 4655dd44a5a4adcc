import { Fn, Names, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import type { Construct } from 'constructs';
import { DEFAULTS, LIMITS } from '../defaults.js';
import { McpFargateError, show } from '../errors.js';
import { GATEWAY_ENV } from '../gateway-env.js';
import { validateInteger } from '../validation.js';
import type { McpEgressRule, McpSecret } from './props.js';

/** An existing Redis-protocol store (Valkey, Redis, ElastiCache, MemoryDB) the tasks reach. */
export type McpExistingSessionStore =
  | {
      /** `redis://` or `rediss://` URL without credentials; plain configuration (`REDIS_URL`). */
      readonly url: string;
      /**
       * A cluster-mode store (`REDIS_CLUSTER=on`).
       * @default false
       */
      readonly cluster?: boolean;
    }
  | {
      /** A secret holding the URL, for one with credentials: it reaches the task only as a task definition secret. */
      readonly urlSecret: McpSecret;
      /**
       * A cluster-mode store (`REDIS_CLUSTER=on`).
       * @default false
       */
      readonly cluster?: boolean;
    };

/**
 * Where the gateway keeps legacy MCP session records, their SSE event logs and the routing between tasks:
 * - `memory`: on the task that made them (a session lives and dies with its task, see "Sessions on AWS");
 * - `valkey`: an ElastiCache Serverless for Valkey cache the construct creates in the tasks' subnets (TLS, cluster
 *   mode), reachable only from the tasks: any task serves any session;
 * - an existing store by URL, or by a secret holding the URL.
 */
export type McpSessionStore = 'memory' | 'valkey' | McpExistingSessionStore;

/** The store after validation. */
export interface ResolvedSessionStore {
  readonly kind: 'memory' | 'valkey' | 'existing';
  /** Whether any task can serve any session. */
  readonly shared: boolean;
  /** The gateway's variables known before deployment (`SESSION_STORE`, and those of an existing store). */
  readonly environment: Readonly<Record<string, string>>;
  /** `REDIS_URL` from Secrets Manager, for a store whose URL carries credentials. */
  readonly secrets: Readonly<Record<string, McpSecret>>;
  readonly valkeyMaxDataStorageGb: number;
  readonly valkeyMaxEcpuPerSecond: number;
}

/** The valkey cache's port; ElastiCache Serverless listens on 6379 (and on 6380 for reads from replicas, unused here). */
export const VALKEY_PORT = 6379;

export function resolveSessionStore(
  at: (prop: string) => string,
  props: { sessionStore?: McpSessionStore; valkeyMaxDataStorageGb?: number; valkeyMaxEcpuPerSecond?: number },
  egressRules: readonly McpEgressRule[],
): ResolvedSessionStore {
  const store = props.sessionStore ?? (DEFAULTS.sessionStore as McpSessionStore);
  const valkeyMaxDataStorageGb = props.valkeyMaxDataStorageGb ?? DEFAULTS.valkeyMaxDataStorageGb;
  const valkeyMaxEcpuPerSecond = props.valkeyMaxEcpuPerSecond ?? DEFAULTS.valkeyMaxEcpuPerSecond;
  for (const prop of ['valkeyMaxDataStorageGb', 'valkeyMaxEcpuPerSecond'] as const) {
    if (props[prop] !== undefined && store !== 'valkey') {
      throw new McpFargateError('MCPF_CDK_SESSION_STORE_INVALID', `${at(prop)} sizes the valkey cache, but ${at('sessionStore')} is ${show(store)}; drop it`);
    }
  }
  validateInteger(at('valkeyMaxDataStorageGb'), valkeyMaxDataStorageGb, LIMITS.valkeyMaxDataStorageGb);
  validateInteger(at('valkeyMaxEcpuPerSecond'), valkeyMaxEcpuPerSecond, LIMITS.valkeyMaxEcpuPerSecond);
  const limits = { valkeyMaxDataStorageGb, valkeyMaxEcpuPerSecond };
  if (store === 'memory') return { kind: 'memory', shared: false, environment: { [GATEWAY_ENV.sessionStore]: 'memory' }, secrets: {}, ...limits };
  // The endpoint is known only once the cache exists: createValkeyCache adds REDIS_URL.
  if (store === 'valkey') {
    return { kind: 'valkey', shared: true, environment: { [GATEWAY_ENV.sessionStore]: 'redis', [GATEWAY_ENV.redisCluster]: 'on' }, secrets: {}, ...limits };
  }
  if (typeof store !== 'object' || store === null || 'url' in store === 'urlSecret' in store) {
    throw new McpFargateError('MCPF_CDK_CHOICE_INVALID', `${at('sessionStore')} must be 'memory', 'valkey', { url } or { urlSecret }, got ${show(store)}`);
  }
  const cluster = store.cluster ?? false;
  const common = { [GATEWAY_ENV.sessionStore]: 'redis', [GATEWAY_ENV.redisCluster]: cluster ? 'on' : 'off' };
  if ('urlSecret' in store) {
    return { kind: 'existing', shared: true, environment: common, secrets: { [GATEWAY_ENV.redisUrl]: store.urlSecret }, ...limits };
  }
  validateRedisUrl(at('sessionStore.url'), store.url, egressRules);
  return { kind: 'existing', shared: true, environment: { ...common, [GATEWAY_ENV.redisUrl]: store.url }, secrets: {}, ...limits };
}

/**
 * A plain store URL: redis:// or rediss://, no credentials (they would be readable by anyone who can describe the
 * task definition), and a port the tasks may open (their security group allows only HTTPS and `egressRules`).
 */
export function validateRedisUrl(field: string, value: string, egressRules: readonly { readonly port: number }[]): void {
  if (Token.isUnresolved(value)) return;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new McpFargateError('MCPF_CDK_SESSION_STORE_INVALID', `${field} must be a redis:// or rediss:// URL, got ${show(value)}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new McpFargateError(
      'MCPF_CDK_SESSION_STORE_INVALID',
      `${field} carries credentials, which would be plain configuration anyone who can describe the task definition reads; ` +
        'put the whole URL in Secrets Manager and give it as urlSecret',
    );
  }
  const port = url.port === '' ? 6379 : Number(url.port);
  if (!egressRules.some((rule) => rule.port === port)) {
    throw new McpFargateError(
      'MCPF_CDK_SESSION_STORE_INVALID',
      `${field} is on port ${port}, which the tasks may not open: their security group allows HTTPS and egressRules only; ` +
        `add an egressRules entry for port ${port} to the store's network`,
    );
  }
}

/** The ElastiCache Serverless for Valkey cache and what reaches it. */
export interface ValkeyCache {
  readonly cache: elasticache.CfnServerlessCache;
  readonly securityGroup: ec2.SecurityGroup;
  /** `rediss://<endpoint address>:<port>`: serverless caches speak TLS only, and carry no password here. */
  readonly url: string;
}

/**
 * An ElastiCache Serverless for Valkey cache in the tasks' subnets, behind its own security group that admits only
 * the tasks' group on the cache port; the tasks may open that port to it and nothing else new. Serverless caches are
 * TLS-only and cluster mode, encrypted at rest with an AWS owned key, and multi-AZ; no user group, so access is
 * the network path alone (no password to leak, none to rotate). Sessions are short-lived, so no snapshots are kept
 * and the cache goes with the stack.
 */
export function createValkeyCache(
  scope: Construct,
  vpc: ec2.IVpc,
  subnets: ec2.SubnetSelection,
  tasks: ec2.SecurityGroup,
  limits: { readonly valkeyMaxDataStorageGb: number; readonly valkeyMaxEcpuPerSecond: number },
): ValkeyCache {
  const securityGroup = new ec2.SecurityGroup(scope, 'SessionCacheSecurityGroup', {
    vpc,
    description: 'MCP session store: Valkey from the MCP tasks only',
    allowAllOutbound: false,
  });
  // Adds the ingress here and the matching egress on the tasks' group (which allows nothing it is not told to).
  securityGroup.connections.allowFrom(tasks, ec2.Port.tcp(VALKEY_PORT), 'Valkey from the MCP tasks');
  const cache = new elasticache.CfnServerlessCache(scope, 'SessionCache', {
    engine: 'valkey',
    majorEngineVersion: '8',
    // Lowercase letters, digits and single hyphens, at most 40, unique in the account and region: derived from the
    // construct path, so it is stable across deployments.
    serverlessCacheName: cacheName(scope),
    description: 'MCP legacy session records, SSE event logs and routing between tasks (mcp-fargate)',
    subnetIds: vpc.selectSubnets(subnets).subnetIds,
    securityGroupIds: [securityGroup.securityGroupId],
    cacheUsageLimits: {
      dataStorage: { maximum: limits.valkeyMaxDataStorageGb, unit: 'GB' },
      ecpuPerSecond: { maximum: limits.valkeyMaxEcpuPerSecond },
    },
    snapshotRetentionLimit: 0,
  });
  cache.applyRemovalPolicy(RemovalPolicy.DESTROY);
  return { cache, securityGroup, url: Fn.join('', ['rediss://', cache.attrEndpointAddress, ':', cache.attrEndpointPort]) };
}

function cacheName(scope: Construct): string {
  const unique = Names.uniqueResourceName(scope, { maxLength: 27, separator: '-' })
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '')
    .replace(/-+/g, '-');
  return `mcp-${unique}-sessions`.replace(/-+/g, '-').slice(0, 40).replace(/-$/, '');
}

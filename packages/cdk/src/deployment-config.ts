import { readFileSync } from 'node:fs';
import { McpFargateError, show } from './errors.js';
import { validateTaskSize } from './fargate-task-size.js';
import {
  parseSecretReference,
  validateCertificateArn,
  validateCidr,
  validateCookieName,
  validateDomainInZone,
  validateDomainName,
  validateEnvironmentName,
  validateImageDigest,
  validateInteger,
  validateKmsKeyArn,
  validateLogRetentionDays,
  validateNumber,
  validatePlainEnvironment,
  validatePrefixListId,
  validateRepositoryName,
  validateSecretJsonKey,
  validateServiceName,
  validateStickinessSeconds,
  validateTaskCounts,
} from './validation.js';

/** The deployment config file, `mcp-fargate.config.json`, after validation. Documented field by field in README.md. */
export interface DeploymentConfig {
  readonly serviceName: string;
  readonly stackName: string;
  readonly account?: string;
  readonly region?: string;
  readonly image: {
    readonly repositoryName: string;
    readonly createRepository: boolean;
    readonly digest: string;
    readonly keepImages?: number;
  };
  readonly task: { readonly cpu: number; readonly memoryMiB: number; readonly architecture: 'arm64' | 'x86_64' };
  readonly scaling: {
    readonly minTasks?: number;
    readonly desiredTasks?: number;
    readonly maxTasks?: number;
    readonly targetCpuPercent?: number;
    readonly requestsPerTarget?: number;
  };
  readonly environment: Readonly<Record<string, string>>;
  readonly secrets: Readonly<Record<string, DeploymentConfigSecret>>;
  readonly loadBalancer: {
    readonly scheme: 'internet-facing' | 'internal';
    readonly certificateArn?: string;
    readonly domainName?: string;
    readonly hostedZone?: { readonly id: string; readonly name: string };
    readonly allowedCidrs: readonly string[];
    readonly allowedPrefixListIds: readonly string[];
    readonly insecureHttpForTesting: boolean;
    readonly idleTimeoutSeconds?: number;
  };
  readonly stickiness?:
    | { readonly type: 'off' }
    | { readonly type: 'lb-cookie'; readonly durationSeconds: number }
    | { readonly type: 'app-cookie'; readonly cookieName: string; readonly durationSeconds: number };
  readonly network: { readonly egress: 'nat' | 'vpc-endpoints'; readonly natGateways?: number; readonly maxAzs?: number } | { readonly vpcId: string };
  readonly logs: { readonly retentionDays: number };
  readonly alarms: {
    readonly snsTopicArn?: string;
    readonly http5xxPerMinute?: number;
    readonly latencyP99Seconds?: number;
    readonly cpuPercent?: number;
    readonly memoryPercent?: number;
  };
}

export interface DeploymentConfigSecret {
  readonly secret: string;
  readonly jsonKey?: string;
  readonly format?: 'json' | 'string';
  readonly kmsKeyArn?: string;
}

/** Reads and validates a deployment config file. */
export function loadDeploymentConfig(path: string): DeploymentConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new McpFargateError('MCPF_CDK_CONFIG_INVALID', `${path}: cannot be read (${(error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new McpFargateError('MCPF_CDK_CONFIG_INVALID', `${path}: is not valid JSON (${(error as Error).message})`);
  }
  return parseDeploymentConfig(json, path);
}

/**
 * Validates a parsed deployment config. Every error names the file, the field and the value, and what would be
 * accepted; unknown fields are errors too (a typo must not silently fall back to a default).
 */
export function parseDeploymentConfig(json: unknown, source = 'mcp-fargate.config.json'): DeploymentConfig {
  const r = new Reader(source);
  const root = r.object('', json, [
    '$schema',
    'serviceName',
    'stackName',
    'account',
    'region',
    'image',
    'task',
    'scaling',
    'environment',
    'secrets',
    'loadBalancer',
    'stickiness',
    'network',
    'logs',
    'alarms',
  ]);
  const serviceName = r.string('serviceName', root.serviceName);
  r.rule(() => validateServiceName(r.label('serviceName'), serviceName));
  const stackName = r.optionalString('stackName', root.stackName) ?? `McpFargate-${serviceName}`;
  r.check('stackName', stackName, /^[A-Za-z][A-Za-z0-9-]{0,116}$/, 'a CloudFormation stack name (letters, digits, hyphens; starts with a letter)');
  const account = r.optionalString('account', root.account);
  if (account !== undefined) r.check('account', account, /^\d{12}$/, 'a 12-digit AWS account id');
  const region = r.optionalString('region', root.region);
  if (region !== undefined) r.check('region', region, /^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as eu-west-1');

  const imageJson = r.object('image', root.image, ['repositoryName', 'createRepository', 'digest', 'keepImages']);
  const repositoryName = r.string('image.repositoryName', imageJson.repositoryName);
  r.rule(() => validateRepositoryName(r.label('image.repositoryName'), repositoryName));
  r.rule(() => validateImageDigest(r.label('image.digest'), imageJson.digest));
  const createRepository = r.optionalBoolean('image.createRepository', imageJson.createRepository) ?? true;
  const keepImages = r.optionalNumber('image.keepImages', imageJson.keepImages);
  if (keepImages !== undefined) r.rule(() => validateInteger(r.label('image.keepImages'), keepImages, 1, 10000));
  if (!createRepository && keepImages !== undefined) {
    r.fail('image.keepImages', 'applies only to a repository the stack creates (createRepository: true)');
  }

  const taskJson = r.object('task', root.task ?? {}, ['cpu', 'memoryMiB', 'architecture']);
  const cpu = r.optionalNumber('task.cpu', taskJson.cpu) ?? 512;
  const memoryMiB = r.optionalNumber('task.memoryMiB', taskJson.memoryMiB) ?? 1024;
  r.rule(() => validateTaskSize({ cpu: r.label('task.cpu'), memory: r.label('task.memoryMiB') }, cpu, memoryMiB));
  const architecture = r.optionalEnum('task.architecture', taskJson.architecture, ['arm64', 'x86_64'] as const) ?? 'arm64';

  const scalingJson = r.object('scaling', root.scaling ?? {}, ['minTasks', 'desiredTasks', 'maxTasks', 'targetCpuPercent', 'requestsPerTarget']);
  const scaling = {
    minTasks: r.optionalNumber('scaling.minTasks', scalingJson.minTasks),
    desiredTasks: r.optionalNumber('scaling.desiredTasks', scalingJson.desiredTasks),
    maxTasks: r.optionalNumber('scaling.maxTasks', scalingJson.maxTasks),
    targetCpuPercent: r.optionalNumber('scaling.targetCpuPercent', scalingJson.targetCpuPercent),
    requestsPerTarget: r.optionalNumber('scaling.requestsPerTarget', scalingJson.requestsPerTarget),
  };
  {
    const min = scaling.minTasks ?? 2;
    const max = scaling.maxTasks ?? Math.max(4, min);
    r.rule(() =>
      validateTaskCounts(
        { min: r.label('scaling.minTasks'), desired: r.label('scaling.desiredTasks'), max: r.label('scaling.maxTasks') },
        min,
        scaling.desiredTasks ?? min,
        max,
      ),
    );
  }
  if (scaling.targetCpuPercent !== undefined) {
    const value = scaling.targetCpuPercent;
    r.rule(() => validateNumber(r.label('scaling.targetCpuPercent'), value, 10, 90));
  }
  if (scaling.requestsPerTarget !== undefined) {
    const value = scaling.requestsPerTarget;
    r.rule(() => validateInteger(r.label('scaling.requestsPerTarget'), value, 1, 1_000_000));
  }

  const environmentJson = r.object('environment', root.environment ?? {}, undefined);
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(environmentJson)) {
    const text = r.string(`environment.${name}`, value);
    r.rule(() => validatePlainEnvironment(r.label('environment'), name, text));
    environment[name] = text;
  }

  const secretsJson = r.object('secrets', root.secrets ?? {}, undefined);
  const secrets: Record<string, DeploymentConfigSecret> = {};
  for (const [name, value] of Object.entries(secretsJson)) {
    const field = `secrets.${name}`;
    r.rule(() => validateEnvironmentName(r.label('secrets'), name));
    if (name in environment) r.fail(field, 'is also a plain environment variable; a name can only be one or the other');
    const spec = typeof value === 'string' ? { secret: value } : r.object(field, value, ['secret', 'jsonKey', 'format', 'kmsKeyArn']);
    const secret = r.string(`${field}.secret`, spec.secret);
    r.rule(() => parseSecretReference(r.label(`${field}.secret`), secret));
    const jsonKey = r.optionalString(`${field}.jsonKey`, spec.jsonKey);
    const format = r.optionalEnum(`${field}.format`, spec.format, ['json', 'string'] as const);
    r.rule(() => validateSecretJsonKey(r.label(`${field}.jsonKey`), jsonKey, format));
    const kmsKeyArn = r.optionalString(`${field}.kmsKeyArn`, spec.kmsKeyArn);
    if (kmsKeyArn !== undefined) r.rule(() => validateKmsKeyArn(r.label(`${field}.kmsKeyArn`), kmsKeyArn));
    secrets[name] = { secret, jsonKey, format, kmsKeyArn };
  }

  const lbJson = r.object('loadBalancer', root.loadBalancer ?? {}, [
    'scheme',
    'certificateArn',
    'domainName',
    'hostedZone',
    'allowedCidrs',
    'allowedPrefixListIds',
    'insecureHttpForTesting',
    'idleTimeoutSeconds',
  ]);
  const scheme = r.optionalEnum('loadBalancer.scheme', lbJson.scheme, ['internet-facing', 'internal'] as const) ?? 'internet-facing';
  const certificateArn = r.optionalString('loadBalancer.certificateArn', lbJson.certificateArn);
  if (certificateArn !== undefined) r.rule(() => validateCertificateArn(r.label('loadBalancer.certificateArn'), certificateArn));
  const domainName = r.optionalString('loadBalancer.domainName', lbJson.domainName);
  if (domainName !== undefined) r.rule(() => validateDomainName(r.label('loadBalancer.domainName'), domainName));
  let hostedZone: { id: string; name: string } | undefined;
  if (lbJson.hostedZone !== undefined) {
    const zone = r.object('loadBalancer.hostedZone', lbJson.hostedZone, ['id', 'name']);
    hostedZone = { id: r.string('loadBalancer.hostedZone.id', zone.id), name: r.string('loadBalancer.hostedZone.name', zone.name) };
    r.check('loadBalancer.hostedZone.id', hostedZone.id, /^Z[A-Z0-9]{1,31}$/, 'a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ');
    if (domainName === undefined) r.fail('loadBalancer.hostedZone', 'is given without loadBalancer.domainName; name the record to create');
    else {
      const zoneName = hostedZone.name;
      r.rule(() => validateDomainInZone(r.label('loadBalancer.domainName'), domainName, zoneName));
    }
  }
  const allowedCidrs = r.stringArray('loadBalancer.allowedCidrs', lbJson.allowedCidrs);
  for (const [i, cidr] of allowedCidrs.entries()) r.rule(() => validateCidr(r.label(`loadBalancer.allowedCidrs[${i}]`), cidr));
  const allowedPrefixListIds = r.stringArray('loadBalancer.allowedPrefixListIds', lbJson.allowedPrefixListIds);
  for (const [i, pl] of allowedPrefixListIds.entries()) r.rule(() => validatePrefixListId(r.label(`loadBalancer.allowedPrefixListIds[${i}]`), pl));
  const insecureHttpForTesting = r.optionalBoolean('loadBalancer.insecureHttpForTesting', lbJson.insecureHttpForTesting) ?? false;
  if (insecureHttpForTesting && (certificateArn !== undefined || domainName !== undefined)) {
    r.fail(
      'loadBalancer.insecureHttpForTesting',
      'serves plain HTTP, so certificateArn and domainName would go unused; drop one side',
      'MCPF_CDK_HTTP_CONFLICT',
    );
  }
  if (!insecureHttpForTesting && certificateArn === undefined && hostedZone === undefined) {
    r.fail(
      'loadBalancer.certificateArn',
      'is required for HTTPS: give an ACM certificate ARN, or domainName with hostedZone to create a DNS-validated ' +
        'certificate (insecureHttpForTesting: true serves plain HTTP, for internal testing only)',
      'MCPF_CDK_HTTPS_CERTIFICATE_REQUIRED',
    );
  }
  const idleTimeoutSeconds = r.optionalNumber('loadBalancer.idleTimeoutSeconds', lbJson.idleTimeoutSeconds);
  if (idleTimeoutSeconds !== undefined) r.rule(() => validateInteger(r.label('loadBalancer.idleTimeoutSeconds'), idleTimeoutSeconds, 1, 4000));

  let stickiness: DeploymentConfig['stickiness'];
  if (root.stickiness !== undefined) {
    const base = r.object('stickiness', root.stickiness, ['type', 'durationSeconds', 'cookieName']);
    const type = r.enumeration('stickiness.type', base.type, ['off', 'lb-cookie', 'app-cookie'] as const);
    if (type === 'off') {
      if (base.durationSeconds !== undefined || base.cookieName !== undefined) {
        r.fail('stickiness', 'has durationSeconds or cookieName, but type is "off"');
      }
      stickiness = { type };
    } else {
      const durationSeconds = r.number('stickiness.durationSeconds', base.durationSeconds);
      r.rule(() => validateStickinessSeconds(r.label('stickiness.durationSeconds'), durationSeconds));
      if (type === 'lb-cookie') {
        if (base.cookieName !== undefined) r.fail('stickiness.cookieName', 'applies only to type "app-cookie"');
        stickiness = { type, durationSeconds };
      } else {
        const cookieName = r.string('stickiness.cookieName', base.cookieName);
        r.rule(() => validateCookieName(r.label('stickiness.cookieName'), cookieName));
        stickiness = { type, cookieName, durationSeconds };
      }
    }
  }

  const networkJson = r.object('network', root.network ?? {}, ['egress', 'natGateways', 'maxAzs', 'vpcId']);
  let network: DeploymentConfig['network'];
  if (networkJson.vpcId !== undefined) {
    const vpcId = r.string('network.vpcId', networkJson.vpcId);
    r.check('network.vpcId', vpcId, /^vpc-[0-9a-f]{8,17}$/, 'a VPC id such as vpc-0123456789abcdef0');
    for (const key of ['egress', 'natGateways', 'maxAzs'] as const) {
      if (networkJson[key] !== undefined) {
        r.fail(`network.${key}`, 'configures a new VPC, but network.vpcId names an existing one', 'MCPF_CDK_VPC_CONFLICT');
      }
    }
    if (account === undefined || region === undefined) {
      r.fail('network.vpcId', 'needs account and region in the config: the VPC is looked up in that account and region');
    }
    network = { vpcId };
  } else {
    const egress = r.optionalEnum('network.egress', networkJson.egress, ['nat', 'vpc-endpoints'] as const) ?? 'nat';
    const maxAzs = r.optionalNumber('network.maxAzs', networkJson.maxAzs);
    if (maxAzs !== undefined) r.rule(() => validateInteger(r.label('network.maxAzs'), maxAzs, 1, 6));
    const natGateways = r.optionalNumber('network.natGateways', networkJson.natGateways);
    if (natGateways !== undefined) {
      if (egress !== 'nat') r.fail('network.natGateways', `needs egress "nat", but egress is "${egress}"`, 'MCPF_CDK_VPC_CONFLICT');
      r.rule(() => validateInteger(r.label('network.natGateways'), natGateways, 1, maxAzs ?? 2));
    }
    network = { egress, natGateways, maxAzs };
  }

  const logsJson = r.object('logs', root.logs ?? {}, ['retentionDays']);
  const retentionDays = r.optionalNumber('logs.retentionDays', logsJson.retentionDays) ?? 30;
  r.rule(() => validateLogRetentionDays(r.label('logs.retentionDays'), retentionDays));

  const alarmsJson = r.object('alarms', root.alarms ?? {}, ['snsTopicArn', 'http5xxPerMinute', 'latencyP99Seconds', 'cpuPercent', 'memoryPercent']);
  const snsTopicArn = r.optionalString('alarms.snsTopicArn', alarmsJson.snsTopicArn);
  if (snsTopicArn !== undefined) r.check('alarms.snsTopicArn', snsTopicArn, /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'an SNS topic ARN');
  const alarms = {
    snsTopicArn,
    http5xxPerMinute: r.optionalNumber('alarms.http5xxPerMinute', alarmsJson.http5xxPerMinute),
    latencyP99Seconds: r.optionalNumber('alarms.latencyP99Seconds', alarmsJson.latencyP99Seconds),
    cpuPercent: r.optionalNumber('alarms.cpuPercent', alarmsJson.cpuPercent),
    memoryPercent: r.optionalNumber('alarms.memoryPercent', alarmsJson.memoryPercent),
  };
  if (alarms.http5xxPerMinute !== undefined) r.rule(() => validateNumber(r.label('alarms.http5xxPerMinute'), alarms.http5xxPerMinute ?? 0, 1, 1_000_000));
  if (alarms.latencyP99Seconds !== undefined) r.rule(() => validateNumber(r.label('alarms.latencyP99Seconds'), alarms.latencyP99Seconds ?? 0, 0.001, 3600));
  if (alarms.cpuPercent !== undefined) r.rule(() => validateNumber(r.label('alarms.cpuPercent'), alarms.cpuPercent ?? 0, 1, 100));
  if (alarms.memoryPercent !== undefined) r.rule(() => validateNumber(r.label('alarms.memoryPercent'), alarms.memoryPercent ?? 0, 1, 100));

  r.throwIfErrors();
  return deepFreeze({
    serviceName,
    stackName,
    account,
    region,
    image: { repositoryName, createRepository, digest: imageJson.digest as string, keepImages },
    task: { cpu, memoryMiB, architecture },
    scaling,
    environment,
    secrets,
    loadBalancer: {
      scheme,
      certificateArn,
      domainName,
      hostedZone,
      allowedCidrs,
      allowedPrefixListIds,
      insecureHttpForTesting,
      idleTimeoutSeconds,
    },
    stickiness,
    network,
    logs: { retentionDays },
    alarms,
  });
}

/**
 * Collects every problem in the file, so one run reports them all; throws one `McpFargateError` whose code is the
 * first problem's.
 */
class Reader {
  private readonly problems: { code: McpFargateError['code']; message: string }[] = [];

  constructor(private readonly source: string) {}

  label(field: string): string {
    return `${this.source}: ${field}`;
  }

  fail(field: string, message: string, code: McpFargateError['code'] = 'MCPF_CDK_CONFIG_INVALID'): void {
    this.problems.push({ code, message: `${this.label(field)} ${message}` });
  }

  /** Runs a shared value rule, recording its error instead of stopping. */
  rule(check: () => unknown): void {
    try {
      check();
    } catch (error) {
      if (!(error instanceof McpFargateError)) throw error;
      this.problems.push({ code: error.code, message: error.message.slice(error.code.length + 2) });
    }
  }

  check(field: string, value: string, pattern: RegExp, expected: string): void {
    if (!pattern.test(value)) this.fail(field, `must be ${expected}, got ${show(value)}`);
  }

  object(field: string, value: unknown, keys: readonly string[] | undefined): Record<string, unknown> {
    const where = field === '' ? 'the top level' : field;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(field === '' ? '(top level)' : field, `must be a JSON object, got ${show(value)}`);
      return {};
    }
    if (keys !== undefined) {
      for (const key of Object.keys(value)) {
        if (!keys.includes(key)) {
          this.fail(field === '' ? key : `${field}.${key}`, `is not a known field of ${where} (known: ${keys.join(', ')})`);
        }
      }
    }
    return value as Record<string, unknown>;
  }

  string(field: string, value: unknown): string {
    if (typeof value === 'string' && value !== '') return value;
    this.fail(field, value === undefined ? 'is required' : `must be a non-empty string, got ${show(value)}`);
    return '';
  }

  optionalString(field: string, value: unknown): string | undefined {
    return value === undefined ? undefined : this.string(field, value);
  }

  number(field: string, value: unknown): number {
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    this.fail(field, value === undefined ? 'is required' : `must be a number, got ${show(value)}`);
    return Number.NaN;
  }

  optionalNumber(field: string, value: unknown): number | undefined {
    return value === undefined ? undefined : this.number(field, value);
  }

  optionalBoolean(field: string, value: unknown): boolean | undefined {
    if (value === undefined || typeof value === 'boolean') return value;
    this.fail(field, `must be true or false, got ${show(value)}`);
    return undefined;
  }

  enumeration<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    this.fail(field, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${show(value)}`);
    return allowed[0] as T;
  }

  optionalEnum<T extends string>(field: string, value: unknown, allowed: readonly T[]): T | undefined {
    return value === undefined ? undefined : this.enumeration(field, value, allowed);
  }

  stringArray(field: string, value: unknown): string[] {
    if (value === undefined) return [];
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
    this.fail(field, `must be an array of strings, got ${show(value)}`);
    return [];
  }

  throwIfErrors(): void {
    const first = this.problems[0];
    if (first === undefined) return;
    const lines = this.problems.map((p) => `  - ${p.message}`).join('\n');
    throw new McpFargateError(first.code, this.problems.length === 1 ? first.message : `${this.source} has ${this.problems.length} problems:\n${lines}`);
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

import { Token } from 'aws-cdk-lib';
import { LIMITS } from './defaults.js';
import { McpFargateError, show } from './errors.js';

/*
 * Value rules shared by the construct (which names its props) and the deployment config (which names its fields).
 * Each takes the label to put in the message and skips values that are tokens, known only at deploy time.
 */

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** The image must be pinned by digest (the seed: "Pin the image tag rather than using :latest"). */
export function validateImageDigest(field: string, value: unknown): void {
  if (isToken(value)) return;
  if (value === undefined || value === null || value === '') {
    throw new McpFargateError(
      'MCPF_CDK_IMAGE_DIGEST_REQUIRED',
      `${field} is required: give the sha256 digest that \`docker push\` printed (sha256:<64 hex>); mcp-fargate never deploys a moving tag`,
    );
  }
  if (typeof value !== 'string') {
    throw new McpFargateError('MCPF_CDK_IMAGE_DIGEST_INVALID', `${field} must be a string, got ${show(value)}`);
  }
  if (DIGEST.test(value)) return;
  const tail = value.includes('@') ? value.slice(value.lastIndexOf('@') + 1) : undefined;
  if (tail !== undefined && DIGEST.test(tail)) {
    throw new McpFargateError(
      'MCPF_CDK_IMAGE_DIGEST_INVALID',
      `${field} must be the digest alone (${show(tail)}), not a full image reference, got ${show(value)}`,
    );
  }
  const tag = value.includes(':') && !value.startsWith('sha256:') ? value.slice(value.lastIndexOf(':') + 1) : value;
  if (tag === 'latest' || TAG.test(tag)) {
    throw new McpFargateError(
      'MCPF_CDK_IMAGE_TAG_NOT_ALLOWED',
      `${field} got the tag ${show(tag)}${tag === 'latest' ? ', which moves with every push' : ''}; ` +
        'deploy by digest (sha256:<64 hex>) so each deployment is deliberate and reproducible',
    );
  }
  throw new McpFargateError('MCPF_CDK_IMAGE_DIGEST_INVALID', `${field} must be sha256: followed by 64 lowercase hex characters, got ${show(value)}`);
}

/** An inclusive range of accepted numbers. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** An integer in the range. */
export function validateInteger(field: string, value: number, { min, max }: Range): void {
  if (isToken(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new McpFargateError('MCPF_CDK_NUMBER_OUT_OF_RANGE', `${field} must be an integer from ${min} to ${max}, got ${show(value)}`);
  }
}

/** A number in the range. */
export function validateNumber(field: string, value: number, { min, max }: Range): void {
  if (isToken(value)) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new McpFargateError('MCPF_CDK_NUMBER_OUT_OF_RANGE', `${field} must be a number from ${min} to ${max}, got ${show(value)}`);
  }
}

/** Task counts for the service and its autoscaling. */
export function validateTaskCounts(fields: { min: string; desired: string; max: string }, min: number, desired: number, max: number): void {
  validateInteger(fields.min, min, LIMITS.tasks);
  validateInteger(fields.max, max, { min: 1, max: LIMITS.tasks.max });
  validateInteger(fields.desired, desired, LIMITS.tasks);
  if (isToken(min) || isToken(max) || isToken(desired)) return;
  if (min > max) {
    throw new McpFargateError('MCPF_CDK_TASK_COUNT_INVALID', `${fields.min} (${min}) is above ${fields.max} (${max})`);
  }
  if (desired < min || desired > max) {
    throw new McpFargateError(
      'MCPF_CDK_TASK_COUNT_INVALID',
      `${fields.desired} must lie between ${fields.min} (${min}) and ${fields.max} (${max}), got ${desired}`,
    );
  }
}

const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;
const IPV6_CIDR = /^[0-9a-fA-F:]+\/(12[0-8]|1[01]\d|[1-9]?\d)$/;

/**
 * An IPv4 or IPv6 CIDR block. An unresolved token (a parameter, an import) is not checked and is taken as IPv4: give
 * IPv6 blocks as literals.
 */
export function validateCidr(field: string, value: string): 'ipv4' | 'ipv6' {
  if (isToken(value)) return 'ipv4';
  if (typeof value === 'string' && IPV4_CIDR.test(value)) return 'ipv4';
  if (typeof value === 'string' && IPV6_CIDR.test(value) && value.includes(':') && isIpv6(value.split('/')[0] ?? '')) {
    return 'ipv6';
  }
  throw new McpFargateError('MCPF_CDK_CIDR_INVALID', `${field} must be a CIDR block such as 203.0.113.0/24 or 2001:db8::/32, got ${show(value)}`);
}

function isIpv6(address: string): boolean {
  const halves = address.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((half) => (half === '' ? [] : half.split(':')));
  if (groups.some((group) => !/^[0-9a-fA-F]{1,4}$/.test(group))) return false;
  return halves.length === 2 ? groups.length < 8 : groups.length === 8;
}

/** A managed prefix list id, the way an agent platform's egress ranges are often shared. */
export function validatePrefixListId(field: string, value: string): void {
  if (isToken(value)) return;
  if (typeof value !== 'string' || !/^pl-[0-9a-f]{8,17}$/.test(value)) {
    throw new McpFargateError('MCPF_CDK_PREFIX_LIST_INVALID', `${field} must be a managed prefix list id such as pl-0123456789abcdef0, got ${show(value)}`);
  }
}

/** ALB stickiness durations run from 1 second to 7 days. */
export const STICKINESS_MAX_SECONDS = 7 * 24 * 3600;

export function validateStickinessSeconds(field: string, seconds: number): void {
  if (isToken(seconds)) return;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > STICKINESS_MAX_SECONDS) {
    throw new McpFargateError(
      'MCPF_CDK_STICKINESS_DURATION_INVALID',
      `${field} must be from 1 second to 7 days (${STICKINESS_MAX_SECONDS} s), got ${show(seconds)} s`,
    );
  }
}

const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** A resource tag AWS accepts: key 1-128 and value up to 256 letters, digits, spaces and _.:/=+-@; no aws: prefix. */
export function validateTag(field: string, key: string, value: string, reserved: readonly string[]): void {
  if (reserved.includes(key)) {
    throw new McpFargateError('MCPF_CDK_TAG_INVALID', `${field}: the construct sets ${show(key)} itself (${reserved.join(', ')})`);
  }
  if (key.length < 1 || key.length > 128 || !TAG_TEXT.test(key) || key.toLowerCase().startsWith('aws:')) {
    throw new McpFargateError(
      'MCPF_CDK_TAG_INVALID',
      `${field}: a tag key must be 1 to 128 letters, digits, spaces or _.:/=+-@ and not start with aws:, got ${show(key)}`,
    );
  }
  if (isToken(value)) return;
  if (typeof value !== 'string' || value.length > 256 || !TAG_TEXT.test(value)) {
    throw new McpFargateError('MCPF_CDK_TAG_INVALID', `${field} must be up to 256 letters, digits, spaces or _.:/=+-@, got ${show(value)}`);
  }
}

/** How a Secrets Manager secret was named. */
export type SecretReference =
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'complete-arn'; readonly arn: string; readonly name: string }
  | { readonly kind: 'partial-arn'; readonly arn: string; readonly name: string }
  /**
   * An unresolved token (a parameter, an import, a `Ref`): not checked, and used as a complete ARN, which is what
   * a `Ref` to a secret and `ISecret.secretArn` of a secret in the app resolve to.
   */
  | { readonly kind: 'unresolved'; readonly arn: string };

const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:([A-Za-z0-9/_+=.@-]{1,512})$/;
/** Secrets Manager appends a hyphen and 6 random characters to a secret's name in its complete ARN. */
const RANDOM_SUFFIX = /-[A-Za-z0-9]{6}$/;

/**
 * A secret given by name or ARN. An ARN whose name ends with a hyphen and six characters is taken as complete (the
 * form the console and `aws secretsmanager describe-secret` print); any other ARN is partial, and IAM then matches it
 * with the `-??????` suffix. An unresolved token is taken as a complete ARN.
 */
export function parseSecretReference(field: string, value: string): SecretReference {
  if (isToken(value)) return { kind: 'unresolved', arn: value };
  if (typeof value === 'string') {
    const arn = SECRET_ARN.exec(value);
    if (arn !== null) {
      const name = arn[1] ?? '';
      return RANDOM_SUFFIX.test(name) ? { kind: 'complete-arn', arn: value, name: name.replace(RANDOM_SUFFIX, '') } : { kind: 'partial-arn', arn: value, name };
    }
    if (!value.startsWith('arn:') && SECRET_NAME.test(value)) return { kind: 'name', name: value };
  }
  throw new McpFargateError(
    'MCPF_CDK_SECRET_INVALID',
    `${field} must be a Secrets Manager secret name (letters, digits and /_+=.@-) or ARN ` +
      `(arn:aws:secretsmanager:<region>:<account>:secret:<name>), got ${show(value)}`,
  );
}

/** JSON keys are picked by ECS from a JSON secret; a plain string secret has none. */
export function validateSecretJsonKey(field: string, jsonKey: string | undefined, format: string | undefined): void {
  if (jsonKey === undefined) return;
  if (format === 'string') {
    throw new McpFargateError(
      'MCPF_CDK_SECRET_JSON_KEY_ON_STRING',
      `${field} is ${show(jsonKey)}, but the secret's value is a plain string; ECS can only pick a key out of a ` +
        'secret whose value is a JSON object (drop jsonKey to inject the whole string)',
    );
  }
  if (typeof jsonKey !== 'string' || jsonKey === '' || jsonKey.includes(':')) {
    throw new McpFargateError('MCPF_CDK_SECRET_INVALID', `${field} must be a non-empty JSON key without ':', got ${show(jsonKey)}`);
  }
}

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

export function validateKmsKeyArn(field: string, value: string): void {
  if (isToken(value)) return;
  if (typeof value !== 'string' || !KMS_KEY_ARN.test(value)) {
    throw new McpFargateError(
      'MCPF_CDK_KMS_KEY_INVALID',
      `${field} must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>; an alias cannot be used in an IAM ` + `policy), got ${show(value)}`,
    );
  }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names that say they hold a credential. */
const SECRET_LIKE_NAME = /(^|_)(SECRET|SECRET_KEY|PASSWORD|PASSWD|PASSPHRASE|TOKEN|API_?KEYS?|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)$/i;
/** Values that look like a credential (AWS access keys, PEM keys, well-known token prefixes). */
const SECRET_LIKE_VALUE = /^(AKIA|ASIA)[A-Z0-9]{16}$|-----BEGIN [A-Z ]*PRIVATE KEY-----|^(gh[pousr]_|github_pat_|xox[abprs]-|sk-)[A-Za-z0-9_-]{16,}/;

/** Whether a plain value (a variable, a header, a word of a command line) looks like a credential. */
export function looksLikeCredential(value: string): boolean {
  return !isToken(value) && SECRET_LIKE_VALUE.test(value);
}

export function validateEnvironmentName(field: string, name: string): void {
  if (!ENV_NAME.test(name)) {
    throw new McpFargateError('MCPF_CDK_ENV_NAME_INVALID', `${field}: ${show(name)} is not a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*)`);
  }
}

/**
 * Plain environment variables are visible to anyone who can describe the task definition (cdk-nag AwsSolutions-ECS2),
 * so a name or value that looks like a credential is refused.
 */
export function validatePlainEnvironment(field: string, name: string, value: string): void {
  validateEnvironmentName(field, name);
  if (SECRET_LIKE_NAME.test(name) || looksLikeCredential(value)) {
    throw new McpFargateError(
      'MCPF_CDK_ENV_CARRIES_SECRET',
      `${field}.${name} looks like a credential; plain environment variables can be read by anyone who can describe ` +
        'the task definition (cdk-nag AwsSolutions-ECS2), so put it in Secrets Manager and list it under secrets',
    );
  }
}

/** CloudWatch Logs retention periods, in days. */
export const LOG_RETENTION_DAYS: readonly number[] = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

export function validateDomainName(field: string, value: string): void {
  if (isToken(value)) return;
  if (typeof value !== 'string' || !DOMAIN.test(value)) {
    throw new McpFargateError(
      'MCPF_CDK_DOMAIN_INVALID',
      `${field} must be a lowercase fully qualified domain name such as mcp.example.com, got ${show(value)}`,
    );
  }
}

/** `domain` must be the zone apex or a name inside the zone. */
export function validateDomainInZone(field: string, domain: string, zoneName: string): void {
  if (isToken(domain) || isToken(zoneName)) return;
  const zone = zoneName.replace(/\.$/, '');
  if (domain !== zone && !domain.endsWith(`.${zone}`)) {
    throw new McpFargateError('MCPF_CDK_DOMAIN_INVALID', `${field} ${show(domain)} is not inside the hosted zone ${show(zone)}`);
  }
}

const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/;

export function validateCertificateArn(field: string, value: string): void {
  if (isToken(value)) return;
  if (typeof value !== 'string' || !CERTIFICATE_ARN.test(value)) {
    throw new McpFargateError(
      'MCPF_CDK_CERTIFICATE_ARN_INVALID',
      `${field} must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>), got ${show(value)}`,
    );
  }
}

/** A name AWS accepts for the ECS service, and so for the names derived from it. */
export function validateServiceName(field: string, value: string): void {
  if (isToken(value)) return;
  if (typeof value !== 'string' || !/^[A-Za-z][A-Za-z0-9-]{0,63}$/.test(value)) {
    throw new McpFargateError('MCPF_CDK_NAME_INVALID', `${field} must start with a letter and hold 1 to 64 letters, digits or hyphens, got ${show(value)}`);
  }
}

const REPOSITORY_NAME = /^(?=.{2,256}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export function validateRepositoryName(field: string, value: string): void {
  if (isToken(value)) return;
  if (typeof value !== 'string' || !REPOSITORY_NAME.test(value)) {
    throw new McpFargateError(
      'MCPF_CDK_NAME_INVALID',
      `${field} must be an ECR repository name (2 to 256 lowercase letters, digits, and . _ - / between them), ` + `got ${show(value)}`,
    );
  }
}

/** An ECR image pinned by digest, as the deployment config names a sidecar's image. */
export interface ImageReference {
  readonly repositoryName: string;
  /** Given when the reference is a full ECR URI; otherwise the stack's account and region. */
  readonly account?: string;
  readonly region?: string;
  readonly digest: string;
}

const ECR_URI = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/(.+)$/;

/**
 * `<repository name or ECR URI>@sha256:<64 hex>`: pinned by digest, never by tag (`name:v1`, `name:v1@sha256:...`),
 * and in ECR, where the execution role's pull permission can name the repository.
 */
export function parseImageReference(field: string, value: string): ImageReference {
  if (typeof value !== 'string' || !value.includes('@')) {
    const tag = typeof value === 'string' && value.includes(':') ? value.slice(value.lastIndexOf(':') + 1) : undefined;
    throw new McpFargateError(
      tag !== undefined && TAG.test(tag) ? 'MCPF_CDK_IMAGE_TAG_NOT_ALLOWED' : 'MCPF_CDK_IMAGE_DIGEST_REQUIRED',
      `${field} must be <repository name or ECR URI>@sha256:<64 hex>, pinned by digest, got ${show(value)}`,
    );
  }
  const at = value.lastIndexOf('@');
  const name = value.slice(0, at);
  const digest = value.slice(at + 1);
  validateImageDigest(`${field} (after @)`, digest);
  const uri = ECR_URI.exec(name);
  const repositoryName = uri === null ? name : (uri[3] ?? '');
  // Docker reads a first path segment with a dot or a colon as a registry host (docker.io/..., ghcr.io/...).
  if (uri === null && /^[^/]*[.:][^/]*\//.test(name)) {
    throw new McpFargateError(
      'MCPF_CDK_SERVER_INVALID',
      `${field} must name an ECR repository (a name, or <account>.dkr.ecr.<region>.amazonaws.com/<name>), got ${show(value)}`,
    );
  }
  if (repositoryName.includes(':')) {
    throw new McpFargateError('MCPF_CDK_IMAGE_TAG_NOT_ALLOWED', `${field} names a tag as well as a digest; give the digest alone, got ${show(value)}`);
  }
  validateRepositoryName(field, repositoryName);
  return uri === null ? { repositoryName, digest } : { repositoryName, account: uri[1], region: uri[2], digest };
}

function isToken(value: unknown): boolean {
  return (typeof value === 'string' || typeof value === 'number') && Token.isUnresolved(value);
}

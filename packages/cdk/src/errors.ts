/**
 * Every error this package throws, in one table: a stable code (never reused once retired), and the rule it enforces.
 * Tests match errors by code; the message says which prop or config field was wrong, what it got, and what would be
 * accepted.
 */
export const ERROR_CODES = {
  MCPF_CDK_IMAGE_DIGEST_REQUIRED: 'an image digest is required: images are deployed pinned by digest',
  MCPF_CDK_IMAGE_TAG_NOT_ALLOWED: 'a tag (such as latest) is not a digest: images are deployed pinned by digest',
  MCPF_CDK_IMAGE_DIGEST_INVALID: 'an image digest is sha256: followed by 64 lowercase hex characters',
  MCPF_CDK_REPOSITORY_CONFLICT: 'give either an existing repository or a name for a new one, not both',
  MCPF_CDK_TASK_SIZE_INVALID: 'cpu and memory must be a pair Fargate allows',
  MCPF_CDK_TASK_COUNT_INVALID: 'task counts must satisfy 0 <= min <= desired <= max and max >= 1',
  MCPF_CDK_NUMBER_OUT_OF_RANGE: 'a number is outside its allowed range',
  MCPF_CDK_CHOICE_INVALID: 'a value is not one of the choices the prop accepts',
  MCPF_CDK_HTTPS_CERTIFICATE_REQUIRED: 'HTTPS needs a certificate, or a domain name and hosted zone to create one',
  MCPF_CDK_HTTP_CONFLICT: 'plain HTTP for testing cannot be combined with a certificate, a domain or an HTTP redirect',
  MCPF_CDK_PUBLIC_ACCESS_NOT_ACKNOWLEDGED: 'auth none on an internet-facing load balancer needs acknowledgeNoAuth, a sentence saying why',
  MCPF_CDK_DOMAIN_INVALID: 'a domain name is malformed or outside its hosted zone',
  MCPF_CDK_DOMAIN_REQUIRED: 'HTTPS needs the domain name its certificate covers (and a hosted zone needs a record name)',
  MCPF_CDK_CERTIFICATE_ARN_INVALID: 'a certificate is not given as an ACM certificate ARN',
  MCPF_CDK_CERTIFICATE_REGION_MISMATCH: "the certificate is in another region than the stack's load balancer",
  MCPF_CDK_CIDR_INVALID: 'an allowed CIDR is not a valid IPv4 or IPv6 CIDR block',
  MCPF_CDK_PREFIX_LIST_INVALID: 'an allowed prefix list id is not of the form pl-<hex>',
  MCPF_CDK_STICKINESS_DURATION_INVALID: 'stickiness duration must be between 1 second and 7 days',
  MCPF_CDK_STICKINESS_REQUIRED: 'sessions bound to one task need stickiness when there can be more than one task',
  MCPF_CDK_TIMEOUT_INVALID: 'a gateway timeout override breaks the order the ALB idle timeout needs',
  MCPF_CDK_TAG_INVALID: 'a tag key or value breaks the AWS tagging rules, or names a tag the construct sets',
  MCPF_CDK_SECRET_INVALID: 'a secret reference is not a Secrets Manager secret name or ARN, or its JSON key is malformed',
  MCPF_CDK_SECRET_JSON_KEY_ON_STRING: 'a JSON key can only be read from a secret whose value is a JSON object',
  MCPF_CDK_KMS_KEY_INVALID: 'a KMS key must be given as a key ARN',
  MCPF_CDK_ENV_NAME_INVALID: 'an environment variable name must match [A-Za-z_][A-Za-z0-9_]*',
  MCPF_CDK_ENV_CARRIES_SECRET: 'plain environment variables must not carry secrets: use secrets instead',
  MCPF_CDK_ENV_RESERVED: 'this environment variable is set by the construct',
  MCPF_CDK_VPC_CONFLICT: 'an existing VPC and options for a new VPC were both given',
  MCPF_CDK_LOG_RETENTION_INVALID: 'log retention must be one of the values CloudWatch Logs accepts',
  MCPF_CDK_NAME_INVALID: 'a name does not meet the naming rules of the AWS service that uses it',
  MCPF_CDK_SERVER_INVALID: 'a hosted MCP server (module, command, url or sidecar image) is malformed',
  MCPF_CDK_SERVER_CONFLICT: 'hosted MCP servers contradict each other: two kinds in one, server with servers, two defaults, a port taken',
  MCPF_CDK_SESSION_STORE_INVALID: 'the session store is malformed, carries credentials in plain text, or cannot be reached',
  MCPF_CDK_AUTH_REQUIRED: 'an explicit auth choice is required: keys, oauth, or none',
  MCPF_CDK_AUTH_INVALID: 'the auth settings are malformed or do not fit the load balancer',
  MCPF_CDK_REGION_REQUIRED: 'the stack needs a concrete region',
  MCPF_CDK_CONFIG_INVALID: 'the deployment config file is not valid',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Codes no longer thrown, never to be reused for another meaning. MCPF_CDK_STICKINESS_COOKIE_INVALID: app-cookie
 * stickiness was removed (the gateway sets no cookie for it to follow). MCPF_CDK_PUBLIC_ACCESS_CONFLICT: the
 * allowUnauthenticatedPublicAccess opt-in it policed was replaced by the explicit auth choice (issue 11).
 */
export const RETIRED_ERROR_CODES: readonly string[] = ['MCPF_CDK_STICKINESS_COOKIE_INVALID', 'MCPF_CDK_PUBLIC_ACCESS_CONFLICT'];

/** An invalid prop or config value, found at synth time before anything reaches AWS. */
export class McpFargateError extends Error {
  override readonly name = 'McpFargateError';

  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** Renders a value for an error message: strings quoted, everything else as JSON. */
export function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

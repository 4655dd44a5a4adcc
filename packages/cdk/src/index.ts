// The public API of @mcp-fargate/cdk. Any export added here becomes public API: named exports only.
export { McpFargateService } from './mcp-fargate-service.js';
export type {
  McpAuth,
  McpCognitoAuth,
  McpCognitoOptions,
  McpCommandServer,
  McpEgress,
  McpEgressRule,
  McpExistingSessionStore,
  McpFargateServiceProps,
  McpHostedServer,
  McpKeysAuth,
  McpModuleServer,
  McpNamedServer,
  McpNoAuth,
  McpOAuthAuth,
  McpSecret,
  McpSessionStore,
  McpSidecarHealthCheck,
  McpSidecarImage,
  McpSidecarServer,
  McpStickiness,
  McpUrlServer,
  McpWaf,
} from './service/props.js';
export type { McpAlarms } from './service/monitoring.js';
export { McpImageRepository } from './mcp-image-repository.js';
export type { McpImageRepositoryProps } from './mcp-image-repository.js';
export { GATEWAY_METRICS, GATEWAY_METRICS_ENV } from './gateway-metrics.js';
export { GATEWAY_ENV } from './gateway-env.js';
export { McpFargateError, ERROR_CODES, RETIRED_ERROR_CODES } from './errors.js';
export type { ErrorCode } from './errors.js';
export { allowedMemoryMiB } from './fargate-task-size.js';
export { McpFargateStack, McpImageRepositoryStack } from './mcp-fargate-stack.js';
export type { McpFargateStackProps, McpImageRepositoryStackProps } from './mcp-fargate-stack.js';
export { createMcpFargateApp, synthesizeMcpFargateApp } from './app.js';
export type { McpFargateApp, McpFargateAppOptions, McpFargateSynthResult } from './app.js';
export { loadDeploymentConfig, parseDeploymentConfig } from './deployment-config.js';
export type { DeploymentConfig, DeploymentConfigSecret } from './deployment-config.js';

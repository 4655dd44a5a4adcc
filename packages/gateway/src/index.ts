export { loadConfig, ConfigError, CONFIG_VARIABLES, GATEWAY_VERSION, type GatewayConfig, type LogLevel } from './config.js';
export { GATEWAY_ERRORS, type GatewayErrorCode } from './errors.js';
export { startGateway, type Gateway, type GatewayOptions, type GatewayState } from './http/gateway.js';
export { createLogger, type Logger } from './logger.js';
export { loadServerFactory, ServerFactoryError, type McpServerFactory } from './hosting/server-factory.js';
export { createDemoServer } from './demo/demo-server.js';
export { MemorySessionStore } from './session/memory-session-store.js';
export type { SessionStore } from './session/session-store.js';
export type { SessionRecord, ReplayedRequest } from './session/session-record.js';

// The gateway's public API: anything exported here is a promise to users. Named exports only.
export { CONFIG_VARIABLES, ConfigError, GATEWAY_VERSION, type GatewayConfig, type LogLevel, loadConfig } from './config/config.js';
export { createDemoServer } from './demo/demo-server.js';
export { GATEWAY_ERRORS, type GatewayErrorCode } from './errors.js';
export { type Gateway, type GatewayOptions, type GatewayState, MCP_PATH, startGateway } from './gateway.js';
export { HostedServerError } from './hosting/hosted-server.js';
export { loadServerFactory, type McpServerFactory } from './hosting/server-factory.js';
export { createLogger, type Logger } from './logger.js';
export type { EventStore, EventStoreOptions, Replay } from './stores/event-store.js';
export { MemoryEventStore } from './stores/memory-event-store.js';
export { MemorySessionStore } from './stores/memory-session-store.js';
export type { ChangeOutcome, InitializeParams, RecordLimits, SessionRecord, StateChange } from './stores/session-record.js';
export type { SessionStore, SessionStoreOptions } from './stores/session-store.js';

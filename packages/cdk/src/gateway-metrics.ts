/**
 * The contract between the gateway and the dashboard: the gateway writes CloudWatch Embedded Metric Format (EMF)
 * lines to stdout, the awslogs driver ships them to CloudWatch Logs, and CloudWatch turns them into metrics with no
 * agent. The construct sets the environment below so the gateway knows to emit them and under which `Service`.
 *
 * Metrics (namespace `McpFargate`):
 * - `LiveSessions` (Count, dimension set [Service]): legacy sessions held by the task, emitted once a minute.
 * - `Requests` (Count), `Errors` (Count), `LatencyMs` (Milliseconds), each with dimension sets [Service] and
 *   [Service, McpMethod]: one value per JSON-RPC request (or a per-interval aggregate), `McpMethod` being the JSON-RPC
 *   method (`tools/call`, `initialize`, ...). An error is a JSON-RPC error response or an HTTP status >= 500. They
 *   also carry dimension sets [Service, Server] and [Service, Server, McpMethod], `Server` naming the hosted server
 *   (`default` for a lone one, else its name in MCP_SERVERS).
 */
export const GATEWAY_METRICS = {
  namespace: 'McpFargate',
  serviceDimension: 'Service',
  methodDimension: 'McpMethod',
  serverDimension: 'Server',
  liveSessions: 'LiveSessions',
  requests: 'Requests',
  errors: 'Errors',
  latencyMs: 'LatencyMs',
} as const;

/** Environment variables the construct gives the container so the gateway emits the metrics above. */
export const GATEWAY_METRICS_ENV = {
  /** `emf`: write EMF lines to stdout. */
  format: 'METRICS',
  /** The value of the `Service` dimension. */
  service: 'METRICS_SERVICE',
} as const;

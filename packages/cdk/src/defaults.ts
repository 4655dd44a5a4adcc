/**
 * Every default of the construct, the repository and the deployment config, in one place (DESIGN.md section 6 says
 * why each number is what it is). Units are in the names.
 */
export const DEFAULTS = {
  cpu: 512,
  /** Graviton costs about 20% less than x86 on Fargate. */
  cpuArchitecture: 'arm64',
  egress: 'nat',
  internetFacing: true,
  /** Sessions on the task that made them; the shared stores are a deliberate choice (cost, a cache in the VPC). */
  sessionStore: 'memory',
  deletionProtection: true,
  containerInsights: 'enabled',
  memoryLimitMiB: 1024,
  containerPort: 8080,
  minTasks: 2,
  /** Raised to `minTasks` when that is higher. */
  maxTasks: 4,
  targetCpuUtilizationPercent: 60,
  targetRequestsPerTarget: 1000,
  maxAzs: 2,
  idleTimeoutSeconds: 120,
  stickinessSeconds: 24 * 3600,
  healthCheckIntervalSeconds: 10,
  healthCheckTimeoutSeconds: 5,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
  healthCheckGraceSeconds: 30,
  deregistrationDelaySeconds: 60,
  stopTimeoutSeconds: 30,
  scaleInCooldownSeconds: 300,
  scaleOutCooldownSeconds: 60,
  logBufferMiB: 25,
  logRetentionDays: 30,
  accessLogExpirationDays: 90,
  keepImages: 100,
  untaggedImageExpiryDays: 14,
  http5xxAlarmThreshold: 5,
  latencyP99AlarmSeconds: 5,
  cpuAlarmPercent: 85,
  memoryAlarmPercent: 85,
  /** Where a sidecar MCP server answers, as most streamable-HTTP servers (FastMCP, the SDK examples) do. */
  sidecarPath: '/mcp',
  /** The sidecar runs as this user: the image's files are usually world-readable, and nothing then runs as root. */
  sidecarUser: '1000:1000',
  /** `Authorization: Bearer <key>`, what MCP clients send by default. */
  authHeader: 'authorization',
  /** The one scope the Cognito resource server defines when none is given (client credentials need one). */
  cognitoScope: 'access',
  /**
   * A cap, not a reservation: the cache bills for what it stores. The gateway bounds what it keeps (records of at
   * most MAX_SESSIONS sessions, SSE event logs with lengths and TTLs), typically well under 1 GB.
   */
  valkeyMaxDataStorageGb: 5,
  /**
   * ECPUs a second the cache may use: a request to a session costs one to a few (one round trip when its live server
   * is cached on the task, more when pub/sub routes it), so this serves well over a thousand requests a second.
   */
  valkeyMaxEcpuPerSecond: 5000,
  /** Per client IP: agent platforms send many users' calls from a few egress addresses, so the limit is generous. */
  wafRateLimitPer5Minutes: 10_000,
} as const;

/** The ranges the construct and the deployment config both accept, inclusive; the config's JSON Schema shows them too. */
export const LIMITS = {
  containerPort: { min: 1024, max: 65535 },
  tasks: { min: 0, max: 1000 },
  targetCpuUtilizationPercent: { min: 10, max: 90 },
  targetRequestsPerTarget: { min: 1, max: 1_000_000 },
  maxAzs: { min: 1, max: 6 },
  /** What the ALB accepts. */
  idleTimeoutSeconds: { min: 1, max: 4000 },
  keepImages: { min: 1, max: 10_000 },
  http5xxAlarmThreshold: { min: 1, max: 1_000_000 },
  latencyP99AlarmSeconds: { min: 0.001, max: 3600 },
  alarmPercent: { min: 1, max: 100 },
  /** What ECS accepts for a container health check. */
  healthCheckIntervalSeconds: { min: 5, max: 300 },
  healthCheckTimeoutSeconds: { min: 2, max: 60 },
  healthCheckRetries: { min: 1, max: 10 },
  healthCheckStartPeriodSeconds: { min: 0, max: 300 },
  /** What ElastiCache Serverless accepts. */
  valkeyMaxDataStorageGb: { min: 1, max: 5000 },
  valkeyMaxEcpuPerSecond: { min: 1000, max: 15_000_000 },
  /** What a WAF rate-based rule accepts (the lower bound of older API versions, so every region takes it). */
  wafRateLimitPer5Minutes: { min: 100, max: 2_000_000_000 },
} as const;

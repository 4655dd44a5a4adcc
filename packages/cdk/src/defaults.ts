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
  /** The only session store today. */
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
} as const;

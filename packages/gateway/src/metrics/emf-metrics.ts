/**
 * CloudWatch Embedded Metric Format on stdout: the awslogs driver ships the
 * lines and CloudWatch turns them into metrics, with no agent in the task.
 * The names are the contract with the CDK dashboard
 * (packages/cdk/src/gateway-metrics.ts); a test keeps the two in step.
 */
export const EMF = {
  namespace: 'McpFargate',
  serviceDimension: 'Service',
  methodDimension: 'McpMethod',
  serverDimension: 'Server',
  liveSessions: 'LiveSessions',
  requests: 'Requests',
  errors: 'Errors',
  latencyMs: 'LatencyMs',
} as const;

/** EMF takes at most 100 values per metric in one document. */
const MAX_SAMPLES = 100;

interface MethodFigures {
  readonly server: string;
  readonly method: string;
  requests: number;
  errors: number;
  /** A uniform sample of this interval's latencies (reservoir sampling), enough for p99 per minute. */
  samples: number[];
}

export interface MetricsOptions {
  readonly service: string;
  readonly intervalMs: number;
  /** Sessions as last counted: a metrics flush never waits on a store. */
  readonly liveSessions: () => number;
  /** @default a write to stdout */
  readonly write?: (line: string) => void;
}

/**
 * Aggregates per MCP method in memory and writes one EMF document per method
 * (plus one for live sessions) each interval: a per-request line would cost
 * a stdout write on the hot path and a log event each.
 */
export class EmfMetrics {
  private figures = new Map<string, MethodFigures>();
  private readonly timer: NodeJS.Timeout;
  private readonly write: (line: string) => void;

  constructor(private readonly options: MetricsOptions) {
    this.write = options.write ?? ((line) => process.stdout.write(line));
    this.timer = setInterval(() => void this.flush(), options.intervalMs);
    this.timer.unref();
  }

  record(server: string, method: string, latencyMs: number, error: boolean): void {
    // Both parts come from fixed lists (the configured servers, the spec's methods), never from request input.
    const key = `${server}\n${method}`;
    let figures = this.figures.get(key);
    if (figures === undefined) {
      figures = { server, method, requests: 0, errors: 0, samples: [] };
      this.figures.set(key, figures);
    }
    figures.requests += 1;
    if (error) figures.errors += 1;
    if (figures.samples.length < MAX_SAMPLES) figures.samples.push(latencyMs);
    else {
      const slot = Math.floor(Math.random() * figures.requests);
      if (slot < MAX_SAMPLES) figures.samples[slot] = latencyMs;
    }
  }

  async flush(): Promise<void> {
    const figures = this.figures;
    this.figures = new Map();
    const timestamp = Date.now();
    const service = this.options.service;
    let lines = '';
    for (const { server, method, requests, errors, samples } of figures.values()) {
      lines += `${JSON.stringify({
        _aws: {
          Timestamp: timestamp,
          CloudWatchMetrics: [
            {
              Namespace: EMF.namespace,
              Dimensions: [
                [EMF.serviceDimension],
                [EMF.serviceDimension, EMF.methodDimension],
                [EMF.serviceDimension, EMF.serverDimension],
                [EMF.serviceDimension, EMF.serverDimension, EMF.methodDimension],
              ],
              Metrics: [
                { Name: EMF.requests, Unit: 'Count' },
                { Name: EMF.errors, Unit: 'Count' },
                { Name: EMF.latencyMs, Unit: 'Milliseconds' },
              ],
            },
          ],
        },
        [EMF.serviceDimension]: service,
        [EMF.serverDimension]: server,
        [EMF.methodDimension]: method,
        [EMF.requests]: requests,
        [EMF.errors]: errors,
        [EMF.latencyMs]: samples.map((sample) => Math.round(sample * 100) / 100),
      })}\n`;
    }
    lines += `${JSON.stringify({
      _aws: {
        Timestamp: timestamp,
        CloudWatchMetrics: [{ Namespace: EMF.namespace, Dimensions: [[EMF.serviceDimension]], Metrics: [{ Name: EMF.liveSessions, Unit: 'Count' }] }],
      },
      [EMF.serviceDimension]: service,
      [EMF.liveSessions]: this.options.liveSessions(),
    })}\n`;
    this.write(lines);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

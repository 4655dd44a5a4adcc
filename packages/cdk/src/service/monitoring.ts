import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { GATEWAY_METRICS } from '../gateway-metrics.js';
import type { ResolvedProps } from './props.js';

export interface McpAlarms {
  /** Also a deployment alarm: a deployment that raises it is rolled back. */
  readonly http5xx: cloudwatch.Alarm;
  /** Also a deployment alarm: a deployment that raises it is rolled back. */
  readonly unhealthyHosts: cloudwatch.Alarm;
  /**
   * Fewer healthy targets than `minTasks`, which `unhealthyHosts` cannot see (an empty target group has no unhealthy
   * host); absent when `minTasks` is 0.
   */
  readonly healthyHosts?: cloudwatch.Alarm;
  readonly latencyP99: cloudwatch.Alarm;
  readonly cpu: cloudwatch.Alarm;
  readonly memory: cloudwatch.Alarm;
}

/** What the alarms and the dashboard watch. */
export interface Watched {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly service: ecs.FargateService;
  /** The `Service` dimension of the gateway's metrics. */
  readonly metricsServiceName: string;
}

/** The alarms, notifying `topic` (on alarm and on OK) when one is given. */
export function createAlarms(scope: Construct, p: ResolvedProps, watched: Watched, topic: sns.ITopic | undefined): McpAlarms {
  const { loadBalancer, targetGroup, service } = watched;
  const http5xx = p.http5xxAlarmThreshold;
  const latency = p.latencyP99AlarmThreshold;
  const minute = Duration.minutes(1);
  const errors5xx = new cloudwatch.MathExpression({
    label: '5xx responses (load balancer + targets)',
    expression: 'FILL(elb, 0) + FILL(target, 0)',
    usingMetrics: {
      elb: loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: minute, statistic: 'Sum' }),
      target: targetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: minute, statistic: 'Sum' }),
    },
    period: minute,
  });
  const common = { treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING } as const;
  const alarms: McpAlarms = {
    http5xx: errors5xx.createAlarm(scope, 'Http5xxAlarm', {
      ...common,
      alarmDescription: `MCP: ${http5xx} or more 5xx responses a minute, in 3 of the last 5 minutes`,
      threshold: http5xx,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    }),
    unhealthyHosts: targetGroup.metrics.unhealthyHostCount({ period: minute, statistic: 'Maximum' }).createAlarm(scope, 'UnhealthyHostsAlarm', {
      ...common,
      alarmDescription: 'MCP: a task has failed its /healthz check for 3 minutes',
      threshold: 1,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    }),
    healthyHosts:
      p.minTasks > 0
        ? targetGroup.metrics.healthyHostCount({ period: minute, statistic: 'Minimum' }).createAlarm(scope, 'HealthyHostsAlarm', {
            // No datapoint means no target reported healthy.
            treatMissingData: cloudwatch.TreatMissingData.BREACHING,
            alarmDescription: `MCP: fewer than ${p.minTasks} healthy tasks behind the load balancer for 3 minutes`,
            threshold: p.minTasks,
            evaluationPeriods: 3,
            comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          })
        : undefined,
    latencyP99: targetGroup.metrics.targetResponseTime({ period: minute, statistic: 'p99' }).createAlarm(scope, 'LatencyP99Alarm', {
      ...common,
      alarmDescription: `MCP: p99 target response time above ${latency.toHumanString()} for 5 minutes`,
      threshold: latency.toMilliseconds() / 1000,
      evaluationPeriods: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    }),
    cpu: service.metricCpuUtilization({ period: minute, statistic: 'Average' }).createAlarm(scope, 'CpuAlarm', {
      ...common,
      alarmDescription: `MCP: service CPU above ${p.cpuAlarmPercent}% for 5 minutes (autoscaling is not keeping up)`,
      threshold: p.cpuAlarmPercent,
      evaluationPeriods: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    }),
    memory: service.metricMemoryUtilization({ period: minute, statistic: 'Average' }).createAlarm(scope, 'MemoryAlarm', {
      ...common,
      alarmDescription: `MCP: service memory above ${p.memoryAlarmPercent}% for 5 minutes (sessions or a leak)`,
      threshold: p.memoryAlarmPercent,
      evaluationPeriods: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    }),
  };
  if (topic !== undefined) {
    const action = new cloudwatchActions.SnsAction(topic);
    for (const alarm of allAlarms(alarms)) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
  return alarms;
}

function allAlarms(alarms: McpAlarms): cloudwatch.Alarm[] {
  return Object.values(alarms).filter((alarm): alarm is cloudwatch.Alarm => alarm !== undefined);
}

/** The dashboard an operator looks at first: the alarms, the load balancer, the targets, the tasks and the gateway's own metrics. */
export function createDashboard(scope: Construct, p: ResolvedProps, watched: Watched, alarms: McpAlarms): cloudwatch.Dashboard {
  const { loadBalancer, targetGroup, service, metricsServiceName } = watched;
  const latencyThreshold = p.latencyP99AlarmThreshold;
  const minute = Duration.minutes(1);
  const m = GATEWAY_METRICS;
  const gateway = (metricName: string, statistic: string, label: string) =>
    new cloudwatch.Metric({
      namespace: m.namespace,
      metricName,
      dimensionsMap: { [m.serviceDimension]: metricsServiceName },
      statistic,
      period: minute,
      label,
    });
  const byMethod = (metricName: string, statistic: string, label: string) =>
    new cloudwatch.MathExpression({
      expression:
        `SEARCH('{${m.namespace},${m.serviceDimension},${m.methodDimension}} ` +
        `MetricName="${metricName}" ${m.serviceDimension}="${metricsServiceName}"', '${statistic}', 60)`,
      usingMetrics: {},
      label,
      period: minute,
    });
  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', { defaultInterval: Duration.hours(3) });
  dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: allAlarms(alarms), width: 24, height: 3 }));
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Requests and 5xx (load balancer)',
      left: [loadBalancer.metrics.requestCount({ period: minute, statistic: 'Sum' })],
      right: [alarms.http5xx.metric],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Target response time',
      left: ['p50', 'p90', 'p99'].map((statistic) => targetGroup.metrics.targetResponseTime({ period: minute, statistic, label: statistic })),
      leftAnnotations: [{ value: latencyThreshold.toMilliseconds() / 1000, label: 'p99 alarm threshold' }],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Targets',
      left: [
        targetGroup.metrics.healthyHostCount({ period: minute, statistic: 'Minimum', label: 'healthy' }),
        targetGroup.metrics.unhealthyHostCount({ period: minute, statistic: 'Maximum', label: 'unhealthy' }),
      ],
      width: 8,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Service CPU and memory (%)',
      left: [service.metricCpuUtilization({ period: minute, label: 'CPU' }), service.metricMemoryUtilization({ period: minute, label: 'memory' })],
      leftYAxis: { min: 0, max: 100 },
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Live MCP sessions (gateway)',
      left: [gateway(m.liveSessions, 'Sum', 'live sessions')],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'MCP requests and errors (gateway)',
      left: [gateway(m.requests, 'Sum', 'requests')],
      right: [gateway(m.errors, 'Sum', 'errors')],
      width: 8,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({ title: 'Requests by MCP method', left: [byMethod(m.requests, 'Sum', 'requests')], width: 8 }),
    new cloudwatch.GraphWidget({ title: 'Errors by MCP method', left: [byMethod(m.errors, 'Sum', 'errors')], width: 8 }),
    new cloudwatch.GraphWidget({
      title: 'Latency by MCP method, p99 (ms)',
      left: [byMethod(m.latencyMs, 'p99', 'p99 latency')],
      width: 8,
    }),
  );
  return dashboard;
}

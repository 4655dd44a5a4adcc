import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FilterLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import type { Command } from 'commander';
import { describeDeployedStack } from '../aws/deployed-stack.js';
import type { CliContext } from '../cli-context.js';
import { CliError } from '../errors.js';
import { DEFAULT_CONFIG_FILE, loadProjectConfig } from '../project-config.js';
import { parseDuration } from './option-parsers.js';

/** Pages read per poll: a burst larger than this is shown on the next poll. */
const MAX_PAGES_PER_POLL = 20;
/** How often --follow asks CloudWatch Logs for new lines. */
export const FOLLOW_INTERVAL_MS = 2000;
/** --follow stops by itself after a day (43,200 polls) if nobody pressed Ctrl-C. */
const MAX_FOLLOW_POLLS = 43_200;

export function registerLogs(program: Command, context: CliContext): void {
  program
    .command('logs')
    .description("print the service's CloudWatch log lines readably (the gateway's JSON lines, metrics documents left out)")
    .option('-c, --config <file>', 'the deployment config', DEFAULT_CONFIG_FILE)
    .option('--since <duration>', 'start this far back: 30s, 10m, 2h, 1d', parseDuration, 10 * 60_000)
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .addHelpText('after', '\nExamples:\n  $ mcp-fargate logs --since 1h\n  $ mcp-fargate logs --follow')
    .action(async (flags: { config: string; since: number; follow?: boolean }) => {
      const { config } = loadProjectConfig(resolve(context.cwd, flags.config), { env: context.env });
      const aws = context.aws(config.region ?? '');
      const logGroupName = (await describeDeployedStack(aws, config.stackName)).output('LogGroupName');
      if (logGroupName === undefined) throw new CliError('MCPF_CLI_STACK_NOT_FOUND', `the stack ${config.stackName} has no LogGroupName output`);
      const seen = new Set<string>();
      let startTime = context.now().getTime() - flags.since;
      const stop = new AbortController();
      const stopListening = context.onInterrupt(() => stop.abort());
      try {
        for (let poll = 0; poll < (flags.follow ? MAX_FOLLOW_POLLS : 1) && !stop.signal.aborted; poll++) {
          if (poll > 0) await sleep(FOLLOW_INTERVAL_MS, undefined, { signal: stop.signal }).catch(() => undefined);
          let nextToken: string | undefined;
          for (let page = 0; page < MAX_PAGES_PER_POLL; page++) {
            const answer = await aws.logs.send(new FilterLogEventsCommand({ logGroupName, startTime, nextToken }));
            for (const event of answer.events ?? []) {
              // Events at the boundary come again on the next poll; their ids say which were printed.
              if (event.eventId !== undefined && seen.has(event.eventId)) continue;
              if (event.eventId !== undefined) seen.add(event.eventId);
              const line = formatLogEvent(event);
              if (line !== undefined) context.out.write(`${line}\n`);
              startTime = Math.max(startTime, event.timestamp ?? startTime);
            }
            nextToken = answer.nextToken;
            if (nextToken === undefined) break;
          }
        }
      } finally {
        stopListening();
      }
    });
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const SHOWN_FIELDS = ['method', 'era', 'mcpMethod', 'status', 'durationMs', 'session', 'server'] as const;

/**
 * One gateway log line for a person: time, level, task, message and the request fields; EMF metric documents are
 * left out (the dashboard shows them); anything that is not the gateway's JSON is printed as it came.
 */
export function formatLogEvent(event: FilteredLogEvent): string | undefined {
  const text = (event.message ?? '').trimEnd();
  const time = new Date(event.timestamp ?? 0).toISOString().slice(11, 23);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return `${time} ${text}`;
  }
  if (typeof json !== 'object' || json === null) return `${time} ${text}`;
  if ('_aws' in json) return undefined;
  const level = LEVELS[Number(json.level)] ?? String(json.level ?? '').toUpperCase();
  const task = typeof json.task === 'string' ? ` [${json.task.slice(0, 8)}]` : '';
  const fields = SHOWN_FIELDS.filter((k) => json[k] !== undefined).map((k) => `${k}=${String(json[k])}`);
  const error = typeof json.err === 'object' && json.err !== null ? ` ${String((json.err as { message?: unknown }).message)}` : '';
  return `${time} ${level}${task} ${String(json.msg ?? '')}${error}${fields.length > 0 ? `  ${fields.join(' ')}` : ''}`;
}

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { localGateway } from '../dev/gateway-env.js';
import { CliError } from '../errors.js';
import { GATEWAY_MAIN } from '../paths.js';
import { DEFAULT_CONFIG_FILE, loadProjectConfig } from '../project-config.js';
import { formatLogEvent } from './logs-command.js';
import { positiveNumber } from './option-parsers.js';

/** How long dev waits for the gateway's /healthz before it gives up (the demo is ready in well under a second). */
const READY_TIMEOUT_MS = 30_000;

export function registerDev(program: Command, context: CliContext): void {
  program
    .command('dev')
    .description('run the gateway locally with the config, as it runs in the container (same variables, same server kind)')
    .option('-c, --config <file>', 'the deployment config', DEFAULT_CONFIG_FILE)
    .option('-p, --port <port>', 'local port', positiveNumber, 8080)
    .option('--redis-url <url>', 'a local Redis/Valkey for the shared session store')
    .option('--json-logs', "print the gateway's JSON log lines as they are")
    .addHelpText(
      'after',
      `
Examples:
  $ mcp-fargate dev
  $ mcp-fargate dev --port 3000 --config staging.config.json
  $ mcp-fargate dev --redis-url redis://127.0.0.1:6379`,
    )
    .action(async (flags: { config: string; port: number; redisUrl?: string; jsonLogs?: boolean }) => {
      const project = loadProjectConfig(resolve(context.cwd, flags.config), { env: context.env });
      if (!existsSync(GATEWAY_MAIN)) {
        throw new CliError(
          'MCPF_CLI_GATEWAY_EXITED',
          `the gateway is not built (${GATEWAY_MAIN} is missing): run \`npm run build\` in the mcp-fargate repository`,
        );
      }
      const gateway = localGateway(project.raw, project.dir, context.env, flags.redisUrl === undefined ? {} : { redisUrl: flags.redisUrl });
      const env = {
        ...pick(context.env, ['PATH', 'HOME', 'TMPDIR', 'LANG', 'NODE_OPTIONS']),
        ...gateway.env,
        PORT: String(flags.port),
        HOST: '127.0.0.1',
      };
      const child = spawn(process.execPath, [GATEWAY_MAIN], { cwd: project.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      for (const stream of [child.stdout, child.stderr]) {
        createInterface({ input: stream }).on('line', (line) => {
          context.err.write(`${flags.jsonLogs ? line : (formatLogEvent({ message: line, timestamp: Date.now() }) ?? line)}\n`);
        });
      }
      const stop = () => child.kill('SIGTERM');
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        const base = `http://127.0.0.1:${flags.port}`;
        if (await ready(`${base}/healthz`, () => child.exitCode === null)) {
          const header = gateway.key === undefined ? '' : ` --header "${gateway.key.header}: ${gateway.key.value}"`;
          context.out.write(
            `${[
              `mcp-fargate dev: ${base}/mcp (gateway pid ${child.pid})`,
              ...gateway.notes.map((note) => `  note: ${note}`),
              `  try it:  npx @modelcontextprotocol/inspector --cli ${base}/mcp --transport http --method tools/list${header}`,
              `  check:   mcp-fargate verify ${base}/mcp --idle-seconds 25 --keep-alive-seconds 5${header}`,
              '  Ctrl-C stops it (the gateway drains first, as on a deploy)',
            ].join('\n')}\n`,
          );
        }
        const [code, signal] = await exited;
        if (code !== 0 && signal === null) throw new CliError('MCPF_CLI_GATEWAY_EXITED', `the gateway exited with ${code}: its message is above`);
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}

async function ready(url: string, alive: () => boolean): Promise<boolean> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline && alive()) {
    const status = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return true;
    await sleep(100);
  }
  return false;
}

function pick(env: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (env[name] === undefined ? [] : [[name, env[name] as string]])));
}

// The product: the mcp-fargate gateway started in-process through its public API, with its built-in
// demo server (an `echo` tool). Extra configuration (for example MAX_SESSIONS for the heap figure)
// arrives from the runner as JSON in BENCH_GATEWAY_ENV.
import { loadConfig, startGateway } from '@mcp-fargate/gateway';
import { serveTarget } from '../lib/target-ipc.js';

function extraEnv(): Record<string, string> {
  const raw = process.env.BENCH_GATEWAY_ENV;
  if (raw === undefined || raw === '') return {};
  return JSON.parse(raw) as Record<string, string>;
}

serveTarget(async () => {
  const gateway = await startGateway(loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...extraEnv() }));
  return { port: gateway.port, close: () => gateway.close() };
});

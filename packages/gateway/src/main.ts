#!/usr/bin/env node
import { ConfigError, type GatewayConfig, loadConfig } from './config/config.js';
import { HostedServerError } from './hosting/hosted-server.js';
import { type Gateway, startGateway } from './gateway.js';

/**
 * The container's process: configuration from the environment, then serve
 * until SIGTERM (ECS stops a task with it after deregistration) or SIGINT,
 * drain, and exit 0. A second signal exits at once.
 */
async function main(): Promise<void> {
  let config: GatewayConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`mcp-fargate: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  let gateway: Gateway;
  try {
    gateway = await startGateway(config);
  } catch (error) {
    if (error instanceof HostedServerError || (error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      process.stderr.write(`mcp-fargate: ${(error as Error).message}\n`);
      process.exit(1);
    }
    throw error;
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`mcp-fargate: second ${signal}, exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    gateway.drain().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`mcp-fargate: drain failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

await main();

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { McpServerFactory } from '@modelcontextprotocol/server';
import createDemoServer from '../demo/demo-server.js';
import { HostedServerError } from './hosted-server.js';

export type { McpServerFactory };

/**
 * Loads the factory named by MCP_SERVER (a module whose default export returns
 * an SDK McpServer), or the built-in demo when none is named. Failing here
 * stops the process at start, before the health check ever turns green.
 */
export async function loadServerFactory(modulePath: string | undefined): Promise<McpServerFactory> {
  if (modulePath === undefined) return createDemoServer;
  const url = pathToFileURL(resolve(modulePath)).href;
  let loaded: { default?: unknown };
  try {
    loaded = (await import(url)) as { default?: unknown };
  } catch (error) {
    throw new HostedServerError(`MCP_SERVER=${JSON.stringify(modulePath)} could not be loaded: ${(error as Error).message}`);
  }
  if (typeof loaded.default !== 'function') {
    throw new HostedServerError(`MCP_SERVER=${JSON.stringify(modulePath)} has no default export function: export default a factory that returns an McpServer`);
  }
  return loaded.default as McpServerFactory;
}

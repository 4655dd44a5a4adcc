import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { eventually, freePort } from './harness.js';

/** Real MCP servers from the npm registry, and this suite's own fixtures, as the gateway hosts them. */
const modules = (path: string): string => fileURLToPath(new URL(`../../../../node_modules/${path}`, import.meta.url));
export const EVERYTHING = modules('@modelcontextprotocol/server-everything/dist/index.js');
export const FILESYSTEM = modules('@modelcontextprotocol/server-filesystem/dist/index.js');
export const MEMORY = modules('@modelcontextprotocol/server-memory/dist/index.js');
export const PYTHON_FIXTURE = fileURLToPath(new URL('../../test/fixtures/python-stdio-server.py', import.meta.url));
export const SDK_V1_FIXTURE = fileURLToPath(new URL('./fixtures/sdk-v1-server.js', import.meta.url));

/** `node <file>` for MCP_SERVER_COMMAND, quoted for the gateway's command-line parser. */
export function nodeCommand(file: string, ...args: string[]): string {
  return [process.execPath, file, ...args].map((word) => `'${word}'`).join(' ');
}

export type Era = 'legacy' | 'modern';

/** The official SDK v2 client in either era, answering sampling with a fixed text. */
export async function connectClient(url: string, era: Era): Promise<Client> {
  const client = new Client(
    { name: 'hosting-test', version: '1.0.0' },
    { capabilities: { sampling: {} }, ...(era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {}) },
  );
  client.setRequestHandler('sampling/createMessage', () => ({
    model: 'test-model',
    role: 'assistant',
    content: { type: 'text', text: 'sampled by the test client' },
    stopReason: 'endTurn',
  }));
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

export function textOf(result: unknown): string {
  return ((result as CallToolResult).content ?? []).map((part) => (part.type === 'text' ? part.text : `[${part.type}]`)).join('\n');
}

/** server-everything serving its own streamable HTTP on a free loopback port (what MCP_SERVER_URL fronts). */
export interface EverythingHttp {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

export async function startEverythingHttp(port?: number): Promise<EverythingHttp> {
  const chosen = port ?? (await freePort());
  const child = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], { env: { PATH: process.env['PATH'] ?? '', PORT: String(chosen) }, stdio: 'ignore' });
  const url = `http://127.0.0.1:${chosen}/mcp`;
  await eventually(() => child.exitCode === null, 'server-everything to run');
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await fetch(url, { method: 'GET' });
      break;
    } catch {
      if (Date.now() > deadline) throw new Error('server-everything did not listen');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    url,
    port: chosen,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

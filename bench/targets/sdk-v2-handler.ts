// SDK v2 hosting as documented: createMcpHandler(factory) + toNodeHandler on node:http. The factory
// builds a fresh McpServer with an `echo` tool for every request; modern (2026-07-28) requests and
// legacy stateless requests both go through it.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { serveTarget } from '../lib/target-ipc.js';

const EchoInput = z.object({ text: z.string() });

function factory(): McpServer {
  const server = new McpServer({ name: 'bench-sdk-v2', version: '1.0.0' });
  server.registerTool('echo', { description: 'Echo the text back', inputSchema: EchoInput }, async ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
  return server;
}

serveTarget(
  () =>
    new Promise((resolve, reject) => {
      const handler = createMcpHandler(factory, {
        onerror: (error) => console.error('sdk-v2-handler:', error.message),
      });
      const node = toNodeHandler(handler);
      const server = createServer((req, res) => {
        if (req.url !== '/mcp') {
          res.writeHead(404);
          res.end();
          return;
        }
        void node(req, res);
      });
      server.keepAliveTimeout = 65_000;
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        resolve({
          port: (server.address() as AddressInfo).port,
          close: async () => {
            await handler.close();
            server.closeAllConnections();
            await new Promise<void>((done) => server.close(() => done()));
          },
        });
      });
    }),
);

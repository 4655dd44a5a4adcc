// SDK v1, the classic stateful pattern: express + express.json(), one StreamableHTTPServerTransport
// and McpServer per session (sessionIdGenerator: randomUUID, enableJsonResponse: true), kept in a
// map until DELETE. An `echo` tool.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import express from 'express';
import { z } from 'zod';
import { serveTarget } from '../lib/target-ipc.js';

const transports = new Map<string, StreamableHTTPServerTransport>();

function newSessionServer(): McpServer {
  const server = new McpServer({ name: 'bench-sdk-v1', version: '1.0.0' });
  server.registerTool('echo', { description: 'Echo the text back', inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
  return server;
}

const app = express();
app.use(express.json({ limit: '4mb' }));

app.post('/mcp', async (req, res) => {
  const header = req.headers['mcp-session-id'];
  const sessionId = typeof header === 'string' ? header : undefined;
  let transport = sessionId === undefined ? undefined : transports.get(sessionId);
  if (transport === undefined) {
    if (sessionId !== undefined || !isInitializeRequest(req.body)) {
      res.status(sessionId !== undefined ? 404 : 400).json({
        jsonrpc: '2.0',
        error: { code: -32000, message: sessionId !== undefined ? 'Session not found' : 'Bad Request: no valid session ID' },
        id: null,
      });
      return;
    }
    const created: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (id) => {
        transports.set(id, created);
      },
    });
    created.onclose = () => {
      if (created.sessionId !== undefined) transports.delete(created.sessionId);
    };
    await newSessionServer().connect(created);
    transport = created;
  }
  await transport.handleRequest(req, res, req.body);
});

serveTarget(
  () =>
    new Promise((resolve, reject) => {
      const server = app.listen(0, '127.0.0.1', () => {
        resolve({
          port: (server.address() as AddressInfo).port,
          close: async () => {
            server.closeAllConnections();
            await new Promise<void>((done) => server.close(() => done()));
          },
        });
      });
      server.keepAliveTimeout = 65_000;
      server.once('error', reject);
    }),
);

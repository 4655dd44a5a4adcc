// The ceiling: plain node:http that reads a JSON-RPC body and answers a tools/call-shaped result
// echoing params.arguments.text. No MCP semantics, no validation beyond JSON.parse.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveTarget } from '../lib/target-ipc.js';

interface EchoRequest {
  id?: string | number | null;
  params?: { arguments?: { text?: unknown } };
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let message: EchoRequest;
    try {
      message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as EchoRequest;
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}');
      return;
    }
    const text = message.params?.arguments?.text;
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: message.id ?? null,
      result: { content: [{ type: 'text', text: typeof text === 'string' ? text : '' }] },
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

serveTarget(
  () =>
    new Promise((resolve, reject) => {
      const server = createServer(handle);
      server.keepAliveTimeout = 65_000;
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        resolve({
          port: (server.address() as AddressInfo).port,
          close: () =>
            new Promise((done) => {
              server.closeAllConnections();
              server.close(() => done());
            }),
        });
      });
    }),
);

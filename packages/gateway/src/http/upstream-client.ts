import { Agent, request } from 'node:http';
import { Agent as TlsAgent, request as requestTls } from 'node:https';
import type { UpstreamClient, UpstreamResponse } from '../hosting/upstream-http-server.js';

/** Sockets kept open to one upstream: above the calls a gateway has in flight to it at once in ordinary use. */
const MAX_SOCKETS = 256;

/**
 * POSTs to an upstream MCP server over `node:http` with keep-alive sockets.
 * `fetch` cost three to four times the CPU per exchange (web streams, the
 * fetch spec's request and response objects); the proxied call is the hot
 * path of an upstream-hosted server (issue 13).
 */
export function createUpstreamClient(url: string): UpstreamClient {
  const target = new URL(url);
  const tls = target.protocol === 'https:';
  const agent = tls ? new TlsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }) : new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
  const send = tls ? requestTls : request;
  return {
    post: (headers, body) =>
      new Promise((resolve, reject) => {
        const outgoing = send(target, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent }, (incoming) => {
          incoming.setEncoding('utf8');
          const response: UpstreamResponse = {
            status: incoming.statusCode ?? 0,
            header: (name) => {
              const value = incoming.headers[name];
              return Array.isArray(value) ? value.join(', ') : value;
            },
            read: (chunk) =>
              new Promise((done, fail) => {
                incoming.on('data', chunk);
                incoming.once('end', done);
                incoming.once('error', fail);
                incoming.once('close', () => {
                  if (!incoming.complete) fail(new Error('the upstream cut its answer'));
                });
              }),
            discard: () => {
              incoming.resume();
            },
          };
          resolve(response);
        });
        outgoing.once('error', reject);
        outgoing.end(body);
      }),
    close: () => agent.destroy(),
  };
}

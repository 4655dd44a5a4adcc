import type { AuthInfo } from '@modelcontextprotocol/server';
import type { InboundMessage } from '../protocol/json-rpc.js';
import type { HostedConnection, HostedServer } from './hosted-server.js';

/** Where a stdio or upstream server finds the caller, under PRINCIPAL_FORWARD=meta (a `_meta` key with a prefix of ours). */
export const PRINCIPAL_META_KEY = 'mcp-fargate/principal';

/**
 * `server`, whose connections write the caller into every request's `_meta`: subject, client id and scopes, never the
 * token. The gateway's value replaces whatever the client put under that key, and an anonymous call carries none, so a
 * server behind the gateway can trust what it reads there.
 */
export function forwardingPrincipal(server: HostedServer): HostedServer {
  return {
    description: server.description,
    eras: server.eras,
    async connect(era, events, tag) {
      const connection = await server.connect(era, events, tag);
      const forwarding: HostedConnection = {
        get closed() {
          return connection.closed;
        },
        relates: connection.relates,
        send: (message, extra) => connection.send(withPrincipal(message, extra?.authInfo), extra),
        close: () => connection.close(),
        ...(connection.stalled === undefined ? {} : { stalled: (sentAt: number) => connection.stalled?.(sentAt) }),
      };
      return forwarding;
    },
    close: () => server.close(),
    ...(server.problem === undefined ? {} : { problem: () => server.problem?.() }),
  };
}

function withPrincipal(message: InboundMessage, authInfo: AuthInfo | undefined): InboundMessage {
  if (message.method === undefined || message.id === undefined) return message;
  const params = (message.params ?? {}) as { _meta?: Record<string, unknown> };
  const { [PRINCIPAL_META_KEY]: _sent, ...meta } = params._meta ?? {};
  if (authInfo !== undefined) {
    meta[PRINCIPAL_META_KEY] = { sub: authInfo.extra?.['sub'] ?? authInfo.clientId, clientId: authInfo.clientId, scopes: authInfo.scopes };
  }
  const { _meta: _old, ...rest } = params;
  return { ...message, params: Object.keys(meta).length === 0 ? rest : { ...rest, _meta: meta } };
}

import type { AuthInfo } from '@modelcontextprotocol/server';
import type { InboundMessage, OutboundMessage, RequestId } from '../protocol/json-rpc.js';

export type Era = 'legacy' | 'modern';

/**
 * The one seam between the gateway and the MCP server it hosts, whatever kind
 * it is (an in-process SDK server, a stdio child, an upstream HTTP server).
 * A hosted server says which eras it speaks and opens connections that carry
 * JSON-RPC messages both ways; the gateway owns everything above a connection
 * (sessions, request-id rewriting, replies, timeouts), so a new kind is one
 * file that implements this.
 */
export interface HostedServer {
  /** A log-safe description: what is hosted. */
  readonly description: string;
  /** The eras a connection can be opened in. */
  readonly eras: ReadonlySet<Era>;
  /**
   * Opens a connection in `era`: a legacy one starts with the client's (or a
   * replayed) `initialize`; a modern one carries 2026-07-28 requests, each
   * with its own envelope. `tag` names the connection in logs (a session's
   * log id).
   */
  connect(era: Era, events: ConnectionEvents, tag?: string): Promise<HostedConnection>;
  /** Stops what the server holds for all connections (children, sockets). */
  close(): Promise<void>;
  /** What is wrong with the server right now (`/healthz` reports it), or undefined when nothing is known to be. */
  problem?(): string | undefined;
}

/** What a connection tells the gateway. */
export interface ConnectionEvents {
  /**
   * A message from the server. `relatedRequestId` is the id (as the server
   * saw it) of the request the message belongs to, where the kind of server
   * can tell; otherwise the gateway relates it by what it carries.
   */
  message(message: OutboundMessage, relatedRequestId: RequestId | undefined): void;
  /** The connection ended on the server's side; nothing more will arrive. */
  closed(reason: string): void;
  /** Something went wrong that does not end the connection (reporting only). */
  error(error: Error): void;
}

/** Per-message extras a kind of server may use and others ignore. */
export interface SendExtra {
  /** Lets the handler end its SSE stream early (SEP-1699), where the client can resume it. */
  readonly closeSSEStream?: (() => void) | undefined;
  /**
   * Who sent the request, for the handlers of an in-process SDK server
   * (`ctx.http.authInfo`). Stdio and upstream servers never get it: the
   * caller's credentials stop at the gateway; with PRINCIPAL_FORWARD=meta
   * they are told who called (`principal-forwarding.ts`), never the token.
   */
  readonly authInfo?: AuthInfo | undefined;
}

export interface HostedConnection {
  readonly closed: boolean;
  /**
   * Whether every message comes with the request it relates to. A server
   * outside the process cannot say, and the gateway relates its messages by
   * what they carry (a progress token) or by what is in progress.
   */
  readonly relates: boolean;
  send(message: InboundMessage, extra?: SendExtra): void;
  close(): Promise<void>;
  /** A request sent at or before `sentAt` (epoch ms) has had no answer by its deadline: the connection may be hung. */
  stalled?(sentAt: number): void;
}

/** A hosted server that cannot start: the process stops with this message, before `/healthz` turns green. */
export class HostedServerError extends Error {
  override readonly name = 'HostedServerError';
}

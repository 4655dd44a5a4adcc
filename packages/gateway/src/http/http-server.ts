import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gatewayError } from '../errors.js';
import type { Logger } from '../logger.js';
import { errorResponse } from '../protocol/json-rpc.js';
import type { RequestListener } from './router.js';

export interface HttpServerOptions {
  readonly keepAliveTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly maxConnections: number;
  readonly logger: Logger;
}

/**
 * How often Node looks for requests past their headers or request timeout:
 * its default (30 s) would let a slow-header client hold a socket that much
 * longer than the timeout says.
 */
function checkIntervalMs(headersTimeoutMs: number): number {
  return Math.min(Math.max(Math.floor(headersTimeoutMs / 4), 100), 1000);
}

/**
 * The node:http server: timeouts tuned for the ALB, a clear answer to
 * malformed HTTP, and the bookkeeping a drain needs (requests in progress,
 * `Connection: close` on busy keep-alive sockets).
 */
export class HttpServer {
  private readonly server: Server;
  private inFlightCount = 0;
  private draining = false;
  private idleListener: (() => void) | undefined;

  constructor(
    options: HttpServerOptions,
    private readonly listener: RequestListener,
  ) {
    this.server = createServer({
      keepAliveTimeout: options.keepAliveTimeoutMs,
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      connectionsCheckingInterval: checkIntervalMs(options.headersTimeoutMs),
    });
    this.server.maxConnections = options.maxConnections;
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => this.serve(req, res));
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      options.logger.debug({ code: error.code }, 'client error');
      // A response already under way on this socket cannot take another one: only Node's own default would write here too.
      const inProgress = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
      if (!socket.writable || inProgress) {
        socket.destroy();
        return;
      }
      const [status, reason] =
        error.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'Request Header Fields Too Large']
          : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? [408, 'Request Timeout']
            : [400, 'Bad Request'];
      const body = errorResponse(null, gatewayError('INVALID_REQUEST', `malformed HTTP request (${reason})`));
      socket.end(
        `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    });
  }

  /** HTTP requests whose response has not closed yet. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  /**
   * Stops taking new work on kept-alive sockets: idle ones close now, busy
   * ones get `Connection: close` on their next response (`server.close()`
   * only closes idle sockets), so clients reconnect to another task. The
   * listener stays open: a client answering a sampling request in flight
   * must still reach this task, and a new client is told 503 + Retry-After
   * rather than refused.
   */
  startDraining(): void {
    this.draining = true;
    this.server.closeIdleConnections();
  }

  /** Resolves at the next moment no request is in progress, or after `ms`. */
  whenIdle(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      this.idleListener = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Closes at once: open connections are cut. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    this.inFlightCount += 1;
    res.once('close', () => {
      this.inFlightCount -= 1;
      if (this.inFlightCount === 0) this.idleListener?.();
    });
    if (this.draining) res.setHeader('connection', 'close');
    this.listener(req, res);
  }
}

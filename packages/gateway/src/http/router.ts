import type { IncomingMessage, ServerResponse } from 'node:http';
import { PROTECTED_RESOURCE_PATH } from '../auth/authenticator.js';
import type { TokenAuthenticator } from '../auth/token-authenticator.js';
import { gatewayError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { EmfMetrics } from '../metrics/emf-metrics.js';
import { errorResponse } from '../protocol/json-rpc.js';
import { methodLabel, OTHER_METHOD } from '../protocol/mcp-methods.js';
import type { RequestNotes } from '../reply/request-notes.js';
import { hasRpcError, writeJson } from './http-reply-sink.js';
import type { McpMount } from './mcp-mount.js';

export interface RouterOptions {
  /** MCP endpoints by path (`/mcp`, and `/<name>/mcp` per hosted server). */
  readonly mounts: ReadonlyMap<string, McpMount>;
  /** The OAuth-protected MCP paths, whose RFC 9728 metadata is served open. @default none */
  readonly resources?: ReadonlyMap<string, TokenAuthenticator>;
  /** Answers `GET /healthz`. */
  readonly health: (res: ServerResponse) => void;
  readonly logger: Logger;
  readonly metrics: EmfMetrics | undefined;
  readonly jsonHeaders: Readonly<Record<string, string>>;
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** The path of the default MCP endpoint. */
const MAIN_PATH = '/mcp';

/** Method names past this length are cut in the log: a client chooses them. */
const LOGGED_METHOD_CHARS = 64;

/**
 * Routes by path: `/healthz`, the MCP mounts, and 404 for the rest. Every MCP
 * request gets one log line and one metrics sample when its response closes.
 */
export function createRouter(options: RouterOptions): RequestListener {
  const { mounts, resources, logger, metrics } = options;
  const paths = [...mounts.keys()].join(', ');
  // Browser-based MCP clients read the metadata from another origin.
  const metadataHeaders = { ...options.jsonHeaders, 'access-control-allow-origin': '*', 'cache-control': 'max-age=300' };
  return (req, res) => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const mount = mounts.get(path);
    if (mount !== undefined) {
      const start = performance.now();
      const notes: RequestNotes = { server: undefined, era: 'legacy', mcpMethod: undefined, session: undefined };
      res.once('close', () => {
        const durationMs = Math.round((performance.now() - start) * 100) / 100;
        const label = methodLabel(notes.mcpMethod);
        metrics?.record(notes.server ?? '', label, durationMs, res.statusCode >= 500 || hasRpcError(res));
        if (logger.isLevelEnabled('info')) logRequest(logger, req, res, notes, label, durationMs);
      });
      mount(req, res, notes).catch((error: unknown) => {
        logger.error({ err: error }, 'request failed');
        if (!res.headersSent) writeJson(res, 500, options.jsonHeaders, errorResponse(null, gatewayError('INTERNAL')));
        else res.destroy();
      });
      return;
    }
    if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      options.health(res);
      return;
    }
    if (path.startsWith(PROTECTED_RESOURCE_PATH) && req.method === 'GET' && resources !== undefined) {
      // RFC 9728 section 3.1: the path-suffixed form names the MCP path; the bare form is the one at /mcp.
      const resourcePath = path.length === PROTECTED_RESOURCE_PATH.length ? MAIN_PATH : path.slice(PROTECTED_RESOURCE_PATH.length);
      const resource = resources.get(resourcePath);
      if (resource !== undefined) {
        writeJson(res, 200, metadataHeaders, JSON.stringify(resource.metadata(req.headers, resourcePath)));
        return;
      }
    }
    const body = errorResponse(null, gatewayError('NOT_FOUND', `no route for ${req.method ?? ''} ${path}; MCP is served at ${paths}`));
    writeJson(res, 404, options.jsonHeaders, body);
  };
}

function logRequest(logger: Logger, req: IncomingMessage, res: ServerResponse, notes: RequestNotes, label: string, durationMs: number): void {
  logger.info(
    {
      method: req.method,
      server: notes.server,
      era: notes.era,
      mcpMethod: label,
      ...(label === OTHER_METHOD && notes.mcpMethod !== undefined ? { unknownMethod: notes.mcpMethod.slice(0, LOGGED_METHOD_CHARS) } : {}),
      status: res.statusCode,
      rpcError: hasRpcError(res) || undefined,
      durationMs,
      session: notes.session,
      ...(logger.isLevelEnabled('debug') ? { req: { headers: req.headers } } : {}),
    },
    'mcp request',
  );
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Authenticator, Principal } from '../auth/authenticator.js';
import type { LegacyEndpoint } from '../legacy/legacy-endpoint.js';
import type { ModernEndpoint } from '../modern/modern-endpoint.js';
import type { InboundClassifier } from '../protocol/classify.js';
import { idOf } from '../protocol/json-rpc.js';
import { parseJson } from '../protocol/json-text.js';
import type { StandardHeaders } from '../protocol/standard-headers.js';
import { fail, RETRY_AFTER_S } from '../reply/reply-sink.js';
import { GATEWAY_ERRORS, gatewayError } from '../errors.js';
import { StoreUnavailableError } from '../stores/session-store.js';
import type { RequestNotes } from '../reply/request-notes.js';
import { type AnswerDefaults, HttpReplySink } from './http-reply-sink.js';
import type { OriginGuard } from './origin-guard.js';
import { readBody } from './read-body.js';

export interface McpMountOptions {
  /** The hosted server's name: every request's log line and metrics carry it. */
  readonly server: string;
  readonly legacy: LegacyEndpoint;
  readonly modern: ModernEndpoint;
  readonly classifier: InboundClassifier;
  readonly guard: OriginGuard;
  readonly maxBodyBytes: number;
  readonly maxJsonDepth: number;
  /** False while draining: no new `subscriptions/listen`. */
  readonly accepting: () => boolean;
  readonly answers: AnswerDefaults;
  /** Checks every request's credentials before anything else reads it. @default none: the endpoint is open */
  readonly authenticator?: Authenticator | undefined;
}

/** Serves one MCP endpoint: the HTTP checks, then the request handed to the endpoint of its era. */
export type McpMount = (req: IncomingMessage, res: ServerResponse, notes: RequestNotes) => Promise<void>;

/**
 * The HTTP half of an MCP endpoint, in the order the spec's checks run: Host
 * and Origin, the method, Content-Type and Accept, the body (bounded in bytes
 * and in nesting), then era classification, and the request goes to the
 * legacy or the modern endpoint with a reply sink.
 */
export function createMcpMount(options: McpMountOptions): McpMount {
  const { legacy, modern, classifier, guard, answers } = options;

  const post = async (req: IncomingMessage, res: ServerResponse, sink: HttpReplySink, notes: RequestNotes, principal: Principal | undefined): Promise<void> => {
    const contentType = req.headers['content-type'];
    // A body the gateway will not read ends the connection with the answer, rather than being drained into nothing.
    if (contentType === undefined || !/^application\/json\s*(;|$)/i.test(contentType)) {
      res.setHeader('connection', 'close');
      return fail(sink, 'UNSUPPORTED_MEDIA_TYPE');
    }
    if (!acceptsBoth(req.headers.accept)) {
      res.setHeader('connection', 'close');
      return fail(sink, 'NOT_ACCEPTABLE');
    }
    const body = await readBody(req, options.maxBodyBytes);
    if (body.kind === 'too-large') {
      res.setHeader('connection', 'close');
      return fail(sink, 'BODY_TOO_LARGE', null, `limit is ${options.maxBodyBytes} bytes`);
    }
    if (body.kind === 'aborted') return;
    const parsed = parseJson(body.text, options.maxJsonDepth);
    if (parsed.kind === 'malformed') return fail(sink, 'PARSE_ERROR');
    if (parsed.kind === 'too-deep') return fail(sink, 'TOO_DEEP', null, `limit is ${options.maxJsonDepth} levels`);
    const standard: StandardHeaders = {
      protocolVersion: header(req, 'mcp-protocol-version'),
      method: header(req, 'mcp-method'),
      name: header(req, 'mcp-name'),
    };
    const route = classifier.classify({
      httpMethod: 'POST',
      protocolVersionHeader: standard.protocolVersion,
      mcpMethodHeader: standard.method,
      mcpNameHeader: standard.name,
      body: parsed.value,
    });
    switch (route.kind) {
      case 'reject':
        return sink.error(route.httpStatus, idOf(parsed.value), route);
      case 'modern':
        notes.era = 'modern';
        notes.mcpMethod = route.message.method;
        // A subscription opened now would only hold the drain open until it is cut.
        if (!options.accepting() && route.message.method === 'subscriptions/listen') return fail(sink, 'DRAINING', idOf(parsed.value));
        return modern.handle(sink, route, standard, principal);
      case 'legacy':
        return legacy.post(sink, parsed.value, { sessionId: header(req, 'mcp-session-id'), protocolVersion: standard.protocolVersion, principal }, notes);
    }
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, sink: HttpReplySink, notes: RequestNotes): Promise<void> => {
    const refused = guard(req.headers.host, req.headers.origin);
    if (refused !== undefined) return fail(sink, refused);
    let principal: Principal | undefined;
    if (options.authenticator !== undefined) {
      const url = req.url ?? '/';
      const query = url.indexOf('?');
      const outcome = await options.authenticator.authenticate(
        req.headers,
        query === -1 ? undefined : new URLSearchParams(url.slice(query + 1)),
        query === -1 ? url : url.slice(0, query),
      );
      if (!outcome.ok) {
        // The body of a refused request is never read: the connection ends with the answer.
        res.setHeader('connection', 'close');
        const headers: Record<string, string> = outcome.challenge === undefined ? {} : { 'www-authenticate': outcome.challenge };
        if (GATEWAY_ERRORS[outcome.code].status === 503) headers['retry-after'] = RETRY_AFTER_S;
        return sink.error(GATEWAY_ERRORS[outcome.code].status, null, gatewayError(outcome.code, outcome.detail), headers);
      }
      principal = outcome.principal;
    }
    switch (req.method) {
      case 'POST':
        return post(req, res, sink, notes, principal);
      case 'GET':
        if (!(req.headers.accept ?? '').includes('text/event-stream')) {
          notes.mcpMethod = 'stream';
          return fail(sink, 'NOT_ACCEPTABLE_SSE');
        }
        return legacy.get(
          sink,
          {
            sessionId: header(req, 'mcp-session-id'),
            protocolVersion: header(req, 'mcp-protocol-version'),
            lastEventId: header(req, 'last-event-id'),
            principal,
          },
          notes,
        );
      case 'DELETE':
        return legacy.delete(sink, { sessionId: header(req, 'mcp-session-id'), protocolVersion: undefined, principal }, notes);
      default:
        res.setHeader('allow', 'POST, GET, DELETE');
        return fail(sink, 'METHOD_NOT_ALLOWED', null, `${req.method ?? ''} is not served; use POST, GET or DELETE`);
    }
  };

  return async (req, res, notes) => {
    notes.server = options.server;
    const sink = new HttpReplySink(res, answers);
    try {
      await serve(req, res, sink, notes);
    } catch (error) {
      // A request that needed the shared store while it was away: retry later, never a 500 or a hang.
      if (!(error instanceof StoreUnavailableError) || res.headersSent) throw error;
      fail(sink, 'STORE_UNAVAILABLE', null, error.message);
    }
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value.trim() : undefined;
}

function acceptsBoth(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  if (accept.includes('*/*')) return true;
  return accept.includes('application/json') && accept.includes('text/event-stream');
}

import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  PROTOCOL_VERSION_META_KEY,
  classifyInboundRequest,
  type InboundClassificationOutcome,
  type InboundHttpRequest,
} from '@modelcontextprotocol/server';

/** Revision identifiers are ISO dates: this one and later belong to the modern era. */
const MODERN_ERA_START = '2026-07-28';
/** `_meta` keys a request may carry and still take the fast path; anything else goes to the SDK's classifier. */
const FAST_META_KEYS = new Set([PROTOCOL_VERSION_META_KEY, CLIENT_INFO_META_KEY, CLIENT_CAPABILITIES_META_KEY, 'progressToken']);
/** Distinct envelopes remembered; a client sends the same one with every request. */
const ENVELOPES_REMEMBERED = 1024;

/**
 * The SDK's own era classification (`classifyInboundRequest`), with the two
 * common cases decided without running its full validation on every request
 * (a visible share of the per-request profile, `node bench/dist/run.js --cpu-prof`,
 * most of it schema checks that cannot fail for them):
 *
 * - a single request or notification with no envelope claim in `_meta` and no
 *   modern protocol-version header is 2025-era traffic (`initialize` included);
 * - a single modern request whose headers agree with its body and whose
 *   envelope holds only the standard keys is modern, once the SDK has judged
 *   that envelope valid; the verdict is remembered per envelope.
 *
 * Everything else, and every rejection, comes from the SDK's classifier, so
 * the answers are the SDK's to the letter.
 */
export class InboundClassifier {
  private readonly envelopeVerdicts = new Map<string, boolean>();

  classify(request: InboundHttpRequest): InboundClassificationOutcome {
    const body = request.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return classifyInboundRequest(request);
    const message = body as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
    if (message.jsonrpc !== '2.0' || typeof message.method !== 'string') return classifyInboundRequest(request);
    if (message.id !== undefined && typeof message.id !== 'string' && !Number.isSafeInteger(message.id)) return classifyInboundRequest(request);
    const params = message.params;
    if (params !== undefined && (params === null || typeof params !== 'object' || Array.isArray(params))) return classifyInboundRequest(request);
    const meta = (params as { _meta?: unknown } | undefined)?._meta;
    if (meta !== undefined && (meta === null || typeof meta !== 'object' || Array.isArray(meta))) return classifyInboundRequest(request);
    const header = request.protocolVersionHeader;
    if (meta !== undefined && !fastMeta(meta as Record<string, unknown>)) return classifyInboundRequest(request);
    if (meta === undefined || !(PROTOCOL_VERSION_META_KEY in meta)) {
      if (header !== undefined && header >= MODERN_ERA_START) return classifyInboundRequest(request);
      return { kind: 'legacy', reason: message.method === 'initialize' ? 'initialize' : message.id === undefined ? 'notification' : 'no-claim' };
    }
    const envelope = meta as Record<string, unknown>;
    const revision = envelope[PROTOCOL_VERSION_META_KEY];
    if (
      message.id === undefined ||
      typeof revision !== 'string' ||
      revision < MODERN_ERA_START ||
      revision !== header ||
      (request.mcpMethodHeader !== undefined && request.mcpMethodHeader !== message.method) ||
      !this.envelopeValid(revision, envelope)
    ) {
      return classifyInboundRequest(request);
    }
    return {
      kind: 'modern',
      messageKind: 'request',
      message: message as Extract<InboundClassificationOutcome, { kind: 'modern'; messageKind: 'request' }>['message'],
      classification: { era: 'modern', revision },
    };
  }

  /** Whether the SDK accepts this envelope: judged once per distinct envelope by the SDK's classifier itself. */
  private envelopeValid(revision: string, envelope: Record<string, unknown>): boolean {
    const standard = {
      [PROTOCOL_VERSION_META_KEY]: revision,
      [CLIENT_INFO_META_KEY]: envelope[CLIENT_INFO_META_KEY],
      [CLIENT_CAPABILITIES_META_KEY]: envelope[CLIENT_CAPABILITIES_META_KEY],
    };
    const key = JSON.stringify(standard);
    let valid = this.envelopeVerdicts.get(key);
    if (valid === undefined) {
      const probe = classifyInboundRequest({
        httpMethod: 'POST',
        protocolVersionHeader: revision,
        body: { jsonrpc: '2.0', id: 0, method: 'ping', params: { _meta: standard } },
      });
      valid = probe.kind === 'modern';
      if (this.envelopeVerdicts.size >= ENVELOPES_REMEMBERED) this.envelopeVerdicts.clear();
      this.envelopeVerdicts.set(key, valid);
    }
    return valid;
  }
}

/** Only the keys whose checks are known here: the envelope's own (judged by the SDK) and a well-formed progress token. */
function fastMeta(meta: Record<string, unknown>): boolean {
  for (const key in meta) {
    if (!FAST_META_KEYS.has(key)) return false;
  }
  const token = meta['progressToken'];
  return token === undefined || typeof token === 'string' || Number.isSafeInteger(token);
}

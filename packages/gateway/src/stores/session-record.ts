/**
 * What a legacy session is, apart from its live server: small, serializable,
 * and enough to rebuild the server by replaying `initialize` and then the
 * state the client set since (log level, resource subscriptions).
 */
export interface SessionRecord {
  readonly id: string;
  /** The revision `initialize` negotiated. */
  readonly protocolVersion: string;
  /** Only what a rebuild replays of the client's `initialize` params: anything else the client sent is not kept. */
  readonly initialize: InitializeParams;
  readonly createdAt: number;
  /** The level of the session's last `logging/setLevel`. */
  readonly logLevel?: string | undefined;
  /** URIs of the session's `resources/subscribe`, in the order they were made. */
  readonly subscriptions: readonly string[];
}

export interface InitializeParams {
  readonly protocolVersion: unknown;
  readonly capabilities: unknown;
  readonly clientInfo: unknown;
}

/** A request that changes what a rebuilt server must be told again, as one atomic change to the record. */
export type StateChange =
  | { readonly kind: 'log-level'; readonly level: string }
  | { readonly kind: 'subscribe'; readonly uri: string }
  | { readonly kind: 'unsubscribe'; readonly uri: string };

export type ChangeOutcome = 'applied' | 'gone' | 'record-too-large' | 'too-many-subscriptions';

/** The bounds every store holds a record to. */
export interface RecordLimits {
  /** The record serialized, subscriptions included, in characters. */
  readonly maxRecordBytes: number;
  readonly maxSubscriptions: number;
}

/** The syslog levels of `logging/setLevel`: any other value is the hosted server's to refuse, not the record's to keep. */
const LOG_LEVELS: ReadonlySet<string> = new Set(['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency']);

/** The `initialize` params a rebuild replays: protocol version, capabilities and client info, nothing else. */
export function initializeParamsOf(params: unknown): InitializeParams {
  const source = (params ?? {}) as Record<string, unknown>;
  return { protocolVersion: source['protocolVersion'], capabilities: source['capabilities'], clientInfo: source['clientInfo'] };
}

/**
 * The state change a request makes, if it makes one the record keeps: a
 * well-formed `logging/setLevel`, `resources/subscribe` or
 * `resources/unsubscribe`. A malformed one is left to the hosted server to
 * refuse, and never reaches the record.
 */
export function stateChangeOf(method: string, params: unknown): StateChange | undefined {
  const value = params as { level?: unknown; uri?: unknown } | undefined;
  switch (method) {
    case 'logging/setLevel':
      return typeof value?.level === 'string' && LOG_LEVELS.has(value.level) ? { kind: 'log-level', level: value.level } : undefined;
    case 'resources/subscribe':
      return typeof value?.uri === 'string' ? { kind: 'subscribe', uri: value.uri } : undefined;
    case 'resources/unsubscribe':
      return typeof value?.uri === 'string' ? { kind: 'unsubscribe', uri: value.uri } : undefined;
    default:
      return undefined;
  }
}

/** The methods whose effect outlives the request, so a rebuilt server must see them again. */
export const STATE_CHANGING_METHODS: ReadonlySet<string> = new Set(['logging/setLevel', 'resources/subscribe', 'resources/unsubscribe']);

/** The requests a rebuild replays after `initialize` and `notifications/initialized`, in order. */
export function replayedRequests(record: SessionRecord): { method: string; params: unknown }[] {
  const requests: { method: string; params: unknown }[] = [];
  if (record.logLevel !== undefined) requests.push({ method: 'logging/setLevel', params: { level: record.logLevel } });
  for (const uri of record.subscriptions) requests.push({ method: 'resources/subscribe', params: { uri } });
  return requests;
}

/**
 * The size the limits count, in characters: the record without its state
 * serialized, plus each piece of state serialized. Stores keep it current one
 * change at a time, so a change never re-serializes the record.
 */
export function recordSize(record: SessionRecord): number {
  const { logLevel, subscriptions, ...core } = record;
  let size = JSON.stringify(core).length + (logLevel === undefined ? 0 : stateSize(logLevel));
  for (const uri of subscriptions) size += stateSize(uri);
  return size;
}

/** What one piece of state (a level, a URI) adds to the record's size. */
export function stateSize(value: string): number {
  return JSON.stringify(value).length + 1;
}

/**
 * A record read back from a store, checked before anything replays it: a
 * tampered or corrupt entry is treated as a session that does not exist.
 */
export function parseSessionRecord(json: string, limits: RecordLimits): SessionRecord | undefined {
  // Serialized whole, a record is a little larger than its counted size, never by more than the key names.
  if (json.length > limits.maxRecordBytes + 256) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  const record = value as Partial<Record<keyof SessionRecord, unknown>> | null;
  if (record === null || typeof record !== 'object') return undefined;
  const { id, protocolVersion, initialize, createdAt, logLevel, subscriptions } = record;
  if (typeof id !== 'string' || typeof protocolVersion !== 'string' || typeof createdAt !== 'number') return undefined;
  if (initialize === null || typeof initialize !== 'object' || Array.isArray(initialize)) return undefined;
  if (logLevel !== undefined && (typeof logLevel !== 'string' || !LOG_LEVELS.has(logLevel))) return undefined;
  if (!Array.isArray(subscriptions) || subscriptions.length > limits.maxSubscriptions || !subscriptions.every((uri) => typeof uri === 'string')) {
    return undefined;
  }
  return {
    id,
    protocolVersion,
    initialize: initializeParamsOf(initialize),
    createdAt,
    logLevel,
    subscriptions: subscriptions as string[],
  };
}

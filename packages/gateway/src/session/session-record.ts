/**
 * What a legacy session is, apart from its live server: small, serializable,
 * and enough to rebuild the server by replaying `initialize` and then every
 * state-changing request in order.
 */
export interface SessionRecord {
  readonly id: string;
  readonly protocolVersion: string;
  /** The client's `initialize` params (capabilities, client info), replayed verbatim. */
  readonly initialize: unknown;
  /** State-changing requests after `initialize` (`logging/setLevel`, `resources/subscribe`, ...), in order. */
  readonly replay: readonly ReplayedRequest[];
  readonly createdAt: number;
}

export interface ReplayedRequest {
  readonly method: string;
  readonly params?: unknown;
}

/**
 * Folds a state-changing request into the replay list so it stays as short as
 * the state it describes: the latest log level wins, an unsubscribe removes
 * its subscribe.
 */
export function withReplayed(replay: readonly ReplayedRequest[], request: ReplayedRequest): ReplayedRequest[] {
  const uriOf = (entry: ReplayedRequest): unknown => (entry.params as { uri?: unknown } | undefined)?.uri;
  switch (request.method) {
    case 'logging/setLevel':
      return [...replay.filter((entry) => entry.method !== 'logging/setLevel'), request];
    case 'resources/subscribe':
      return [...replay.filter((entry) => !(entry.method === 'resources/subscribe' && uriOf(entry) === uriOf(request))), request];
    case 'resources/unsubscribe':
      return replay.filter((entry) => !(entry.method === 'resources/subscribe' && uriOf(entry) === uriOf(request)));
    default:
      return [...replay];
  }
}

/** The methods whose effect outlives the request, so a rebuilt server must see them again. */
export const STATE_CHANGING_METHODS: ReadonlySet<string> = new Set(['logging/setLevel', 'resources/subscribe', 'resources/unsubscribe']);

/**
 * What one task tells the others about a session, when the session's parts
 * are spread over tasks (a shared store, no stickiness): the client's stream
 * on one task, the live server answering on another.
 */
export type RelayMessage =
  /** An event kept for a session's stream: the task holding that stream writes it. */
  | { readonly kind: 'event'; readonly session: string; readonly stream: string; readonly id: string; readonly data: string }
  /** A reply's last event is kept: the task holding the resumed stream ends it. */
  | { readonly kind: 'end'; readonly session: string; readonly stream: string }
  /** A client's answer or notification for the session's live server, wherever it runs. */
  | { readonly kind: 'client'; readonly session: string; readonly message: unknown };

/** Relays messages between the gateway tasks that serve one hosted server. */
export interface SessionRelay {
  /** To every other task; a task never hears its own. */
  publish(message: RelayMessage): void;
  subscribe(listener: (message: RelayMessage) => void): () => void;
  close(): Promise<void>;
}

/** The relay of a gateway that is the only task: there is nobody to tell. */
export class LocalRelay implements SessionRelay {
  publish(): void {}

  subscribe(): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {}
}

import type { RedisClient } from './redis-connection.js';

/**
 * Whether the shared store is reachable, from the connection's own events:
 * `/healthz` reports it without a round trip (a store blip must never fail
 * every task's health check at once), and the log gets one line per change.
 */
export class StoreHealth {
  private problemText: string | undefined = 'connecting';

  constructor(client: RedisClient, log: (reachable: boolean, detail: string) => void) {
    client.on('ready', () => {
      if (this.problemText !== undefined) log(true, 'the session store is reachable');
      this.problemText = undefined;
    });
    client.on('error', (error: Error) => {
      if (this.problemText === undefined) log(false, `the session store is unreachable: ${error.message}`);
      this.problemText = error.message;
    });
    client.on('end', () => {
      this.problemText = 'connection ended';
    });
  }

  /** Why the store cannot be reached now, or undefined while it can. */
  get problem(): string | undefined {
    return this.problemText;
  }
}

import { createHash } from 'node:crypto';

/** A log-safe handle for a session: enough to correlate lines, useless as a credential. */
export function shortId(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('base64url').slice(0, 10);
}

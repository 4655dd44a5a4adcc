import type { ServerResponse } from 'node:http';
import { writeJson } from './http-reply-sink.js';

/** What `/healthz` reports: figures the process already holds, never a store round trip. */
export interface HealthSnapshot {
  readonly ready: boolean;
  readonly body: Readonly<Record<string, unknown>>;
}

/**
 * `GET /healthz`: 200 when ready, 503 while starting or draining. It must not
 * wait on anything shared (a session store): one blip there would fail every
 * task's check at once and the ALB would drain the fleet.
 */
export function createHealth(snapshot: () => HealthSnapshot, jsonHeaders: Readonly<Record<string, string>>): (res: ServerResponse) => void {
  const headers = { ...jsonHeaders, 'cache-control': 'no-store' };
  return (res) => {
    const { ready, body } = snapshot();
    writeJson(res, ready ? 200 : 503, headers, JSON.stringify(body));
  };
}

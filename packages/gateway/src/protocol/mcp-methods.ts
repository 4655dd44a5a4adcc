/**
 * The methods a client may send, in either era (the 2025 revisions and
 * 2026-07-28), and the names the gateway gives what is not one message.
 * Metrics dimensions come from this list, never from request input, so a
 * client sending made-up names cannot create metrics (a CloudWatch metric
 * costs money per name).
 */
const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'initialize',
  'ping',
  'server/discover',
  'subscriptions/listen',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'tasks/get',
  'tasks/list',
  'tasks/result',
  'tasks/update',
  'tasks/cancel',
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/roots/list_changed',
  // What a request is when it is not one client message:
  'batch',
  'response',
  'stream',
  'terminate',
]);

/** The label for everything else. */
export const OTHER_METHOD = 'other';

/** The method as metrics and logs name it: itself when known, else {@link OTHER_METHOD}. */
export function methodLabel(method: string | undefined): string {
  return method !== undefined && KNOWN_METHODS.has(method) ? method : OTHER_METHOD;
}

// Single verified requests made before any load run: a benchmark of 400s is worthless, so every
// scenario first gets one real answer checked for status and body.
import { ECHO_TEXT, type Headers, initializeBody, initializedNotificationBody, initializeHeaders, legacyHeaders } from './mcp-messages.js';

export class ProbeError extends Error {
  override name = 'ProbeError';
}

export interface ProbeResponse {
  status: number;
  headers: globalThis.Headers;
  text: string;
  /** The JSON-RPC message in the body (plain JSON, or the last `data:` frame of an SSE body). */
  message: unknown;
}

function parseMessage(contentType: string, text: string): unknown {
  try {
    if (contentType.includes('text/event-stream')) {
      const frames = text
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trim())
        .filter((data) => data !== '');
      const last = frames.at(-1);
      return last === undefined ? undefined : JSON.parse(last);
    }
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function post(url: string, headers: Headers, body: string, timeoutMs = 10_000): Promise<ProbeResponse> {
  const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    message: parseMessage(response.headers.get('content-type') ?? '', text),
  };
}

function excerpt(response: ProbeResponse): string {
  return `HTTP ${response.status}: ${response.text.replace(/\s+/g, ' ').slice(0, 240)}`;
}

/** The text of the first content block of a tools/call result, if the message is one. */
export function echoedText(message: unknown): string | undefined {
  const result = (message as { result?: { content?: Array<{ type?: string; text?: unknown }> } } | undefined)?.result;
  const first = result?.content?.[0];
  return first?.type === 'text' && typeof first.text === 'string' ? first.text : undefined;
}

/** POST one tools/call of `echo` and insist on 200 and the echoed text. */
export async function checkToolCall(url: string, headers: Headers, body: string, expectedText = ECHO_TEXT): Promise<ProbeResponse> {
  const response = await post(url, headers, body);
  if (response.status !== 200 || echoedText(response.message) !== expectedText) {
    throw new ProbeError(`sample tools/call failed: ${excerpt(response)}`);
  }
  return response;
}

/** The legacy handshake: initialize (expects 200 and an mcp-session-id) + notifications/initialized (2xx). */
export async function openLegacySession(url: string): Promise<string> {
  const init = await post(url, initializeHeaders(), initializeBody());
  const sessionId = init.headers.get('mcp-session-id');
  const result = (init.message as { result?: { protocolVersion?: unknown } } | undefined)?.result;
  if (init.status !== 200 || sessionId === null || typeof result?.protocolVersion !== 'string') {
    throw new ProbeError(`sample initialize failed (want 200 + mcp-session-id): ${excerpt(init)}`);
  }
  const initialized = await post(url, legacyHeaders(sessionId), initializedNotificationBody());
  if (initialized.status < 200 || initialized.status >= 300) {
    throw new ProbeError(`sample notifications/initialized failed: ${excerpt(initialized)}`);
  }
  return sessionId;
}

import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { McpProbe } from './mcp-probe.js';
import type { CheckResult } from './report.js';

/**
 * The two checks that wait: an SSE stream held idle past the load balancer's idle timeout must stay open (the
 * gateway's comment heartbeats keep it busy), and an idle keep-alive connection must not be closed by the server
 * before the load balancer's idle timeout (a gateway that closes first causes the ALB's intermittent 502s).
 */

/** A listen (2026-07-28) stream, or the legacy GET stream when the server speaks only the 2025 era. */
export async function idleStreamCheck(probe: McpProbe, idleSeconds: number, legacySession: () => Promise<string>): Promise<CheckResult> {
  const title = 'SSE stream idle';
  const controller = new AbortController();
  const started = Date.now();
  let response = await openStream(probe, controller.signal, undefined);
  if (!isStream(response)) {
    await response.body?.cancel();
    response = await openStream(probe, controller.signal, await legacySession());
  }
  if (!isStream(response)) {
    await response.body?.cancel();
    return {
      id: 'sse-idle',
      title,
      status: 'fail',
      required: true,
      detail: `no SSE stream could be opened (subscriptions/listen and GET answered ${response.status})`,
      fix: 'the server must answer subscriptions/listen (2026-07-28) or GET /mcp (2025 era) with text/event-stream',
    };
  }
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let heartbeats = 0;
  let closedAfterMs: number | undefined;
  let buffer = '';
  const reading = (async () => {
    // Bounded by the stream itself: it ends when the server closes it or when the timer below aborts it.
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        closedAfterMs = Date.now() - started;
        return;
      }
      buffer += decoder.decode(value, { stream: true });
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      heartbeats += lines.filter((line) => line.startsWith(':')).length;
    }
  })().catch(() => {
    // Aborted by the timer (the normal end), or cut by the network: a cut before the timer counts as closed.
    if (!controller.signal.aborted) closedAfterMs = Date.now() - started;
  });
  await Promise.race([sleep(idleSeconds * 1000), reading]);
  controller.abort();
  await reading;
  const held = `${(Math.min(closedAfterMs ?? idleSeconds * 1000, idleSeconds * 1000) / 1000).toFixed(1)} s`;
  if (closedAfterMs !== undefined && closedAfterMs < idleSeconds * 1000) {
    return {
      id: 'sse-idle',
      title,
      status: 'fail',
      required: true,
      detail: `the stream was closed after ${held}, before ${idleSeconds} s (${heartbeats} heartbeat${heartbeats === 1 ? '' : 's'} received)`,
      fix:
        heartbeats === 0
          ? 'turn the gateway heartbeat on (SSE_HEARTBEAT_MS below the load balancer idle timeout; the stack derives it from loadBalancer.idleTimeoutSeconds)'
          : 'something between the client and the gateway cuts long streams: raise the load balancer (or proxy) idle timeout above the heartbeat interval',
    };
  }
  if (heartbeats === 0) {
    return {
      id: 'sse-idle',
      title,
      status: 'fail',
      required: true,
      detail: `the stream stayed open ${held} but no heartbeat reached the client`,
      fix: 'turn the gateway heartbeat on (SSE_HEARTBEAT_MS > 0) and make --idle-seconds longer than its interval (20 s by default); a buffering proxy in front must pass comments through',
    };
  }
  return {
    id: 'sse-idle',
    title,
    status: 'pass',
    required: true,
    detail: `open after ${held} idle, ${heartbeats} heartbeat${heartbeats === 1 ? '' : 's'} received`,
  };
}

function openStream(probe: McpProbe, signal: AbortSignal, sessionId: string | undefined): Promise<Response> {
  if (sessionId !== undefined) {
    return fetch(probe.url, {
      method: 'GET',
      headers: probe.streamHeaders({ accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' }),
      signal,
    });
  }
  const meta = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'mcp-fargate-verify', version: '0.1.0' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  return fetch(probe.url, {
    method: 'POST',
    headers: probe.streamHeaders({ 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'subscriptions/listen' }),
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'subscriptions/listen', params: { notifications: { toolsListChanged: true }, _meta: meta } }),
    signal,
  });
}

function isStream(response: Response): boolean {
  return response.status === 200 && (response.headers.get('content-type') ?? '').includes('text/event-stream') && response.body !== null;
}

/** Holds one keep-alive connection idle for `seconds`, then reuses it. */
export async function keepAliveCheck(healthUrl: string, headers: Readonly<Record<string, string>>, seconds: number): Promise<CheckResult> {
  const title = 'keep-alive idle';
  const url = new URL(healthUrl);
  const https = url.protocol === 'https:';
  const agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: 1 }) : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  const get = () =>
    new Promise<{ response: IncomingMessage; socket: Socket; reused: boolean }>((resolve, reject) => {
      const request = (https ? httpsRequest : httpRequest)(url, { agent, headers: { ...headers }, timeout: 15_000 }, (response) => {
        response.resume();
        response.on('end', () => resolve({ response, socket: request.socket as Socket, reused: request.reusedSocket }));
      });
      request.on('timeout', () => request.destroy(new Error('no answer within 15 s')));
      request.on('error', reject);
      request.end();
    });
  try {
    const first = await get();
    const started = Date.now();
    let closedAfterMs: number | undefined;
    first.socket.once('close', () => (closedAfterMs = Date.now() - started));
    await sleep(seconds * 1000);
    if (closedAfterMs !== undefined) {
      return {
        id: 'keep-alive',
        title,
        status: 'fail',
        required: true,
        detail: `the server closed an idle connection after ${(closedAfterMs / 1000).toFixed(1)} s, before ${seconds} s`,
        fix:
          'behind a load balancer the gateway must keep idle connections open longer than its idle timeout, or the load balancer reuses a closed ' +
          'one and answers 502: KEEP_ALIVE_TIMEOUT_MS above it (the stack sets idle + 5 s). Through an ALB, keep --keep-alive-seconds below its idle timeout',
      };
    }
    const second = await get();
    return second.reused && second.response.statusCode === 200
      ? { id: 'keep-alive', title, status: 'pass', required: true, detail: `a connection idle ${seconds} s was still open and served the next request` }
      : {
          id: 'keep-alive',
          title,
          status: 'fail',
          required: true,
          detail: `after ${seconds} s idle the next request ${second.reused ? `answered ${second.response.statusCode}` : 'needed a new connection'}`,
          fix: 'KEEP_ALIVE_TIMEOUT_MS must be above the load balancer idle timeout',
        };
  } catch (error) {
    return {
      id: 'keep-alive',
      title,
      status: 'fail',
      required: true,
      detail: `reusing an idle connection failed (${(error as Error).message})`,
      fix: 'KEEP_ALIVE_TIMEOUT_MS must be above the load balancer idle timeout (else resets and 502s on reuse)',
    };
  } finally {
    agent.destroy();
  }
}

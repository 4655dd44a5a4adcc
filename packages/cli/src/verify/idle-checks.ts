import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
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

/**
 * Holds one keep-alive connection idle for `seconds`, then reuses it. Raw sockets, not node's Agent: the Agent closes
 * idle sockets itself on the server's `Keep-Alive: timeout` hint, and the question is what the server does.
 */
export async function keepAliveCheck(healthUrl: string, headers: Readonly<Record<string, string>>, seconds: number): Promise<CheckResult> {
  const title = 'keep-alive idle';
  const url = new URL(healthUrl);
  const https = url.protocol === 'https:';
  const port = Number(url.port || (https ? 443 : 80));
  const socket: Socket = https ? tlsConnect({ host: url.hostname, port, servername: url.hostname }) : netConnect({ host: url.hostname, port });
  const request = [
    `GET ${url.pathname} HTTP/1.1`,
    `Host: ${url.host}`,
    'Connection: keep-alive',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ].join('\r\n');
  let received = '';
  let closedAt: number | undefined;
  let socketError: Error | undefined;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', (error) => (socketError = error));
  socket.on('close', () => (closedAt ??= Date.now()));
  const response = async (): Promise<number | undefined> => {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && closedAt === undefined) {
      const status = completeResponse(received);
      if (status !== undefined) {
        received = '';
        return status;
      }
      await sleep(10);
    }
    return completeResponse(received);
  };
  try {
    await once(socket, https ? 'secureConnect' : 'connect');
    socket.write(request);
    const first = await response();
    if (first === undefined) throw socketError ?? new Error('no complete answer to GET /healthz');
    const idleSince = Date.now();
    await sleep(seconds * 1000);
    if (closedAt !== undefined) {
      return {
        id: 'keep-alive',
        title,
        status: 'fail',
        required: true,
        detail: `the server closed an idle connection after ${((closedAt - idleSince) / 1000).toFixed(1)} s, before ${seconds} s`,
        fix:
          'behind a load balancer the gateway must keep idle connections open longer than its idle timeout, or the load balancer reuses a closed ' +
          'one and answers 502: KEEP_ALIVE_TIMEOUT_MS above it (the stack sets idle + 5 s). Through an ALB, keep --keep-alive-seconds below its idle timeout',
      };
    }
    socket.write(request);
    const second = await response();
    return second === 200
      ? { id: 'keep-alive', title, status: 'pass', required: true, detail: `a connection idle ${seconds} s was still open and served the next request` }
      : {
          id: 'keep-alive',
          title,
          status: 'fail',
          required: true,
          detail: `after ${seconds} s idle the same connection ${second === undefined ? 'gave no answer' : `answered ${second}`}`,
          fix: 'KEEP_ALIVE_TIMEOUT_MS must be above the load balancer idle timeout (else resets and 502s on reuse)',
        };
  } catch (error) {
    return {
      id: 'keep-alive',
      title,
      status: 'fail',
      required: true,
      detail: `the keep-alive probe failed (${(error as Error).message})`,
      fix: 'KEEP_ALIVE_TIMEOUT_MS must be above the load balancer idle timeout (else resets and 502s on reuse)',
    };
  } finally {
    socket.destroy();
  }
}

/** The status of the first complete HTTP/1.1 response in `text` (Content-Length or chunked body), if there is one. */
function completeResponse(text: string): number | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const head = text.slice(0, end);
  const body = text.slice(end + 4);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1];
  if (length !== undefined) return Buffer.byteLength(body) >= Number(length) ? status : undefined;
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return body.includes('0\r\n\r\n') ? status : undefined;
  return status;
}

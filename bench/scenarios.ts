// What the benchmark sends to which target: the targets, the tools/call scenarios of each, and the
// request sequences of the session figures.
import type { BenchOptions } from './lib/cli-options.js';
import { commandLine, everythingArgv } from './lib/everything-server.js';
import type { LoadRequest, LoadSpec } from './lib/load-spec.js';
import {
  EVERYTHING_ECHO,
  ID_PLACEHOLDER,
  initializeBody,
  initializedNotificationBody,
  initializeHeaders,
  legacyHeaders,
  legacyToolCallBody,
  modernToolCallBody,
  modernToolCallHeaders,
} from './lib/mcp-messages.js';
import { checkToolCall, openLegacySession } from './lib/mcp-probe.js';
import type { TargetProcess } from './lib/target-process.js';

/** Every target script in bench/targets (but plain-healthz, which only the start-time figure spawns). */
export type TargetName = 'plain-echo' | 'gateway' | 'sdk-v2-handler' | 'sdk-v1-express' | 'supergateway' | 'mcp-proxy' | 'everything-http';
/** The targets --targets selects from (everything-http is the upstream figure's own and always runs with it). */
export const TARGETS: TargetName[] = ['plain-echo', 'gateway', 'sdk-v2-handler', 'sdk-v1-express', 'supergateway', 'mcp-proxy'];
export const CEILING: TargetName = 'plain-echo';

export interface CallScenario {
  target: TargetName;
  mode: string;
  /** Verify one real request (status and body), then return what the load generator should send. */
  prepare(target: TargetProcess): Promise<LoadRequest[]>;
  /**
   * Unique JSON-RPC ids per request (autocannon idReplacement). Needed where many in-flight requests
   * share one session (responses are matched by id); it costs the load generator a request rebuild
   * per request, so it is off where ids do not matter (the ceiling must not be client-bound).
   */
  uniqueIds: boolean;
}

async function modern(target: TargetProcess): Promise<LoadRequest[]> {
  await checkToolCall(target.mcpUrl, modernToolCallHeaders(), modernToolCallBody(1));
  return [{ method: 'POST', path: '/mcp', headers: modernToolCallHeaders(), body: modernToolCallBody() }];
}

async function legacySession(target: TargetProcess): Promise<LoadRequest[]> {
  const sessionId = await openLegacySession(target.mcpUrl);
  await checkToolCall(target.mcpUrl, legacyHeaders(sessionId), legacyToolCallBody(1));
  return [{ method: 'POST', path: '/mcp', headers: legacyHeaders(sessionId), body: legacyToolCallBody(ID_PLACEHOLDER) }];
}

async function legacyStateless(target: TargetProcess): Promise<LoadRequest[]> {
  await checkToolCall(target.mcpUrl, legacyHeaders(), legacyToolCallBody(1));
  return [{ method: 'POST', path: '/mcp', headers: legacyHeaders(), body: legacyToolCallBody() }];
}

export const CALL_SCENARIOS: CallScenario[] = [
  { target: 'plain-echo', mode: 'json-rpc', prepare: modern, uniqueIds: false },
  { target: 'gateway', mode: 'legacy-session', prepare: legacySession, uniqueIds: true },
  { target: 'gateway', mode: 'modern', prepare: modern, uniqueIds: false },
  { target: 'sdk-v2-handler', mode: 'modern', prepare: modern, uniqueIds: false },
  { target: 'sdk-v2-handler', mode: 'legacy-stateless', prepare: legacyStateless, uniqueIds: false },
  { target: 'sdk-v1-express', mode: 'legacy-session', prepare: legacySession, uniqueIds: true },
];

/** initialize (remember the session) + notifications/initialized on that session. */
export const SESSION_PAIR: LoadRequest[] = [
  { method: 'POST', path: '/mcp', headers: initializeHeaders(), body: initializeBody(), captureSession: true },
  { method: 'POST', path: '/mcp', headers: legacyHeaders(), body: initializedNotificationBody(), sendSession: true },
];
const INITIALIZE_ONLY: LoadRequest[] = [{ method: 'POST', path: '/mcp', headers: initializeHeaders(), body: initializeBody(), captureSession: true }];

/** An initialize flood: one verified handshake first, then initialize alone, each leaving a session behind. */
export async function initializeFlood(target: TargetProcess): Promise<LoadRequest[]> {
  await openLegacySession(target.mcpUrl);
  return INITIALIZE_ONLY;
}

/** Gateway configuration for an initialize flood: every initialize leaves a session behind, so allow plenty. */
export const INITIALIZE_FLOOD_GATEWAY: Record<string, string> = { MAX_SESSIONS: '10000000' };

// server-everything behind a bridge (figures/stdio-bridge.ts, figures/upstream-proxy.ts, figures/stdio-memory.ts).

/** The three ways the stdio figure hosts server-everything. */
export type StdioBridge = 'gateway' | 'supergateway' | 'mcp-proxy';
export const STDIO_BRIDGES: readonly StdioBridge[] = ['gateway', 'supergateway', 'mcp-proxy'];
/** How the upstream figure reaches server-everything's HTTP mode: through the gateway (MCP_SERVER_URL) or directly. */
export type UpstreamRoute = 'gateway' | 'direct';

/** The gateway's 2026-07-28 pool (MODERN_POOL_SIZE, its default): children beside the sessions' own. */
const MODERN_POOL_SIZE = 2;

/**
 * The gateway hosting server-everything over stdio. MAX_CHILDREN stays at its default (8) unless the sessions and the
 * 2026-07-28 pool need more.
 */
export function stdioGatewaySetup(sessions: number): { gatewayDefaults: Record<string, string> } {
  return {
    gatewayDefaults: {
      MCP_SERVER_COMMAND: commandLine(everythingArgv('stdio')),
      MAX_CHILDREN: String(Math.max(8, sessions + MODERN_POOL_SIZE)),
    },
  };
}

/** supergateway and mcp-proxy get the same command as argv (bench/targets/supergateway.ts quotes it for its shell). */
export function bridgeSetup(bridge: StdioBridge, sessions: number): { gatewayDefaults?: Record<string, string>; env?: Record<string, string> } {
  if (bridge === 'gateway') return stdioGatewaySetup(sessions);
  return { env: { BENCH_STDIO_ARGV: JSON.stringify(everythingArgv('stdio')) } };
}

/**
 * `sessions` legacy sessions, each verified with one call, and the call the connections send over them. Unique
 * JSON-RPC ids: many requests are in flight per session (and per child).
 */
export async function prepareLegacySessions(target: TargetProcess, sessions: number): Promise<Prepared> {
  const sessionIds: string[] = [];
  for (let index = 0; index < sessions; index++) {
    const sessionId = await openLegacySession(target.mcpUrl);
    await checkToolCall(target.mcpUrl, legacyHeaders(sessionId), legacyToolCallBody(1, EVERYTHING_ECHO), EVERYTHING_ECHO.expectedText);
    sessionIds.push(sessionId);
  }
  const requests: LoadRequest[] = [{ method: 'POST', path: '/mcp', headers: legacyHeaders(), body: legacyToolCallBody(ID_PLACEHOLDER, EVERYTHING_ECHO) }];
  return { target, requests, uniqueIds: true, sessionIds };
}

export async function prepareModern(target: TargetProcess): Promise<Prepared> {
  await checkToolCall(target.mcpUrl, modernToolCallHeaders(EVERYTHING_ECHO), modernToolCallBody(1, EVERYTHING_ECHO), EVERYTHING_ECHO.expectedText);
  const requests: LoadRequest[] = [
    { method: 'POST', path: '/mcp', headers: modernToolCallHeaders(EVERYTHING_ECHO), body: modernToolCallBody(ID_PLACEHOLDER, EVERYTHING_ECHO) },
  ];
  return { target, requests, uniqueIds: true };
}

/** Ends the sessions of a row (DELETE), so their children do not idle beside the next row's. */
export async function closeSessions(prepared: Prepared): Promise<void> {
  for (const sessionId of prepared.sessionIds ?? []) {
    await fetch(prepared.target.mcpUrl, { method: 'DELETE', headers: legacyHeaders(sessionId), signal: AbortSignal.timeout(5000) }).then(
      (response) => response.body?.cancel(),
      () => undefined,
    );
  }
}

/** The targets --targets names, plus the ceiling: every ratio is taken against it. */
export function selectedTargets(options: BenchOptions): Set<TargetName> {
  if (options.targets === undefined) return new Set(TARGETS);
  const unknown = options.targets.filter((name) => !(TARGETS as string[]).includes(name));
  if (unknown.length > 0) throw new Error(`unknown target(s) ${unknown.join(', ')}; known: ${TARGETS.join(', ')}`);
  return new Set<TargetName>([CEILING, ...(options.targets as TargetName[])]);
}

/** A scenario made ready on a running target: what the load generator sends it. */
export interface Prepared {
  target: TargetProcess;
  requests: LoadRequest[];
  uniqueIds: boolean;
  /**
   * Sessions the connections are spread over (LoadSpec.sessionIds).
   * @default - the session in the requests' headers, if any
   */
  sessionIds?: string[];
}

/** A run bounded in time; the hard cap 30 s past the duration keeps a stalled server from hanging the benchmark. */
export function timedLoad(prepared: Prepared, timing: { connections: number; warmupSec: number; durationSec: number }): LoadSpec {
  return {
    origin: prepared.target.origin,
    connections: timing.connections,
    warmupSec: timing.warmupSec,
    durationSec: timing.durationSec,
    maxSec: timing.durationSec + 30,
    requests: prepared.requests,
    idReplacement: prepared.uniqueIds,
    ...(prepared.sessionIds === undefined ? {} : { sessionIds: prepared.sessionIds }),
  };
}

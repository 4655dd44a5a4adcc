import { idleStreamCheck, keepAliveCheck } from './idle-checks.js';
import { CookieJar, connectionProblem, HOSTILE_ORIGIN, McpProbe, ProbeError, type RpcAnswer } from './mcp-probe.js';
import type { CheckResult, VerifyReport } from './report.js';

export interface VerifyOptions {
  /** Headers every request carries (`--header K:V`), usually the credentials. @default none */
  readonly headers?: Readonly<Record<string, string>>;
  /** Require a request without `headers` to be refused with 401. @default false */
  readonly expectAuth?: boolean;
  /** How long the SSE stream is held idle: above the load balancer's idle timeout. @default 130 (the ALB's 120 s + 10 s) */
  readonly idleSeconds?: number;
  /** How long a keep-alive connection is held idle: below the load balancer's idle timeout. @default 115 */
  readonly keepAliveSeconds?: number;
  /** Sequential requests in the session-continuity checks. @default 20 */
  readonly continuityRequests?: number;
  /** One real tool call (never by default: tools can have side effects). */
  readonly call?: { readonly tool: string; readonly args: Record<string, unknown> };
}

export const VERIFY_DEFAULTS = { idleSeconds: 130, keepAliveSeconds: 115, continuityRequests: 20 } as const;

/**
 * Probes an MCP URL the way an agent platform will use it and returns the checklist. Nothing here throws for what the
 * server does: every answer (or its absence) becomes a line.
 */
export async function verify(url: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const headers = options.headers ?? {};
  const tasks = new Set<string>();
  const seen = (answer: RpcAnswer | undefined) => answer?.task !== undefined && tasks.add(answer.task);
  const checks: CheckResult[] = [];
  const mcp = new URL(url);
  const health = new URL('/healthz', mcp);

  // Reachability first: when nothing answers, every other line would say the same thing.
  const reach = await healthCheck(health.href, headers, mcp.protocol === 'https:', (task) => tasks.add(task));
  checks.push(...reach.checks);
  if (!reach.reachable) {
    const notRun = [
      ['legacy', 'legacy era'],
      ['modern', 'modern era'],
      ['continuity', 'session continuity'],
      ['sse-idle', 'SSE stream idle'],
      ['keep-alive', 'keep-alive idle'],
      ['auth', 'auth'],
      ['origin', 'Origin check'],
    ];
    for (const [id = '', title = ''] of notRun) checks.push({ id, title, status: 'skip', required: false, detail: 'not run: the URL is unreachable' });
    return { url, ok: false, checks, tasks: [...tasks] };
  }

  const probe = new McpProbe(url, { headers, jar: new CookieJar() });
  checks.push(...(await legacyChecks(probe, seen)));
  checks.push(...(await modernChecks(probe, seen)));
  const requests = options.continuityRequests ?? VERIFY_DEFAULTS.continuityRequests;
  checks.push(await continuityCheck(new McpProbe(url, { headers }), requests, false, seen));
  checks.push(await continuityCheck(new McpProbe(url, { headers, jar: new CookieJar() }), requests, true, seen));

  // The two waits run side by side: each holds its own connection.
  const streamProbe = new McpProbe(url, { headers, jar: new CookieJar() });
  const waits = await Promise.all([
    idleStreamCheck(streamProbe, options.idleSeconds ?? VERIFY_DEFAULTS.idleSeconds, async () => (await streamProbe.open()).sessionId).catch(
      (error: unknown): CheckResult => ({
        id: 'sse-idle',
        title: 'SSE stream idle',
        status: 'fail',
        required: true,
        detail: `the stream failed: ${connectionProblem(error).text}`,
      }),
    ),
    keepAliveCheck(health.href, headers, options.keepAliveSeconds ?? VERIFY_DEFAULTS.keepAliveSeconds),
  ]);
  checks.push(...waits);

  checks.push(await authCheck(url, options.expectAuth ?? false, seen));
  checks.push(await originCheck(probe, seen));
  if (options.call !== undefined) checks.push(await callCheck(probe, options.call, seen));

  return { url, ok: !checks.some((c) => c.required && c.status === 'fail'), checks, tasks: [...tasks] };
}

async function healthCheck(
  url: string,
  headers: Readonly<Record<string, string>>,
  https: boolean,
  onTask: (task: string) => void,
): Promise<{ reachable: boolean; checks: CheckResult[] }> {
  const started = Date.now();
  try {
    const response = await fetch(url, { headers: { ...headers }, signal: AbortSignal.timeout(15_000), redirect: 'manual' });
    await response.arrayBuffer();
    const task = response.headers.get('mcp-fargate-task');
    if (task !== null) onTask(task);
    const checks: CheckResult[] = [];
    if (https) checks.push({ id: 'tls', title: 'TLS certificate', status: 'pass', required: true, detail: 'valid for the host' });
    checks.push(
      response.status === 200
        ? { id: 'healthz', title: 'GET /healthz', status: 'pass', required: true, detail: `200 in ${Date.now() - started} ms` }
        : {
            id: 'healthz',
            title: 'GET /healthz',
            status: 'fail',
            required: true,
            detail: `answered ${response.status}`,
            fix:
              response.status === 503
                ? 'the gateway is starting or draining; if it stays 503, read `mcp-fargate logs`'
                : 'the URL must reach the gateway (its /healthz is the target group health check)',
          },
    );
    return { reachable: true, checks };
  } catch (error) {
    const problem = connectionProblem(error);
    const where = new URL(url).host;
    if (problem.tls) {
      return {
        reachable: false,
        checks: [
          {
            id: 'tls',
            title: 'TLS certificate',
            status: 'fail',
            required: true,
            detail: `not valid for ${where}: ${problem.text}`,
            fix: 'the ALB must present an ACM certificate covering this host (loadBalancer.certificateArn and domainName), and DNS must point the host at the ALB',
          },
        ],
      };
    }
    return {
      reachable: false,
      checks: [
        {
          id: 'healthz',
          title: 'GET /healthz',
          status: 'fail',
          required: true,
          detail: `cannot reach ${where}: ${problem.text}`,
          fix: 'check the URL (the McpUrl output of the stack, or the one `mcp-fargate dev` printed) and that the service is running (`mcp-fargate status`)',
        },
      ],
    };
  }
}

function authFix(answer: RpcAnswer): string | undefined {
  return answer.status === 401 || answer.status === 403 ? 'the server wants credentials: pass them with --header "Name: value"' : undefined;
}

function failed(id: string, title: string, detail: string, fix?: string): CheckResult {
  return fix === undefined ? { id, title, status: 'fail', required: true, detail } : { id, title, status: 'fail', required: true, detail, fix };
}

async function legacyChecks(probe: McpProbe, seen: (answer: RpcAnswer | undefined) => void): Promise<CheckResult[]> {
  const checks: CheckResult[] = [];
  let sessionId: string;
  try {
    const opened = await probe.open();
    seen(opened.answer);
    sessionId = opened.sessionId;
    const server = opened.answer.message?.result?.serverInfo as { name?: string; version?: string } | undefined;
    checks.push({
      id: 'legacy-initialize',
      title: 'legacy: initialize',
      status: 'pass',
      required: true,
      detail: `session opened with ${server?.name ?? 'the server'} ${server?.version ?? ''}`.trim(),
    });
  } catch (error) {
    const answer = error instanceof ProbeError ? error.answer : undefined;
    checks.push(failed('legacy-initialize', 'legacy: initialize', (error as Error).message, answer === undefined ? undefined : authFix(answer)));
    return checks;
  }
  const step = async (id: string, title: string, message: Record<string, unknown>, describe: (answer: RpcAnswer) => string | undefined) => {
    const answer = await probe.legacy(sessionId, message);
    seen(answer);
    const ok = answer.status === 200 && answer.message?.result !== undefined ? describe(answer) : undefined;
    checks.push(
      ok !== undefined
        ? { id, title, status: 'pass', required: true, detail: ok }
        : failed(
            id,
            title,
            `answered ${answer.status}${answer.message?.error ? `: ${answer.message.error.message}` : ''}`,
            lostSessionFix(answer) ?? authFix(answer),
          ),
    );
  };
  await step('legacy-tools-list', 'legacy: tools/list', { id: 2, method: 'tools/list', params: {} }, (a) => {
    const tools = a.message?.result?.tools;
    return Array.isArray(tools) ? `${tools.length} tool${tools.length === 1 ? '' : 's'}` : undefined;
  });
  await step('legacy-ping', 'legacy: ping', { id: 3, method: 'ping' }, () => 'answered');
  const ended = await probe.end(sessionId);
  seen(ended);
  const after = await probe.legacy(sessionId, { id: 4, method: 'ping' });
  seen(after);
  checks.push(
    (ended.status === 200 || ended.status === 204) && after.status === 404
      ? {
          id: 'legacy-delete',
          title: 'legacy: DELETE, then 404',
          status: 'pass',
          required: true,
          detail: `DELETE ${ended.status}, then 404 for the ended session`,
        }
      : failed(
          'legacy-delete',
          'legacy: DELETE, then 404',
          `DELETE answered ${ended.status}, the ended session then ${after.status}`,
          after.status === 400
            ? 'an unknown session must be 404 (never 400), or clients never re-initialize'
            : 'DELETE must end the session, and a request in an ended session must get 404',
        ),
  );
  return checks;
}

function lostSessionFix(answer: RpcAnswer): string | undefined {
  return answer.status === 404 ? 'the session was not found: this request reached another task (see the session continuity lines)' : undefined;
}

async function modernChecks(probe: McpProbe, seen: (answer: RpcAnswer | undefined) => void): Promise<CheckResult[]> {
  const discover = await probe.modern(1, 'server/discover');
  seen(discover);
  const checks: CheckResult[] = [];
  const unsupported = 'the server does not speak MCP 2026-07-28; clients on that revision cannot use it';
  const discovered = discover.message?.result;
  checks.push(
    discover.status === 200 && discovered !== undefined
      ? {
          id: 'modern-discover',
          title: 'modern: server/discover',
          status: 'pass',
          required: true,
          detail: `revisions ${JSON.stringify(discovered.supportedVersions ?? discovered.protocolVersions ?? '?')}`,
        }
      : failed(
          'modern-discover',
          'modern: server/discover',
          `answered ${discover.status}${discover.message?.error ? `: ${discover.message.error.message}` : ''}`,
          authFix(discover) ?? unsupported,
        ),
  );
  const list = await probe.modern(2, 'tools/list');
  seen(list);
  const tools = list.message?.result?.tools;
  checks.push(
    list.status === 200 && Array.isArray(tools)
      ? { id: 'modern-tools-list', title: 'modern: tools/list', status: 'pass', required: true, detail: `${tools.length} tool${tools.length === 1 ? '' : 's'}` }
      : failed(
          'modern-tools-list',
          'modern: tools/list',
          `answered ${list.status}${list.message?.error ? `: ${list.message.error.message}` : ''}`,
          authFix(list) ?? unsupported,
        ),
  );
  return checks;
}

/**
 * One legacy session over `requests` sequential requests, and the tasks that answered them. Without cookies a lost
 * session is a warning (what cookie-less clients, such as the official SDKs, meet with per-task sessions); with a
 * cookie jar it is a failure (stickiness should have held it).
 */
async function continuityCheck(probe: McpProbe, requests: number, cookies: boolean, seen: (answer: RpcAnswer | undefined) => void): Promise<CheckResult> {
  const id = cookies ? 'continuity-cookies' : 'continuity-no-cookies';
  const title = cookies ? 'session continuity, cookie jar' : 'session continuity, no cookies';
  let sessionId: string;
  const tasks = new Set<string>();
  try {
    const opened = await probe.open();
    sessionId = opened.sessionId;
    if (opened.answer.task !== undefined) tasks.add(opened.answer.task);
  } catch (error) {
    return failed(id, title, `no session to follow: ${(error as Error).message}`);
  }
  const lost: number[] = [];
  const other: string[] = [];
  for (let i = 1; i <= requests; i++) {
    const answer = await probe.legacy(sessionId, { id: 100 + i, method: 'ping' });
    seen(answer);
    if (answer.task !== undefined) tasks.add(answer.task);
    if (answer.status === 404) lost.push(i);
    else if (answer.status !== 200) other.push(`#${i}: ${answer.status}`);
  }
  await probe.end(sessionId).catch(() => undefined);
  const answered = `${tasks.size} task${tasks.size === 1 ? '' : 's'} answered`;
  if (lost.length === 0 && other.length === 0) {
    return { id, title, status: 'pass', required: cookies, detail: `${requests}/${requests} requests kept the session; ${answered}` };
  }
  const detail =
    `the session was lost on ${lost.length} of ${requests} requests (404: another task answered)` +
    `${other.length > 0 ? `, other failures ${other.slice(0, 3).join(', ')}` : ''}; ${answered}`;
  return cookies
    ? {
        id,
        title,
        status: 'fail',
        required: true,
        detail,
        fix: 'with sessions held per task, the target group needs stickiness (stickiness: lb-cookie); or use a shared session store (sessionStore: valkey)',
      }
    : {
        id,
        title,
        status: 'warn',
        required: false,
        detail,
        fix: 'clients that keep no cookies (the official SDKs) lose 2025-era sessions across tasks: use a shared session store (sessionStore: valkey), one task, or the 2026-07-28 revision',
      };
}

async function authCheck(url: string, expectAuth: boolean, seen: (answer: RpcAnswer | undefined) => void): Promise<CheckResult> {
  if (!expectAuth) return { id: 'auth', title: 'auth enforced', status: 'skip', required: false, detail: 'not asked (--expect-auth)' };
  const answer = await new McpProbe(url, { headers: {} }).initialize();
  seen(answer);
  return answer.status === 401
    ? { id: 'auth', title: 'auth enforced', status: 'pass', required: true, detail: '401 without credentials' }
    : failed(
        'auth',
        'auth enforced',
        `answered ${answer.status} without credentials${answer.status === 200 ? ': anyone with the URL can call this MCP' : ''}`,
        'set auth in mcp-fargate.config.json (mode keys or oauth) and deploy again',
      );
}

async function originCheck(probe: McpProbe, seen: (answer: RpcAnswer | undefined) => void): Promise<CheckResult> {
  const answer = await probe.initialize({ origin: HOSTILE_ORIGIN });
  seen(answer);
  return answer.status === 403
    ? { id: 'origin', title: 'hostile Origin refused', status: 'pass', required: true, detail: `403 for Origin ${HOSTILE_ORIGIN}` }
    : failed(
        'origin',
        'hostile Origin refused',
        `answered ${answer.status} for Origin ${HOSTILE_ORIGIN}`,
        'the gateway must validate Origin (ALLOWED_ORIGINS) against DNS rebinding; is something else answering this URL?',
      );
}

async function callCheck(probe: McpProbe, call: NonNullable<VerifyOptions['call']>, seen: (answer: RpcAnswer | undefined) => void): Promise<CheckResult> {
  const title = `tools/call ${call.tool}`;
  try {
    const { sessionId } = await probe.open();
    const answer = await probe.legacy(sessionId, { id: 50, method: 'tools/call', params: { name: call.tool, arguments: call.args } });
    seen(answer);
    await probe.end(sessionId).catch(() => undefined);
    const result = answer.message?.result;
    if (answer.status === 200 && result !== undefined && result.isError !== true) {
      const content = result.content as { type?: string; text?: string }[] | undefined;
      const text = content?.find((c) => c.type === 'text')?.text ?? '';
      return { id: 'call', title, status: 'pass', required: true, detail: `returned ${text.length > 60 ? `${text.slice(0, 60)}…` : JSON.stringify(text)}` };
    }
    const why = answer.message?.error?.message ?? (result?.isError === true ? JSON.stringify(result.content).slice(0, 200) : `HTTP ${answer.status}`);
    return failed('call', title, `failed: ${why}`, 'check the tool name (tools/list) and --args');
  } catch (error) {
    return failed('call', title, (error as Error).message);
  }
}

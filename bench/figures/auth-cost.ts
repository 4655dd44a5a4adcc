// What auth costs (issue 11): 2026-07-28 tools/call of the demo `echo` through the gateway with no auth, a static key
// and a verified JWT; forged tokens (random kids, signed by a key the issuer never published) answered 401; and valid
// JWT calls while a flood of forged tokens runs beside them. The issuer is a JWKS served from this process with jose's
// keys, and its fetches are counted: the remote key set's cooldown must keep a flood from fetching per request.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { runLoad } from '../lib/load-generator.js';
import { type Headers, modernToolCallBody, modernToolCallHeaders } from '../lib/mcp-messages.js';
import { checkToolCall } from '../lib/mcp-probe.js';
import { fmtInt } from '../lib/text-table.js';
import { errorText, type Harness, log } from '../harness.js';
import type { AuthRecord, AuthRow } from '../records.js';
import { timedLoad } from '../scenarios.js';

const AUDIENCE = 'https://mcp.bench.example/mcp';
/** Distinct forged tokens the flood cycles through, each with its own random kid. */
const FORGED_TOKENS = 64;

interface Issuer {
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly fetches: () => number;
  readonly valid: string;
  readonly forged: string[];
  close(): Promise<void>;
}

async function startIssuer(): Promise<Issuer> {
  const signing = await generateKeyPair('RS256', { extractable: true });
  const stranger = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(signing.publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
  let fetches = 0;
  const server = createServer((req, res) => {
    if (req.url !== '/jwks') return void res.writeHead(404).end();
    fetches += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const claims = { sub: 'bench', aud: AUDIENCE, iss: issuer, exp: Math.floor(Date.now() / 1000) + 3600 };
  const sign = (kid: string, key: CryptoKey): Promise<string> => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    fetches: () => fetches,
    valid: await sign('bench', signing.privateKey),
    forged: await Promise.all(Array.from({ length: FORGED_TOKENS }, () => sign(randomBytes(8).toString('hex'), stranger.privateKey))),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

function call(headers: Headers): { method: 'POST'; path: string; headers: Headers; body: string } {
  return { method: 'POST', path: '/mcp', headers: { ...modernToolCallHeaders(), ...headers }, body: modernToolCallBody() };
}

export async function authFigures(harness: Harness): Promise<AuthRecord[]> {
  const { options } = harness;
  const records: AuthRecord[] = [];
  let issuer: Issuer;
  try {
    issuer = await startIssuer();
  } catch (error) {
    return [{ row: 'none', error: `issuer: ${errorText(error)}` }];
  }
  const measureValid = async (row: AuthRow, env: Record<string, string>, headers: Headers, flood?: Headers[]): Promise<void> => {
    const record: AuthRecord = { row };
    records.push(record);
    const label = `auth ${row} @${options.connections}`;
    try {
      await harness.withTarget('gateway', { gatewayDefaults: env }, async (target) => {
        await checkToolCall(target.mcpUrl, { ...modernToolCallHeaders(), ...headers }, modernToolCallBody(1));
        const fetchesBefore = issuer.fetches();
        // The flood runs beside the measured load for all of it (its worker shares the load core).
        const floodRun =
          flood === undefined
            ? undefined
            : runLoad(
                timedLoad(
                  { target, requests: flood.map(call), uniqueIds: false },
                  { connections: options.connections, warmupSec: 0, durationSec: options.warmupSec + options.durationSec + 1 },
                ),
              );
        log(`${label}: ${options.warmupSec} s warm-up + ${options.durationSec} s`);
        const measured = await harness.measure(target, timedLoad({ target, requests: [call(headers)], uniqueIds: false }, options), label);
        harness.flagBadResponses(label, measured.result);
        record.result = measured.result;
        record.serverCpuShare = measured.serverCpuShare;
        record.otherCpu = measured.otherCpu;
        if (floodRun !== undefined) {
          const floodResult = await floodRun;
          record.refusedPerSec = (floodResult.statusCodes['401'] ?? 0) / floodResult.elapsedSec;
        }
        record.jwksFetches = issuer.fetches() - fetchesBefore;
        log(`${label}: ${fmtInt(measured.result.okPerSec)} req/s, JWKS fetched ${record.jwksFetches} times`);
      });
    } catch (error) {
      record.error = errorText(error);
      log(`${label}: ${record.error}`);
    }
  };
  const oauth = { AUTH_MODE: 'oauth', OAUTH_ISSUER: issuer.issuer, OAUTH_JWKS_URL: issuer.jwksUrl, OAUTH_AUDIENCE: AUDIENCE };
  const bearer = (token: string): Headers => ({ authorization: `Bearer ${token}` });
  try {
    await measureValid('none', {}, {});
    await measureValid('keys', { AUTH_MODE: 'keys', AUTH_KEYS: 'bench-key-1,bench-key-2' }, bearer('bench-key-2'));
    await measureValid('oauth', oauth, bearer(issuer.valid));
    await measureForged(harness, records, oauth, issuer, issuer.forged.map(bearer));
    await measureValid('oauth-under-flood', oauth, bearer(issuer.valid), issuer.forged.map(bearer));
  } finally {
    await issuer.close();
  }
  return records;
}

/** Forged tokens alone: how fast the gateway refuses them, and how often that makes it fetch the JWKS. */
async function measureForged(harness: Harness, records: AuthRecord[], env: Record<string, string>, issuer: Issuer, forged: Headers[]): Promise<void> {
  const { options } = harness;
  const record: AuthRecord = { row: 'oauth-forged' };
  records.push(record);
  const label = `auth oauth-forged @${options.connections}`;
  try {
    await harness.withTarget('gateway', { gatewayDefaults: env }, async (target) => {
      const fetchesBefore = issuer.fetches();
      log(`${label}: ${options.warmupSec} s warm-up + ${options.durationSec} s`);
      const measured = await harness.measure(target, timedLoad({ target, requests: forged.map(call), uniqueIds: false }, options), label);
      const refused = measured.result.statusCodes['401'] ?? 0;
      if (refused !== measured.result.responses) harness.warnings.push(`${label}: ${measured.result.responses - refused} answers were not 401`);
      record.result = measured.result;
      record.refusedPerSec = refused / measured.result.elapsedSec;
      record.serverCpuShare = measured.serverCpuShare;
      record.otherCpu = measured.otherCpu;
      record.jwksFetches = issuer.fetches() - fetchesBefore;
      log(`${label}: ${fmtInt(record.refusedPerSec)} refusals/s, JWKS fetched ${record.jwksFetches} times`);
    });
  } catch (error) {
    record.error = errorText(error);
    log(`${label}: ${record.error}`);
  }
}

import { randomBytes } from 'node:crypto';
import { CONTAINER_SERVER_DIR } from '../paths.js';
import type { RawConfig, ServerSection } from '../project-config.js';

export interface LocalGateway {
  /** The gateway's environment, as the task definition would set it, with container paths mapped to the project. */
  readonly env: Record<string, string>;
  /** What differs from the container, for the person running it. */
  readonly notes: readonly string[];
  /** The header and key callers use locally, in keys mode. */
  readonly key: { readonly header: string; readonly value: string } | undefined;
}

/**
 * The environment the gateway gets in the container, built from the config the way the stack builds it: the hosted
 * server (`MCP_SERVER`, `MCP_SERVER_COMMAND`, `MCP_SERVER_URL`, `MCP_SERVERS`), the session store, auth and the plain
 * environment. What only AWS has (Secrets Manager values, Valkey, a sidecar container) is replaced by a local stand-in
 * named in `notes`.
 */
export function localGateway(raw: RawConfig, projectDir: string, hostEnv: NodeJS.ProcessEnv, options: { redisUrl?: string } = {}): LocalGateway {
  const env: Record<string, string> = { ...raw.environment };
  const notes: string[] = [];
  const local = (path: string) => path.replaceAll(CONTAINER_SERVER_DIR, projectDir);

  if (raw.server !== undefined) Object.assign(env, serverEnv(raw.server, local, notes));
  if (raw.servers !== undefined) {
    const named = Object.fromEntries(Object.entries(raw.servers).map(([name, server]) => [name, localServer(server, local, notes)]));
    env.MCP_SERVERS = JSON.stringify(named);
  }

  const store = raw.sessionStore ?? 'memory';
  const redisUrl = options.redisUrl ?? (typeof store === 'object' ? store.url : undefined);
  if (store === 'memory') {
    env.SESSION_STORE = 'memory';
  } else if (redisUrl !== undefined) {
    env.SESSION_STORE = 'redis';
    env.REDIS_URL = redisUrl;
  } else {
    env.SESSION_STORE = 'memory';
    notes.push('sessions are kept in memory here (the config names a shared store; pass --redis-url redis://127.0.0.1:6379 to use a local one)');
  }

  let key: LocalGateway['key'];
  const auth = raw.auth;
  if (auth?.mode === 'keys') {
    // The real keys live in Secrets Manager; a fresh key stands in for them on this machine.
    key = { header: auth.header ?? 'X-Api-Key', value: randomBytes(16).toString('hex') };
    Object.assign(env, { AUTH_MODE: 'keys', AUTH_KEYS: key.value, AUTH_HEADER: key.header });
    notes.push(`auth: keys; a local key stands in for ${auth.keysSecret}: send "${key.header}: ${key.value}"`);
  } else if (auth?.mode === 'oauth') {
    env.AUTH_MODE = 'oauth';
    if (auth.issuer !== undefined) env.OAUTH_ISSUER = auth.issuer;
    if (auth.scopes !== undefined) env.OAUTH_SCOPES = auth.scopes.join(' ');
  } else if (auth?.mode === 'none') {
    env.AUTH_MODE = 'none';
  }

  const secrets = Object.keys((raw.secrets as Record<string, unknown> | undefined) ?? {});
  for (const name of secrets) {
    const value = hostEnv[name];
    if (value !== undefined) env[name] = value;
    else notes.push(`${name} comes from Secrets Manager in AWS; it is not set here (export ${name}=… to test with it)`);
  }
  return { env, notes, key };
}

function serverEnv(server: ServerSection, local: (path: string) => string, notes: string[]): Record<string, string> {
  if ('module' in server) return { MCP_SERVER: local(server.module) };
  if ('command' in server) {
    // MCP_SERVER_COMMAND carries no values for the child, only names of the gateway's variables it may see
    // (MCP_SERVER_ENV); a command with values of its own goes as the one, default, entry of MCP_SERVERS.
    if (server.env !== undefined && Object.keys(server.env).length > 0) {
      return { MCP_SERVERS: JSON.stringify({ server: { ...localServer(server, local, notes), default: true } }) };
    }
    const env: Record<string, string> = { MCP_SERVER_COMMAND: local(server.command) };
    if (server.cwd !== undefined) env.MCP_SERVER_CWD = local(server.cwd);
    if (server.passEnv !== undefined && server.passEnv.length > 0) env.MCP_SERVER_ENV = server.passEnv.join(',');
    return env;
  }
  if ('url' in server) {
    const env: Record<string, string> = { MCP_SERVER_URL: server.url };
    if (server.headers !== undefined) env.MCP_SERVER_HEADERS = JSON.stringify(server.headers);
    return env;
  }
  // A sidecar: in the task it listens on localhost beside the gateway; here, start it yourself on the same port.
  const url = `http://127.0.0.1:${server.port}${server.path ?? '/mcp'}`;
  notes.push(`the server container (${server.image}) is not started here: run your app on port ${server.port}; the gateway forwards to ${url}`);
  return { MCP_SERVER_URL: url };
}

function localServer(server: ServerSection, local: (path: string) => string, notes: string[]): ServerSection {
  if ('module' in server) return { module: local(server.module) };
  if ('command' in server) return { ...server, command: local(server.command), ...(server.cwd === undefined ? {} : { cwd: local(server.cwd) }) };
  if ('url' in server) return server;
  serverEnv(server, local, notes);
  return { url: `http://127.0.0.1:${server.port}${server.path ?? '/mcp'}` };
}

import { readFileSync } from 'node:fs';
import { parseCommandLine } from './command-line.js';
import { type AuthConfig, headerOf, keysOf } from './auth-config.js';
import { ConfigError } from './config-error.js';

/** Where a hosted MCP server comes from. */
export type ServerSource =
  | { readonly kind: 'demo' }
  /** A module whose default export returns an SDK v2 or v1 `McpServer`. */
  | { readonly kind: 'module'; readonly path: string }
  /** A stdio server: argv, working directory, and the whole environment the child gets. */
  | { readonly kind: 'command'; readonly argv: readonly string[]; readonly cwd: string | undefined; readonly env: Readonly<Record<string, string>> }
  /** An existing streamable-HTTP server, and headers to add to every request to it. */
  | { readonly kind: 'url'; readonly url: string; readonly headers: Readonly<Record<string, string>> };

export interface ServerLimits {
  readonly maxSessions?: number;
  readonly maxLiveServers?: number;
}

export interface ServerSpec {
  /** The server's name in logs and metrics. */
  readonly name: string;
  readonly isDefault: boolean;
  /** Where it is served: `/mcp` for a lone server; `/<name>/mcp` for a named one, and `/mcp` too for the default. */
  readonly paths: readonly string[];
  readonly source: ServerSource;
  readonly limits: ServerLimits;
  /** Who may call it: the gateway's AUTH_MODE, unless its MCP_SERVERS entry has an `auth` of its own. */
  readonly auth: AuthConfig;
}

/**
 * The variables a stdio child gets from the gateway's environment without
 * being named: what a program needs to run, nothing that could be a secret.
 * Anything else (an API key ECS injected) reaches the child only when named.
 */
export const CHILD_ENV_ALLOWLIST: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'TERM',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
  'NODE_ENV',
  'NODE_EXTRA_CA_CERTS',
  'NPM_CONFIG_CACHE',
  'NPM_CONFIG_UPDATE_NOTIFIER',
  'UV_CACHE_DIR',
  'XDG_CACHE_HOME',
  'PYTHONUNBUFFERED',
  'SSL_CERT_FILE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
];

/** The name a lone server (MCP_SERVER, MCP_SERVER_COMMAND, MCP_SERVER_URL, or the demo) goes by in logs and metrics. */
export const SINGLE_SERVER_NAME = 'default';

const SERVER_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENTRY_KEYS = ['module', 'command', 'url', 'cwd', 'env', 'passEnv', 'headers', 'default', 'maxSessions', 'maxLiveServers', 'auth'];
const KINDS = ['module', 'command', 'url'] as const;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The servers the gateway hosts, from exactly one of MCP_SERVER,
 * MCP_SERVER_COMMAND, MCP_SERVER_URL or MCP_SERVERS (none: the built-in demo).
 */
export function serverSpecsOf(env: Env, auth: AuthConfig): ServerSpec[] {
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };
  const sources = ['MCP_SERVER', 'MCP_SERVER_COMMAND', 'MCP_SERVER_URL', 'MCP_SERVERS'].filter((name) => value(name) !== undefined);
  if (sources.length > 1) {
    const [first, ...others] = sources as [string, ...string[]];
    throw new ConfigError(
      first,
      value(first) as string,
      `one way to name the hosted server, but ${others.join(' and ')} ${others.length > 1 ? 'are' : 'is'} set too`,
    );
  }
  for (const [helper, owner] of [
    ['MCP_SERVER_CWD', 'MCP_SERVER_COMMAND'],
    ['MCP_SERVER_ENV', 'MCP_SERVER_COMMAND'],
    ['MCP_SERVER_HEADERS', 'MCP_SERVER_URL'],
  ] as const) {
    if (value(helper) !== undefined && value(owner) === undefined) throw new ConfigError(helper, value(helper) as string, `to be set only with ${owner}`);
  }
  const single = (source: ServerSource): ServerSpec[] => [{ name: SINGLE_SERVER_NAME, isDefault: true, paths: ['/mcp'], source, limits: {}, auth }];
  const module = value('MCP_SERVER');
  if (module !== undefined) return single({ kind: 'module', path: module });
  const command = value('MCP_SERVER_COMMAND');
  if (command !== undefined) {
    const argv = parseCommandLine(command);
    if (argv === undefined || argv.length === 0)
      throw new ConfigError('MCP_SERVER_COMMAND', command, 'a command line with balanced quotes, such as: npx -y @scope/server --flag "a value"');
    const passEnv = (value('MCP_SERVER_ENV') ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    return single({ kind: 'command', argv, cwd: value('MCP_SERVER_CWD'), env: childEnv(env, passEnv, {}, 'MCP_SERVER_ENV') });
  }
  const url = value('MCP_SERVER_URL');
  if (url !== undefined) {
    const headers = value('MCP_SERVER_HEADERS');
    return single({
      kind: 'url',
      url: checkedUrl('MCP_SERVER_URL', url),
      headers: headers === undefined ? {} : headerMap(env, 'MCP_SERVER_HEADERS', parseJson('MCP_SERVER_HEADERS', headers)),
    });
  }
  const servers = value('MCP_SERVERS');
  if (servers !== undefined) return namedServers(env, servers, auth);
  return single({ kind: 'demo' });
}

/** MCP_SERVERS: inline JSON, or the path of a JSON file. */
function namedServers(env: Env, raw: string, auth: AuthConfig): ServerSpec[] {
  let text = raw;
  if (!raw.startsWith('{')) {
    try {
      text = readFileSync(raw, 'utf8');
    } catch (error) {
      throw new ConfigError('MCP_SERVERS', raw, `inline JSON or the path of a readable JSON file (${(error as Error).message})`);
    }
  }
  const parsed = parseJson('MCP_SERVERS', text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || Object.keys(parsed).length === 0) {
    throw new ConfigError('MCP_SERVERS', text.slice(0, 200), 'a JSON object of at least one server: { "<name>": { "command" | "module" | "url": ... } }');
  }
  const specs = Object.entries(parsed as Record<string, unknown>).map(([name, entry]) => namedServer(env, name, entry, auth));
  const defaults = specs.filter((spec) => spec.isDefault);
  if (defaults.length > 1) throw new ConfigError('MCP_SERVERS', defaults.map((spec) => spec.name).join(', '), 'at most one server with "default": true');
  return specs;
}

function namedServer(env: Env, name: string, entry: unknown, gatewayAuth: AuthConfig): ServerSpec {
  const at = (field: string): string => `MCP_SERVERS.${name}${field === '' ? '' : `.${field}`}`;
  if (!SERVER_NAME.test(name))
    throw new ConfigError(
      'MCP_SERVERS',
      name,
      'server names of a lowercase letter then up to 62 lowercase letters, digits or hyphens (the name is the path /<name>/mcp)',
    );
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new ConfigError(at(''), JSON.stringify(entry), 'an object');
  const fields = entry as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!ENTRY_KEYS.includes(key)) throw new ConfigError(at(key), JSON.stringify(fields[key]), `one of the fields ${ENTRY_KEYS.join(', ')}`);
  }
  const kinds = KINDS.filter((kind) => fields[kind] !== undefined);
  if (kinds.length !== 1)
    throw new ConfigError(
      at(''),
      JSON.stringify(entry),
      `exactly one of "module", "command" or "url"${kinds.length > 1 ? ` (it has ${kinds.join(' and ')})` : ''}`,
    );
  const text = (field: string): string | undefined => {
    const value = fields[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(at(field), JSON.stringify(value), 'a non-empty string');
    return value;
  };
  const limit = (field: 'maxSessions' | 'maxLiveServers'): number | undefined => {
    const value = fields[field];
    if (value === undefined) return undefined;
    if (!Number.isSafeInteger(value) || (value as number) < 1) throw new ConfigError(at(field), JSON.stringify(value), 'a whole number of at least 1');
    return value as number;
  };
  const isDefault = fields['default'];
  if (isDefault !== undefined && typeof isDefault !== 'boolean') throw new ConfigError(at('default'), JSON.stringify(isDefault), 'true or false');
  const limits: ServerLimits = { maxSessions: limit('maxSessions'), maxLiveServers: limit('maxLiveServers') };
  const auth = fields['auth'] === undefined ? gatewayAuth : serverAuth(env, at('auth'), fields['auth'], gatewayAuth);
  const spec = (source: ServerSource): ServerSpec => ({
    name,
    isDefault: isDefault === true,
    paths: isDefault === true ? [`/${name}/mcp`, '/mcp'] : [`/${name}/mcp`],
    source,
    limits,
    auth,
  });
  const [kind] = kinds as [(typeof KINDS)[number]];
  if (kind !== 'command') {
    for (const field of ['cwd', 'env', 'passEnv'])
      if (fields[field] !== undefined) throw new ConfigError(at(field), JSON.stringify(fields[field]), 'to be given only with "command"');
  }
  if (kind !== 'url' && fields['headers'] !== undefined) throw new ConfigError(at('headers'), JSON.stringify(fields['headers']), 'to be given only with "url"');
  switch (kind) {
    case 'module':
      return spec({ kind: 'module', path: text('module') as string });
    case 'url':
      return spec({
        kind: 'url',
        url: checkedUrl(at('url'), text('url') as string),
        headers: fields['headers'] === undefined ? {} : headerMap(env, at('headers'), fields['headers']),
      });
    case 'command': {
      const command = fields['command'];
      const argv = Array.isArray(command) ? command : typeof command === 'string' ? parseCommandLine(command) : undefined;
      if (argv === undefined || argv.length === 0 || !argv.every((word) => typeof word === 'string')) {
        throw new ConfigError(at('command'), JSON.stringify(command), 'a command line with balanced quotes, or an array of words');
      }
      const passEnv = fields['passEnv'] ?? [];
      if (!Array.isArray(passEnv) || !passEnv.every((item) => typeof item === 'string'))
        throw new ConfigError(at('passEnv'), JSON.stringify(passEnv), 'an array of variable names');
      const values = fields['env'] ?? {};
      if (values === null || typeof values !== 'object' || Array.isArray(values))
        throw new ConfigError(at('env'), JSON.stringify(values), 'an object of variable names to string values');
      return spec({
        kind: 'command',
        argv: argv as string[],
        cwd: text('cwd'),
        env: childEnv(env, passEnv as string[], values as Record<string, unknown>, at('passEnv')),
      });
    }
  }
}

/**
 * A server's own `auth`: `{ "mode": "none" }`, `{ "mode": "keys", "keys":
 * "${TEAM_KEYS}", "header": "X-Api-Key" }` (keys as a list or one string,
 * best a reference to a variable ECS fills from Secrets Manager), or
 * `{ "mode": "oauth" }`, which uses the gateway's OAUTH_* settings.
 */
function serverAuth(env: Env, variable: string, value: unknown, gatewayAuth: AuthConfig): AuthConfig {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError(variable, JSON.stringify(value), `an object such as { "mode": "keys", "keys": "\${TEAM_KEYS}" }`);
  const { mode, keys, header, ...rest } = value as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) throw new ConfigError(`${variable}.${extra}`, '(set)', 'one of the fields mode, keys, header');
  switch (mode) {
    case 'none':
    case 'oauth':
      if (keys !== undefined || header !== undefined) throw new ConfigError(variable, String(mode), 'keys and header only with "mode": "keys"');
      if (mode === 'none') return { mode };
      if (gatewayAuth.mode !== 'oauth') throw new ConfigError(variable, 'oauth', 'AUTH_MODE=oauth with its OAUTH_* settings, which every oauth server shares');
      return gatewayAuth;
    case 'keys': {
      // The keys are secrets: only their shape is named when they are wrong.
      const list = typeof keys === 'string' ? keysOf(substitute(env, `${variable}.keys`, keys)) : Array.isArray(keys) ? keys : undefined;
      if (list === undefined || list.length === 0 || !list.every((key) => typeof key === 'string' && key.trim() !== '')) {
        throw new ConfigError(
          `${variable}.keys`,
          '(hidden)',
          `a non-empty list of keys, or a string of comma- or newline-separated keys such as "\${TEAM_KEYS}"`,
        );
      }
      if (header !== undefined && typeof header !== 'string') throw new ConfigError(`${variable}.header`, JSON.stringify(header), 'a header name');
      return { mode, keys: (list as string[]).map((key) => key.trim()), header: headerOf(`${variable}.header`, header ?? 'authorization') };
    }
    default:
      throw new ConfigError(`${variable}.mode`, JSON.stringify(mode), 'one of "none", "keys", "oauth"');
  }
}

/** A child's whole environment: the allowlist, the gateway variables it names, and the values it sets. */
function childEnv(env: Env, passEnv: readonly string[], values: Record<string, unknown>, variable: string): Record<string, string> {
  const child: Record<string, string> = {};
  for (const name of CHILD_ENV_ALLOWLIST) {
    const value = env[name];
    if (value !== undefined) child[name] = value;
  }
  for (const name of passEnv) {
    if (!ENV_NAME.test(name)) throw new ConfigError(variable, name, 'names of environment variables');
    const value = env[name];
    if (value === undefined) throw new ConfigError(variable, name, `names of variables set in the gateway's environment (${name} is not set)`);
    child[name] = value;
  }
  for (const [name, value] of Object.entries(values)) {
    if (!ENV_NAME.test(name) || typeof value !== 'string')
      throw new ConfigError(`${variable.replace(/\.passEnv$/, '')}.env`, `${name}=${JSON.stringify(value)}`, 'variable names with string values');
    child[name] = substitute(env, `${variable}.env`, value);
  }
  return child;
}

/** Headers for an upstream server; a value may name a gateway variable as `${NAME}` (a secret ECS injected). */
function headerMap(env: Env, variable: string, value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError(variable, JSON.stringify(value), 'a JSON object of header names to string values');
  const headers: Record<string, string> = {};
  for (const [name, header] of Object.entries(value as Record<string, unknown>)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || typeof header !== 'string')
      throw new ConfigError(variable, `${name}: ${JSON.stringify(header)}`, 'header names with string values');
    headers[name.toLowerCase()] = substitute(env, variable, header);
  }
  return headers;
}

function substitute(env: Env, variable: string, text: string): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_match, name: string) => {
    const value = env[name];
    if (value === undefined) throw new ConfigError(variable, `\${${name}}`, `references to variables set in the gateway's environment (${name} is not set)`);
    return value;
  });
}

function checkedUrl(variable: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(variable, url, 'an http:// or https:// URL such as http://127.0.0.1:8000/mcp');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new ConfigError(variable, url, 'an http:// or https:// URL such as http://127.0.0.1:8000/mcp');
  return parsed.href;
}

function parseJson(variable: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(variable, text.slice(0, 200), `valid JSON (${(error as Error).message})`);
  }
}

// The hosted server of the stdio and upstream figures: @modelcontextprotocol/server-everything (a devDependency),
// run by the benchmark's own Node. Its `echo` tool takes `{ message }` and answers "Echo: <message>".
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The script a package's `bin` entry names (the packages here have no `exports` map, so package.json resolves). */
export function packageBin(name: string, bin: string): string {
  const manifest = require.resolve(`${name}/package.json`);
  const bins = (JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: Record<string, string> }).bin ?? {};
  const script = bins[bin];
  if (script === undefined) throw new Error(`${name} has no bin ${bin}`);
  return join(dirname(manifest), script);
}

/** `node .../server-everything/dist/index.js <transport>`: the command line every bridge hosts, as argv. */
export function everythingArgv(transport: 'stdio' | 'streamableHttp'): string[] {
  return [process.execPath, packageBin('@modelcontextprotocol/server-everything', 'mcp-server-everything'), transport];
}

/**
 * argv as one command line for a POSIX shell (supergateway runs `--stdio` through `sh -c`) and for the gateway's
 * MCP_SERVER_COMMAND parser, which follows the same quoting: every word single-quoted, a quote inside as '\''.
 */
export function commandLine(argv: readonly string[]): string {
  return argv.map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(' ');
}

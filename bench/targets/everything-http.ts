// The upstream of the upstream-proxy figure: server-everything in its own streamable-HTTP mode (express, its own
// sessions, path /mcp, port from PORT), run as a CLI under this wrapper.
import { startCli } from '../lib/cli-target.js';
import { everythingArgv } from '../lib/everything-server.js';
import { serveTarget } from '../lib/target-ipc.js';

const [, script, transport] = everythingArgv('streamableHttp') as [string, string, string];

serveTarget(() => startCli({ script, args: () => [transport], env: (port) => ({ PORT: String(port) }) }));

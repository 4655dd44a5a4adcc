// mcp-proxy 6.7.19 (one shared stdio child for every client; 2026-07-28 served alongside the 2025 era, --modern on by
// default) hosting the stdio command the runner passes as JSON argv in BENCH_STDIO_ARGV. Its other defaults stay
// (the resumability event store is on).
import { startCli } from '../lib/cli-target.js';
import { packageBin } from '../lib/everything-server.js';
import { serveTarget } from '../lib/target-ipc.js';

const argv = JSON.parse(process.env.BENCH_STDIO_ARGV ?? '[]') as string[];

serveTarget(() =>
  startCli({
    script: packageBin('mcp-proxy', 'mcp-proxy'),
    args: (port) => ['--port', String(port), '--endpoint', '/mcp', '--host', '127.0.0.1', '--', ...argv],
  }),
);

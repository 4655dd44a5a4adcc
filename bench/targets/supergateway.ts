// supergateway 4.0.0 (stdio to streamable HTTP, --stateful: one child per session) hosting the stdio command the
// runner passes as JSON argv in BENCH_STDIO_ARGV. `--logLevel none`: at its default (info) it logs every message
// both ways, which the gateway (LOG_LEVEL=warn here) does not; the comparison is of bridges, not of loggers.
import { commandLine, packageBin } from '../lib/everything-server.js';
import { startCli } from '../lib/cli-target.js';
import { serveTarget } from '../lib/target-ipc.js';

const argv = JSON.parse(process.env.BENCH_STDIO_ARGV ?? '[]') as string[];

serveTarget(() =>
  startCli({
    script: packageBin('supergateway', 'supergateway'),
    args: (port) => ['--stdio', commandLine(argv), '--outputTransport', 'streamableHttp', '--stateful', '--port', String(port), '--logLevel', 'none'],
  }),
);

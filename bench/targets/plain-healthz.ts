// The start-time baseline: a plain node:http process that answers GET /healthz with 200 on
// $PORT/$HOST, started the same way the gateway's main.js is (no IPC; the runner polls it).
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
    return;
  }
  res.writeHead(404);
  res.end();
});
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));

import { pino, type Logger } from 'pino';
import type { GatewayConfig } from './config/config.js';

export type { Logger };

/**
 * Headers that carry credentials or tokens; their values never reach the log.
 * A session id is one too: whoever holds it can act in the session.
 */
const SECRET_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-tool-invocation-context',
  'x-sema4ai-auth',
  'x-api-key',
  'mcp-session-id',
];

/**
 * Redaction is compiled once here from names fixed in code plus the configured
 * key headers (SECRET_HEADERS), never from request input.
 */
export function createLogger(config: Pick<GatewayConfig, 'logLevel' | 'secretHeaders' | 'taskId'>, destination?: pino.DestinationStream): Logger {
  const names = [...new Set([...SECRET_HEADERS, ...config.secretHeaders])];
  const paths = names.flatMap((name) => [`req.headers["${name}"]`, `res.headers["${name}"]`, `headers["${name}"]`]);
  return pino(
    {
      level: config.logLevel,
      base: config.taskId === undefined ? { service: 'mcp-fargate' } : { service: 'mcp-fargate', task: config.taskId },
      redact: { paths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

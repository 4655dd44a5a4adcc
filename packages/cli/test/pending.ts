// Some tests exercise interfaces that land in parallel branches: the deployment config's `server`, `servers`,
// `sessionStore` variants and `auth` (the CDK config branch), and the gateway's hosted-server kinds beyond MCP_SERVER
// (stdio commands, upstream URLs, named servers). Each such test runs as soon as its side has landed, and says what it
// waits for until then.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_VARIABLES } from '@mcp-fargate/gateway';
import { REPO_ROOT } from './helpers.js';

const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'packages/cdk/mcp-fargate.config.schema.json'), 'utf8')) as { properties?: Record<string, unknown> };

/** False when the CDK config knows `server` and `auth`; otherwise the reason the test waits. */
export const WAITS_ON_CDK_CONFIG: string | false =
  schema.properties?.server !== undefined && schema.properties?.auth !== undefined
    ? false
    : 'waits on the CDK config branch: the deployment config has no server/auth section yet';

/** False when the gateway reads `variable`; otherwise the reason the test waits. */
export function waitsOnGateway(variable: string): string | false {
  return variable in CONFIG_VARIABLES ? false : `waits on the gateway: it does not read ${variable} yet`;
}

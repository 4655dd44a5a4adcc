// A test of gateway auth (issue 11) lands before the gateway reads AUTH_MODE: it says what it waits for until then.
import { CONFIG_VARIABLES } from '@mcp-fargate/gateway';

/** False when the gateway reads `variable`; otherwise the reason the test waits. */
export function waitsOnGateway(variable: string): string | false {
  return variable in CONFIG_VARIABLES ? false : `waits on the gateway: it does not read ${variable} yet`;
}

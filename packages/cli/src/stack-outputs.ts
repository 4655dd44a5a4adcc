/**
 * A stack output by its construct name. The service stack's outputs sit inside the `Mcp` construct, so CloudFormation
 * names them `McpMcpUrl` plus the hash aws-cdk-lib adds to nested logical ids; the repository stack's are top level.
 */
export function outputNamed(outputs: Readonly<Record<string, string>>, name: string): string | undefined {
  const pattern = new RegExp(`^(Mcp)?${name}([0-9A-F]{8})?$`);
  return Object.entries(outputs).find(([key]) => pattern.test(key))?.[1];
}

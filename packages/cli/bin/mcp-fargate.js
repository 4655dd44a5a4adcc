#!/usr/bin/env node
// The installed `mcp-fargate` command. npm links bin files when it installs, before a build has made dist/, so the
// link points here and this loads the compiled CLI.
try {
  await import('../dist/src/main.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/src/main.js')) throw error;
  process.stderr.write('mcp-fargate: the CLI is not built yet: run `npm run build` in the mcp-fargate repository\n');
  process.exitCode = 2;
}

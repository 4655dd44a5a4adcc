// The root package.json scripts this package documents (README.md "Quick start" and "The opt-in real-account test").
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from './fixtures.js';

const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const readme = readFileSync(join(REPO_ROOT, 'packages/cdk/README.md'), 'utf8');
const REAL_ACCOUNT_TEST = 'packages/cdk/dist/test/real-account.aws.js';

describe('package scripts', () => {
  test('GIVEN the README quick start THEN `npm run synth` builds this package and runs main.js on the example into cdk.out', () => {
    assert.equal(scripts.synth, 'tsc -b packages/cdk && node packages/cdk/dist/src/main.js --config examples/mcp-fargate.config.json --output cdk.out');
    assert.match(readme, /npm run synth\s+# examples\/mcp-fargate\.config\.json -> cdk\.out\//);
    assert.match(readme, /`node dist\/src\/main\.js --config <file> \[--output <dir>\]`/);
  });

  test('GIVEN `npm run test:aws` WHEN not opted in (MCP_FARGATE_AWS_TEST unset) THEN its test file skips cleanly, saying what is missing', async () => {
    assert.equal(scripts['test:aws'], `tsc -b packages/cdk && node --test ${REAL_ACCOUNT_TEST}`);
    // Not a child of this test run (NODE_TEST_CONTEXT would make it report to us), and no opt-in nor AWS settings.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => key !== 'NODE_TEST_CONTEXT' && !key.startsWith('MCP_FARGATE_AWS') && !key.startsWith('AWS_')),
    );
    const { stdout } = await promisify(execFile)(process.execPath, ['--test', '--test-reporter=tap', REAL_ACCOUNT_TEST], { env, cwd: REPO_ROOT });
    assert.match(stdout, /# real-account test skipped: not opted in: set MCP_FARGATE_AWS_TEST=1/);
    assert.match(stdout, /^ok 1 - .* # SKIP not opted in/m);
    assert.match(stdout, /^# skipped 1$/m);
    assert.match(stdout, /^# fail 0$/m);
  });
});

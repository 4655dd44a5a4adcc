// Every command's help, the errors table against the README and the code, and the newcomer findings of issue 12 on
// the CDK entry point (main.js) and the config errors, as a user meets them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { CLI_ERRORS } from '../src/errors.js';
import { cli, EXAMPLE_CONFIG, REPO_ROOT, tempDir } from './helpers.js';

const COMMANDS = ['init', 'dev', 'synth', 'deploy', 'verify', 'logs', 'status', 'destroy'];
const CDK_MAIN = join(REPO_ROOT, 'packages/cdk/dist/src/main.js');
const run = promisify(execFile);

function example(change: (config: Record<string, any>) => void): string {
  const config = JSON.parse(readFileSync(EXAMPLE_CONFIG, 'utf8')) as Record<string, any>;
  change(config);
  const file = join(tempDir('config'), 'mcp-fargate.config.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

async function failing(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stderr: string }> {
  return run(process.execPath, args, { env }).then(
    () => assert.fail(`${args.join(' ')} should fail`),
    (error: { code: number; stderr: string }) => error,
  );
}

describe('help', () => {
  test('GIVEN --help THEN every command is listed, with the flow as examples', async () => {
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    for (const command of COMMANDS) assert.match(help.out, new RegExp(`^ {2}${command}\\b`, 'm'), command);
    assert.match(help.out, /\$ mcp-fargate deploy/);
  });

  for (const command of COMMANDS) {
    test(`GIVEN ${command} --help THEN it exits 0 and shows examples of ${command}`, async () => {
      const help = await cli([command, '--help']);
      assert.equal(help.code, 0);
      assert.match(help.out, new RegExp(`Usage: mcp-fargate ${command}`));
      assert.match(help.out, new RegExp(`Examples:\\n(\\s+\\$ .*\\n?)*\\s+\\$ (AWS_PROFILE=\\S+ )?mcp-fargate ${command}`));
    });
  }

  test('GIVEN an unknown command or flag THEN exit 2, the problem named, no stack trace', async () => {
    const unknown = await cli(['deplyo']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown command 'deplyo'/);
    assert.match(unknown.err, /\(Did you mean deploy\?\)/);
    const flag = await cli(['synth', '--outptu', 'x']);
    assert.equal(flag.code, 2);
    assert.match(flag.err, /unknown option '--outptu'/);
    assert.doesNotMatch(unknown.err + flag.err, /\n\s+at /);
  });
});

describe('errors table', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const rows = readme.split('\n').filter((line) => /^\| `MCPF_CLI_/.test(line));

  test('GIVEN the README THEN it lists exactly the codes of CLI_ERRORS, each with its exit code', () => {
    assert.deepEqual(
      rows.map((row) => /`(MCPF_CLI_\w+)`/.exec(row)?.[1]),
      Object.keys(CLI_ERRORS),
    );
    for (const row of rows) {
      const [, code = '', exit = ''] = row.split('|').map((cell) => cell.trim().replaceAll('`', ''));
      assert.equal(Number(exit), CLI_ERRORS[code as keyof typeof CLI_ERRORS].exitCode, code);
    }
  });

  test('GIVEN the sources THEN every code is raised somewhere, and none outside the table', () => {
    const src = join(REPO_ROOT, 'packages/cli/src');
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') && !path.endsWith('.test.ts') && !path.endsWith('errors.ts') ? [path] : [];
      });
    const text = files(src)
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    const used = new Set([...text.matchAll(/'(MCPF_CLI_\w+)'/g)].map((m) => m[1]));
    assert.deepEqual([...used].sort(), Object.keys(CLI_ERRORS).sort());
  });
});

describe('the first hour of a newcomer (CDK entry point and config errors)', () => {
  test('GIVEN main.js --help THEN usage, exit 0; GIVEN a mistyped flag THEN exit 2 with the usage and no stack trace', async () => {
    const { stdout } = await run(process.execPath, [CDK_MAIN, '--help']);
    assert.match(stdout, /^Usage: node packages\/cdk\/dist\/src\/main\.js \[--config <file>\] \[--output <dir>\]/);
    const bad = await failing([CDK_MAIN, '--confg', 'x.json']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Unknown option '--confg'/);
    assert.match(bad.stderr, /Usage:/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /);
  });

  test('GIVEN `npm run synth -- --config FILE` THEN FILE is synthesized: the last --config wins, as documented', async () => {
    const file = example((c) => {
      c.serviceName = 'other-service';
      delete c.account;
    });
    const output = tempDir('synth');
    // What `npm run synth -- --config FILE` runs: the script's own arguments, then the user's.
    const { stdout } = await run(process.execPath, [CDK_MAIN, '--config', 'examples/mcp-fargate.config.json', '--output', output, '--config', file], {
      cwd: REPO_ROOT,
    });
    assert.match(stdout, /Synthesized McpFargate-other-service-repository, McpFargate-other-service to /);
    assert.match(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'), /`npm run synth -- --config my\.config\.json` synthesizes\s+yours instead/);
  });

  test('GIVEN a config without a region THEN the error names that file, not the default one', async () => {
    const file = example((c) => {
      delete c.region;
      delete c.account;
      c.loadBalancer = { scheme: 'internal', insecureHttpForTesting: true };
      c.secrets = {};
      c.alarms = {};
    });
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['AWS_REGION', 'AWS_DEFAULT_REGION', 'CDK_DEFAULT_REGION'].includes(k)));
    const bad = await failing([CDK_MAIN, '--config', file], env);
    assert.match(bad.stderr, new RegExp(`MCPF_CDK_REGION_REQUIRED: ${file.replaceAll('.', '\\.')}: region is required`));
    const viaCli = await cli(['synth', '--config', file], { env: { AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined } });
    assert.equal(viaCli.code, 2);
    assert.match(viaCli.err, new RegExp(`${file.replaceAll('.', '\\.')}: region is required: add "region"`));
  });

  test('GIVEN environment.PORT THEN the error says the stack sets it and what to do, naming no field that does not exist', async () => {
    const run = await cli(['synth', '--config', example((c) => (c.environment.PORT = '9000'))]);
    assert.equal(run.code, 2);
    assert.match(
      run.err,
      /MCPF_CDK_ENV_RESERVED: .*environment\.PORT is set for you: the gateway listens on 8080 in the task, where the target group sends traffic; remove it/,
    );
    assert.doesNotMatch(run.err, /containerPort/);
  });

  test('GIVEN a misspelled section THEN one problem, first, with "did you mean", not the errors of the section it left to defaults', async () => {
    const file = example((c) => {
      c.loadBalancr = c.loadBalancer;
      delete c.loadBalancer;
    });
    const run = await cli(['synth', '--config', file]);
    assert.equal(run.code, 2);
    assert.match(run.err, /^mcp-fargate: MCPF_CDK_CONFIG_INVALID: .*: loadBalancr is not a known field of the top level \(did you mean "loadBalancer"\?\)/);
    assert.doesNotMatch(run.err, /certificateArn is required|allowedCidrs or allowedPrefixListIds/);
  });
});

// The README's manual runbook ("By hand, with the CDK CLI"), run as written: the block is taken from the README and
// executed by bash with stand-ins for what would reach AWS (aws, docker, and npx for the CDK deploys and verify), in a
// git work tree laid out like this repository. Then the pinned CDK CLI really synthesizes the config the runbook
// pinned, through examples/cdk.json, with no credentials.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { EXAMPLE_CONFIG, REPO_ROOT, tempDir } from './helpers.js';

const run = promisify(execFile);
const DIGEST = `sha256:${'9d'.repeat(32)}`;
const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

function runbook(): string {
  const marker = README.indexOf('<!-- runbook');
  assert.ok(marker > 0, 'the README marks its runbook');
  const block = /```sh\n([\s\S]*?)```/.exec(README.slice(marker));
  assert.ok(block?.[1] !== undefined);
  return block[1];
}

/** A stand-in that appends `name args… (in dir)` to the log and answers as the shell snippet `answers` says. */
function standIn(bin: string, log: string, name: string, answers: string): void {
  // A login reads its password from the pipe first, so it is logged after the command that wrote it.
  const script = `#!/usr/bin/env bash
stdin=""
if [ "$1 $2" = "login --username" ]; then stdin=" <stdin: $(cat)>"; fi
echo "${name} $*\${stdin} (in \${PWD##*/})" >> ${JSON.stringify(log)}
${answers}
`;
  writeFileSync(join(bin, name), script);
  chmodSync(join(bin, name), 0o755);
}

test('GIVEN the README runbook WHEN run as written THEN it bootstraps, deploys the repository, logs in, builds and pushes a fresh tag, pins its digest, deploys the service and verifies the URL, in that order', async () => {
  const work = tempDir('runbook');
  const bin = join(work, '.bin');
  mkdirSync(bin);
  mkdirSync(join(work, 'examples'));
  copyFileSync(join(REPO_ROOT, 'examples', 'cdk.json'), join(work, 'examples', 'cdk.json'));
  // The example without its account: no availability-zone lookup, so the real synth below needs no credentials.
  const { account: _account, ...config } = JSON.parse(readFileSync(EXAMPLE_CONFIG, 'utf8'));
  writeFileSync(join(work, 'my.config.json'), JSON.stringify(config, null, 2));
  await run('git', ['init', '-q'], { cwd: work });
  await run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'x'], { cwd: work });
  const log = join(work, 'calls.log');
  writeFileSync(log, '');
  standIn(
    bin,
    log,
    'aws',
    `case "$1 $2" in
  "sts get-caller-identity") echo 123456789012 ;;
  "ecr get-login-password") echo token ;;
  "ecr describe-images") echo ${DIGEST} ;;
  "cloudformation describe-stacks") echo https://mcp.example.com/mcp ;;
esac`,
  );
  standIn(bin, log, 'docker', '');
  standIn(bin, log, 'npx', '');
  writeFileSync(join(work, 'runbook.sh'), runbook());
  const { stdout } = await run('bash', ['runbook.sh'], { cwd: work, env: { PATH: `${bin}:${process.env.PATH}`, HOME: work } });
  assert.match(stdout, /register https:\/\/mcp\.example\.com\/mcp/);

  const calls = readFileSync(log, 'utf8').trim().split('\n');
  const registry = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
  const tag = /mcp-github:([0-9a-f]{12}-\d{8}T\d{6}Z)/.exec(calls.join('\n'))?.[1];
  assert.ok(tag !== undefined, calls.join('\n'));
  assert.deepEqual(calls, [
    `aws sts get-caller-identity --query Account --output text (in ${work.split('/').pop()})`,
    'npx cdk bootstrap aws://123456789012/eu-west-1 (in examples)',
    'npx cdk deploy McpFargate-mcp-github-repository --require-approval never (in examples)',
    'aws ecr get-login-password (in examples)',
    `docker login --username AWS --password-stdin ${registry} <stdin: token> (in examples)`,
    `docker buildx build --platform linux/arm64 --provenance=false --load --tag ${registry}/mcp-github:${tag} .. (in examples)`,
    `docker push ${registry}/mcp-github:${tag} (in examples)`,
    `aws ecr describe-images --repository-name mcp-github --image-ids imageTag=${tag} --query imageDetails[0].imageDigest --output text (in examples)`,
    'npx cdk deploy McpFargate-mcp-github --require-approval never (in examples)',
    "aws cloudformation describe-stacks --stack-name McpFargate-mcp-github --query Stacks[0].Outputs[?starts_with(OutputKey, 'McpMcpUrl')].OutputValue --output text (in examples)",
    'npx mcp-fargate verify https://mcp.example.com/mcp (in examples)',
  ]);
  const pinned = JSON.parse(readFileSync(join(work, 'my.config.json'), 'utf8'));
  assert.equal(pinned.image.digest, DIGEST);

  // The pinned CDK CLI, for real, offline: examples/cdk.json runs the app on $MCP_FARGATE_CONFIG.
  const out = join(work, 'cdk.out');
  await run(join(REPO_ROOT, 'node_modules/.bin/cdk'), ['synth', '--no-notices', '--quiet', '--output', out], {
    cwd: join(REPO_ROOT, 'examples'),
    env: {
      PATH: process.env.PATH,
      HOME: work,
      MCP_FARGATE_CONFIG: join(work, 'my.config.json'),
      // No credentials and nowhere to send anything: the CLI must not need AWS to synthesize.
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      CDK_DISABLE_VERSION_CHECK: '1',
      CDK_DISABLE_CLI_TELEMETRY: 'true',
      HTTPS_PROXY: 'http://127.0.0.1:9',
      HTTP_PROXY: 'http://127.0.0.1:9',
    },
    maxBuffer: 16 * 1024 * 1024,
  });
  const template = readFileSync(join(out, 'McpFargate-mcp-github.template.json'), 'utf8');
  assert.ok(template.includes(`@${DIGEST}`), 'the service template pins the digest the runbook wrote');
});

test('GIVEN the pinned CDK CLI THEN it is an exact version in the root devDependencies', () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  assert.match(pkg.devDependencies['aws-cdk'] ?? '', /^\d+\.\d+\.\d+$/);
});

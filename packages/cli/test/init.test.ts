// `mcp-fargate init` in temporary directories of each kind it detects: what it says it found, the config and
// Dockerfile it writes, and that `synth` accepts the config.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { cli, tempDir } from './helpers.js';

type Files = Record<string, string | Buffer>;

function project(files: Files): string {
  const dir = tempDir('init');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d';
const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(57)]);

interface Kind {
  readonly name: string;
  readonly files: Files;
  readonly argv?: readonly string[];
  readonly found: RegExp;
  readonly server: Record<string, unknown>;
  readonly dockerfile: RegExp | undefined;
  readonly executable?: string;
}

const KINDS: readonly Kind[] = [
  {
    name: 'an SDK v2 module (TypeScript, built to dist/)',
    files: {
      'package.json': JSON.stringify({
        name: '@acme/weather-mcp',
        type: 'module',
        main: 'dist/index.js',
        dependencies: { '@modelcontextprotocol/server': '^2.4.0' },
      }),
      'src/index.ts':
        'import { McpServer } from "@modelcontextprotocol/server";\nexport default function create() { return new McpServer({ name: "w", version: "1" }); }\n',
    },
    found: /found a Node module on the MCP SDK v2 \(dist\/index\.js default-exports a server factory\): hosted in process/,
    server: { module: '/app/server/dist/index.js' },
    dockerfile: /FROM \$\{GATEWAY_IMAGE\} AS build[\s\S]*RUN npm install --no-audit --no-fund[\s\S]*npm run build --if-present && npm prune --omit=dev/,
  },
  {
    name: 'an SDK v1 module with a lockfile',
    files: {
      'package.json': JSON.stringify({ name: 'legacy-tools', type: 'module', main: 'index.js', dependencies: { '@modelcontextprotocol/sdk': '^1.32.2' } }),
      'package-lock.json': '{}',
      'index.js': 'export default function createServer() {}\n',
    },
    found: /found a Node module on the MCP SDK v1 \(index\.js/,
    server: { module: '/app/server/index.js' },
    dockerfile: /RUN npm ci --no-audit --no-fund/,
  },
  {
    name: 'a Node stdio program (bin)',
    files: {
      'package.json': JSON.stringify({ name: 'files-mcp', bin: { 'files-mcp': './build/index.js' }, dependencies: { '@modelcontextprotocol/sdk': '^1.0.0' } }),
      'build/index.js': '#!/usr/bin/env node\nconst server = new Server(); server.connect(new StdioServerTransport());\n',
    },
    found: /found a Node stdio MCP server \(build\/index\.js\)/,
    server: { command: 'node /app/server/build/index.js', cwd: '/app/server' },
    dockerfile: /COPY --from=build --chown=node:node \/app\/server \/app\/server/,
  },
  {
    name: 'a Python stdio server with uv',
    files: {
      'pyproject.toml': '[project]\nname = "py-tools"\n\n[project.scripts]\npy-tools = "py_tools:main"\n',
      'uv.lock': '',
      'py_tools/__init__.py': 'from mcp.server.fastmcp import FastMCP\nmcp = FastMCP("py")\ndef main():\n    mcp.run()\n',
    },
    found: /found a Python stdio MCP server \(uv\): \/app\/server\/\.venv\/bin\/py-tools/,
    server: { command: '/app/server/.venv/bin/py-tools', cwd: '/app/server' },
    dockerfile: /apt-get install -y --no-install-recommends python3 python3-venv[\s\S]*uv sync --frozen --no-dev/,
  },
  {
    name: 'a Python stdio server with pip',
    files: { 'requirements.txt': 'mcp>=1.0\n', 'server.py': 'from mcp.server.fastmcp import FastMCP\nFastMCP("x").run()\n' },
    found: /found a Python stdio MCP server \(pip-requirements\): \/app\/server\/\.venv\/bin\/python \/app\/server\/server\.py/,
    server: { command: '/app/server/.venv/bin/python /app/server/server.py', cwd: '/app/server' },
    dockerfile: /\.venv\/bin\/pip install --no-cache-dir -r requirements\.txt/,
  },
  {
    name: 'a prebuilt binary',
    files: { 'bin/my-mcp': ELF },
    executable: 'bin/my-mcp',
    found: /found an executable \(bin\/my-mcp\): run as a stdio MCP server/,
    server: { command: '/app/server/bin/my-mcp', cwd: '/app/server' },
    dockerfile: /COPY --chown=node:node --chmod=755 bin\/my-mcp \/app\/server\/bin\/my-mcp/,
  },
  {
    name: 'a FastMCP streamable-HTTP app (a sidecar)',
    files: {
      'pyproject.toml': '[project]\nname = "web-mcp"\n',
      'app.py':
        'from fastmcp import FastMCP\nmcp = FastMCP("web")\nif __name__ == "__main__":\n    mcp.run(transport="streamable-http", host="0.0.0.0", port=8001)\n',
    },
    found: /found a Python streamable-HTTP MCP app \(app\.py, port 8001, \/mcp\): it runs beside the gateway as a sidecar/,
    server: {
      image: 'build:.',
      port: 8001,
      path: '/mcp',
      healthCheck: { command: ['CMD', 'python', '-c', "import socket; socket.create_connection(('127.0.0.1', 8001), 2)"] },
    },
    dockerfile: /FROM python:3\.12-slim[\s\S]*pip install --no-cache-dir \.[\s\S]*EXPOSE 8001[\s\S]*CMD \["python","app\.py"\]/,
  },
  {
    name: 'an existing image',
    files: {},
    argv: ['--image', `acme-mcp@sha256:${'c'.repeat(64)}`, '--port', '9000', '--health-check', 'wget -q -O /dev/null http://127.0.0.1:9000/health'],
    found: /hosting the image acme-mcp@sha256:c+ \(port 9000, \/mcp\) beside the gateway as a sidecar/,
    server: {
      image: `acme-mcp@sha256:${'c'.repeat(64)}`,
      port: 9000,
      path: '/mcp',
      healthCheck: { command: ['CMD-SHELL', 'wget -q -O /dev/null http://127.0.0.1:9000/health'] },
    },
    dockerfile: undefined,
  },
];

describe('init', () => {
  for (const kind of KINDS) {
    describe(`GIVEN ${kind.name}`, () => {
      const dir = project(kind.files);
      if (kind.executable !== undefined) chmodSync(join(dir, kind.executable), 0o755);

      test('WHEN init runs THEN it names what it found, writes the config with that server and the Dockerfile, and prints the next commands', async () => {
        const run = await cli(['init', '--dir', dir, '--name', 'my-mcp', '--region', 'eu-west-1', ...(kind.argv ?? [])]);
        assert.equal(run.code, 0, run.err);
        assert.match(run.out, kind.found);
        const config = JSON.parse(readFileSync(join(dir, 'mcp-fargate.config.json'), 'utf8'));
        assert.deepEqual(config.server, kind.server);
        assert.equal(config.serviceName, 'my-mcp');
        assert.equal(config.region, 'eu-west-1');
        assert.deepEqual(config.image, { repositoryName: 'my-mcp' }, 'no digest: deploy pins the one it pushes');
        assert.deepEqual(config.auth, { mode: 'keys', keysSecret: 'my-mcp/api-keys', header: 'X-Api-Key' });
        assert.equal(config.sessionStore, 'memory');
        assert.deepEqual(config.loadBalancer, { scheme: 'internal', insecureHttpForTesting: true });
        if (kind.dockerfile === undefined) assert.equal(existsSync(join(dir, 'Dockerfile')), false);
        else assert.match(readFileSync(join(dir, 'Dockerfile'), 'utf8'), kind.dockerfile);
        assert.match(run.out, /aws secretsmanager create-secret --region eu-west-1 --name my-mcp\/api-keys/);
        assert.match(run.out, /mcp-fargate deploy --config .*mcp-fargate\.config\.json/);
      });

      test('WHEN synth runs on what init wrote THEN it is accepted', async () => {
        const run = await cli(['synth', '--config', join(dir, 'mcp-fargate.config.json'), '--output', join(dir, 'cdk.out')]);
        assert.equal(run.code, 0, run.err);
        assert.match(run.out, /McpFargate-my-mcp: .*McpFargate-my-mcp\.template\.json/);
      });
    });
  }

  test('GIVEN files init would write THEN it refuses without --force, and overwrites with it', async () => {
    const dir = project({ 'requirements.txt': '', 'server.py': '', 'mcp-fargate.config.json': '{"mine":true}' });
    const refused = await cli(['init', '--dir', dir, '--region', 'eu-west-1']);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /mcp-fargate\.config\.json already exists in .*; pass --force to overwrite/);
    assert.equal(readFileSync(join(dir, 'mcp-fargate.config.json'), 'utf8'), '{"mine":true}');
    const forced = await cli(['init', '--dir', dir, '--region', 'eu-west-1', '--force']);
    assert.equal(forced.code, 0, forced.err);
    assert.match(readFileSync(join(dir, 'mcp-fargate.config.json'), 'utf8'), /"serviceName"/);
  });

  test('GIVEN a terminal THEN init asks for what no flag gave, offering defaults', async () => {
    const dir = project({ 'requirements.txt': '', 'server.py': '' });
    const asked: string[] = [];
    const answers: Record<string, string> = {
      'Service name?': 'asked-name',
      'AWS region?': 'us-west-2',
      'Domain for the MCP URL (empty: an internal load balancer on plain HTTP, for testing)?': 'mcp.example.org',
      'ACM certificate ARN for mcp.example.org in us-west-2?': 'arn:aws:acm:us-west-2:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d',
    };
    const run = await cli(['init', '--dir', dir], {
      env: { AWS_REGION: 'eu-central-1' },
      ask: async (question, offered) => {
        asked.push(`${question} [${offered}]`);
        return answers[question] ?? offered;
      },
    });
    assert.equal(run.code, 0, run.err);
    assert.equal(asked[1], 'AWS region? [eu-central-1]', 'the environment region is offered');
    assert.equal(asked.length, 4);
    const config = JSON.parse(readFileSync(join(dir, 'mcp-fargate.config.json'), 'utf8'));
    assert.equal(config.serviceName, 'asked-name');
    assert.equal(config.region, 'us-west-2');
    assert.equal(config.loadBalancer.domainName, 'mcp.example.org');
  });

  test('GIVEN a directory with no MCP server THEN it says what it looks for and how to point it at an image', async () => {
    const dir = project({ 'README.md': 'hello' });
    const run = await cli(['init', '--dir', dir]);
    assert.equal(run.code, 2);
    assert.match(run.err, /holds no MCP server init recognizes .*pass --image <ref> for an existing image/);
  });

  test('GIVEN --domain and --certificate-arn THEN the config serves HTTPS on that domain; one without the other is refused', async () => {
    const dir = project({ 'requirements.txt': '', 'server.py': '' });
    const arn = ARN;
    const half = await cli(['init', '--dir', dir, '--region', 'eu-west-1', '--domain', 'mcp.example.com']);
    assert.equal(half.code, 2);
    assert.match(half.err, /HTTPS needs both --domain and --certificate-arn/);
    const run = await cli(['init', '--dir', dir, '--region', 'eu-west-1', '--domain', 'mcp.example.com', '--certificate-arn', arn]);
    assert.equal(run.code, 0, run.err);
    const config = JSON.parse(readFileSync(join(dir, 'mcp-fargate.config.json'), 'utf8'));
    assert.deepEqual(config.loadBalancer, { scheme: 'internet-facing', certificateArn: arn, domainName: 'mcp.example.com' });
    assert.equal(config.auth.mode, 'keys');
  });

  test('GIVEN --auth none with --domain THEN init asks why an open MCP on the internet is acceptable, and writes the answer the stack requires', async () => {
    const dir = project({ 'requirements.txt': '', 'server.py': '' });
    const https = ['--region', 'eu-west-1', '--domain', 'mcp.example.com', '--certificate-arn', ARN, '--auth', 'none'];
    const refused = await cli(['init', '--dir', dir, ...https]);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /--auth none with --domain .*--acknowledge-no-auth "<why>"/);
    assert.equal(existsSync(join(dir, 'mcp-fargate.config.json')), false, 'nothing written');
    const why = 'The server only serves public weather data.';
    const run = await cli(['init', '--dir', dir, ...https, '--acknowledge-no-auth', why]);
    assert.equal(run.code, 0, run.err);
    const config = JSON.parse(readFileSync(join(dir, 'mcp-fargate.config.json'), 'utf8'));
    assert.deepEqual(config.auth, { mode: 'none', acknowledgeNoAuth: why });
    const synth = await cli(['synth', '--config', join(dir, 'mcp-fargate.config.json'), '--output', join(dir, 'cdk.out')]);
    assert.equal(synth.code, 0, synth.err);
  });

  test('GIVEN --image THEN its health check is required, as a shell line or the JSON array form, and a malformed array is named', async () => {
    const dir = project({});
    const image = ['--image', `acme-mcp@sha256:${'d'.repeat(64)}`, '--region', 'eu-west-1'];
    const missing = await cli(['init', '--dir', dir, ...image]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--image needs --health-check/);
    const bad = await cli(['init', '--dir', dir, ...image, '--health-check', '["wget", "-q"]']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--health-check \["wget", "-q"\]: a JSON form must be an array of strings \["CMD", "executable", \.\.\.args\]/);
    const run = await cli(['init', '--dir', dir, ...image, '--health-check', '["CMD", "/bin/healthy"]']);
    assert.equal(run.code, 0, run.err);
    const config = JSON.parse(readFileSync(join(dir, 'mcp-fargate.config.json'), 'utf8'));
    assert.deepEqual(config.server.healthCheck, { command: ['CMD', '/bin/healthy'] });
  });

  test('GIVEN an --image outside ECR THEN init refuses it before writing anything, naming the field and the forms it takes', async () => {
    const dir = project({});
    const run = await cli(['init', '--dir', dir, '--region', 'eu-west-1', '--image', `ghcr.io/acme/mcp@sha256:${'e'.repeat(64)}`, '--health-check', 'true']);
    assert.equal(run.code, 2);
    assert.match(run.err, /server\.image must name an ECR repository \(a name, or <account>\.dkr\.ecr\.<region>\.amazonaws\.com\/<name>\)/);
    assert.equal(existsSync(join(dir, 'mcp-fargate.config.json')), false);
  });
});

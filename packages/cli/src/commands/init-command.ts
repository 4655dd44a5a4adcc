import { existsSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import type { CliContext } from '../cli-context.js';
import { CliError } from '../errors.js';
import { type DetectedProject, detectProject } from '../init/detect-project.js';
import { configFile, DOCKERIGNORE, dockerfile, type InitAnswers } from '../init/project-files.js';
import { DEFAULT_CONFIG_FILE, type RawConfig, validateProjectConfig } from '../project-config.js';
import { positiveNumber } from './option-parsers.js';

interface InitFlags {
  readonly dir: string;
  readonly name?: string;
  readonly region?: string;
  readonly domain?: string;
  readonly certificateArn?: string;
  readonly auth: 'keys' | 'oauth' | 'none';
  readonly oauthIssuer?: string;
  readonly acknowledgeNoAuth?: string;
  readonly sessionStore: 'memory' | 'valkey';
  readonly image?: string;
  readonly port: number;
  readonly path: string;
  readonly healthCheck?: string;
  readonly force?: boolean;
}

export function registerInit(program: Command, context: CliContext): void {
  program
    .command('init')
    .description('detect what kind of MCP server a project is, and write mcp-fargate.config.json and a Dockerfile for it')
    .option('-d, --dir <dir>', 'the project directory', '.')
    .option('--name <service>', 'service name (default: the package or directory name)')
    .option('--region <region>', 'AWS region (default: AWS_REGION, or asked)')
    .option('--domain <host>', "the MCP URL's host, for HTTPS (with --certificate-arn)")
    .option('--certificate-arn <arn>', 'ACM certificate covering --domain, in the region')
    .addOption(new Option('--auth <mode>', 'how callers authenticate').choices(['keys', 'oauth', 'none']).default('keys'))
    .option('--oauth-issuer <url>', 'the OAuth issuer, with --auth oauth')
    .option('--acknowledge-no-auth <why>', 'with --auth none and --domain: a sentence saying why an MCP anyone can call is acceptable')
    .addOption(new Option('--session-store <store>', 'where legacy sessions live').choices(['memory', 'valkey']).default('memory'))
    .option('--image <ref>', 'host an existing image of a streamable-HTTP MCP server (a sidecar) from ECR, pinned by digest')
    .option('--port <port>', 'with --image: the port the server listens on', positiveNumber, 8000)
    .option('--path <path>', 'with --image: its MCP path', '/mcp')
    .option(
      '--health-check <command>',
      'with --image: how its container proves it is up, with what the image has: a shell line, or a JSON array ["CMD", "executable", ...args]',
    )
    .option('--force', 'overwrite files that exist')
    .addHelpText(
      'after',
      `
Detects: a Node module on the official SDK (v2 or v1) whose entry default-exports a server factory; a Node stdio
program; a Python stdio server (uv or pip); a Python streamable-HTTP app such as FastMCP (run beside the gateway as a
sidecar); a prebuilt executable; or, with --image, an existing image.

Examples:
  $ mcp-fargate init
  $ mcp-fargate init --dir ../my-server --name my-server --region eu-west-1 --domain mcp.example.com --certificate-arn arn:aws:acm:…
  $ mcp-fargate init --image acme-mcp@sha256:… --port 8000 --health-check 'curl -fsS http://127.0.0.1:8000/health' --auth none`,
    )
    .action(async (flags: InitFlags) => {
      const dir = resolve(context.cwd, flags.dir);
      const project: DetectedProject | undefined =
        flags.image !== undefined
          ? { kind: 'image', image: flags.image, port: flags.port, path: flags.path, name: basename(dir), healthCheck: healthCheckCommand(flags.healthCheck) }
          : detectProject(dir);
      if (project === undefined) {
        throw new CliError(
          'MCPF_CLI_PROJECT_UNKNOWN',
          `${dir} holds no MCP server init recognizes (package.json on the MCP SDK, pyproject.toml or requirements.txt, an executable); ` +
            'run init in your project directory, or pass --image <ref> for an existing image',
        );
      }
      const answers = await collectAnswers(context, flags, project);
      const config = configFile(project, answers, dir);
      // What init writes must pass the same checks deploy makes, so a wrong flag fails here and not at the first deploy.
      validateProjectConfig(config as RawConfig, join(dir, DEFAULT_CONFIG_FILE), { env: context.env });
      const files: [string, string][] = [[DEFAULT_CONFIG_FILE, `${JSON.stringify(config, null, 2)}\n`]];
      const docker = dockerfile(project, existsSync(join(dir, 'package-lock.json')));
      if (docker !== undefined) {
        if (project.kind === 'python-http' && existsSync(join(dir, 'Dockerfile')) && flags.force !== true) {
          context.out.write('keeping your Dockerfile: deploy builds it as the server container\n');
        } else {
          files.push(['Dockerfile', docker]);
        }
        if (!existsSync(join(dir, '.dockerignore'))) files.push(['.dockerignore', DOCKERIGNORE]);
      }
      const existing = files.filter(([file]) => file !== '.dockerignore' && existsSync(join(dir, file))).map(([file]) => file);
      if (existing.length > 0 && flags.force !== true) {
        throw new CliError(
          'MCPF_CLI_FILE_EXISTS',
          `${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''} in ${dir}; pass --force to overwrite`,
        );
      }
      for (const [file, text] of files) writeFileSync(join(dir, file), text);
      const where = relative(context.cwd, dir) || '.';
      context.out.write(
        `${[`${describe(project)}`, `wrote ${files.map(([file]) => join(where, file)).join(', ')}`, ...nextSteps(answers, where)].join('\n')}\n`,
      );
    });
}

async function collectAnswers(context: CliContext, flags: InitFlags, project: DetectedProject): Promise<InitAnswers> {
  const ask = context.ask;
  const defaultName = (flags.name ?? project.name).replace(/[^A-Za-z0-9-]/g, '-').replace(/^[^A-Za-z]+/, '') || 'mcp-server';
  const serviceName = flags.name ?? (ask === undefined ? defaultName : await ask('Service name?', defaultName));
  const envRegion = context.env.AWS_REGION ?? context.env.AWS_DEFAULT_REGION;
  const region = flags.region ?? (ask === undefined ? (envRegion ?? 'us-east-1') : await ask('AWS region?', envRegion ?? 'us-east-1'));
  let domainName = flags.domain;
  let certificateArn = flags.certificateArn;
  if (domainName === undefined && ask !== undefined) {
    domainName = (await ask('Domain for the MCP URL (empty: an internal load balancer on plain HTTP, for testing)?', '')) || undefined;
    if (domainName !== undefined) certificateArn = (await ask(`ACM certificate ARN for ${domainName} in ${region}?`, '')) || undefined;
  }
  if ((domainName === undefined) !== (certificateArn === undefined)) {
    throw new CliError('MCPF_CLI_USAGE', 'HTTPS needs both --domain and --certificate-arn (the certificate must cover the domain, in the region)');
  }
  if (flags.auth === 'none' && domainName !== undefined && flags.acknowledgeNoAuth === undefined) {
    // The stack refuses an open MCP on an internet-facing load balancer without a stated reason: ask for it here.
    throw new CliError(
      'MCPF_CLI_USAGE',
      '--auth none with --domain puts an MCP anyone can call on the internet: choose --auth keys or oauth, or say why that is acceptable with --acknowledge-no-auth "<why>"',
    );
  }
  return {
    serviceName,
    region,
    auth: flags.auth,
    sessionStore: flags.sessionStore,
    ...(domainName === undefined ? {} : { domainName }),
    ...(certificateArn === undefined ? {} : { certificateArn }),
    ...(flags.oauthIssuer === undefined ? {} : { oauthIssuer: flags.oauthIssuer }),
    ...(flags.acknowledgeNoAuth === undefined ? {} : { acknowledgeNoAuth: flags.acknowledgeNoAuth }),
  };
}

function describe(project: DetectedProject): string {
  switch (project.kind) {
    case 'node-module':
      return `found a Node module on the MCP SDK ${project.sdk} (${project.entry} default-exports a server factory): hosted in process`;
    case 'node-command':
      return `found a Node stdio MCP server (${project.script}): each session gets its own child process`;
    case 'python-command':
      return `found a Python stdio MCP server (${project.installer}): ${project.command}`;
    case 'python-http':
      return `found a Python streamable-HTTP MCP app (${project.entry}, port ${project.port}, ${project.path}): it runs beside the gateway as a sidecar`;
    case 'binary':
      return `found an executable (${project.file}): run as a stdio MCP server`;
    case 'image':
      return `hosting the image ${project.image} (port ${project.port}, ${project.path}) beside the gateway as a sidecar`;
  }
}

function nextSteps(answers: InitAnswers, where: string): string[] {
  const config = where === '.' ? '' : ` --config ${join(where, DEFAULT_CONFIG_FILE)}`;
  const steps = ['', 'next:'];
  if (answers.auth === 'keys') {
    steps.push(
      `  aws secretsmanager create-secret --region ${answers.region} --name ${answers.serviceName}/api-keys --secret-string "$(openssl rand -hex 32)"   # the API key callers send in X-Api-Key`,
    );
  }
  if (answers.domainName === undefined) {
    steps.push('  (the load balancer is internal and plain HTTP: set loadBalancer.certificateArn and domainName for HTTPS before production)');
  }
  steps.push(`  mcp-fargate dev${config}       # try it locally`, `  mcp-fargate deploy${config}    # build, push, deploy and verify`);
  return steps;
}

/** `--health-check`: a JSON array is the task definition's own form; anything else is a line for the image's shell. */
function healthCheckCommand(value: string | undefined): readonly string[] {
  if (value === undefined) {
    throw new CliError(
      'MCPF_CLI_USAGE',
      "--image needs --health-check: the gateway starts once the server's container is healthy, and only you know what its image has " +
        '(slim images have no curl): a shell line such as --health-check "wget -q -O /dev/null http://127.0.0.1:8000/health", or a JSON array ["CMD", "executable", ...args]',
    );
  }
  if (!value.trimStart().startsWith('[')) return ['CMD-SHELL', value];
  let command: unknown;
  try {
    command = JSON.parse(value);
  } catch {
    command = undefined;
  }
  if (!Array.isArray(command) || command.length < 2 || command[0] !== 'CMD' || !command.every((word) => typeof word === 'string')) {
    throw new CliError('MCPF_CLI_USAGE', `--health-check ${value}: a JSON form must be an array of strings ["CMD", "executable", ...args]`);
  }
  return command as string[];
}

import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AwsClients } from '../aws/clients.js';
import { CliError } from '../errors.js';
import type { CommandRunner } from './docker.js';

/** The SSM parameter `cdk bootstrap` writes with its default qualifier; the deploy role and asset bucket come with it. */
export const BOOTSTRAP_VERSION_PARAMETER = '/cdk-bootstrap/hnb659fds/version';

export interface PrerequisiteResult {
  readonly name: string;
  readonly ok: boolean;
  /** What was found, or what is missing. */
  readonly detail: string;
  /** How to fix it, when missing. */
  readonly fix?: string;
}

export interface Prerequisites {
  readonly account: string | undefined;
  readonly results: readonly PrerequisiteResult[];
}

/**
 * Checks everything a deploy needs before anything is built: docker with buildx (and an emulator when the task's
 * architecture is not this machine's), AWS credentials for the region, and the CDK bootstrap in that account and
 * region. Every check runs, so one run names everything that is missing.
 */
export async function checkPrerequisites(options: { run: CommandRunner; aws: AwsClients; platform: string; hostArch?: string }): Promise<Prerequisites> {
  const { run, aws, platform } = options;
  const results: PrerequisiteResult[] = [];

  const docker = await run('docker', ['version', '--format', '{{.Server.Version}}']);
  if (docker.code === null) {
    results.push({ name: 'docker', ok: false, detail: 'docker is not installed (not on PATH)', fix: 'install Docker (Docker Desktop, or docker-ce on Linux)' });
  } else if (docker.code !== 0) {
    results.push({
      name: 'docker',
      ok: false,
      detail: `docker cannot reach its daemon (${firstLine(docker.stderr)})`,
      fix: 'start Docker (Docker Desktop, or `sudo systemctl start docker`)',
    });
  } else {
    results.push({ name: 'docker', ok: true, detail: `docker engine ${docker.stdout.trim()}` });
  }

  const buildx = await run('docker', ['buildx', 'version']);
  if (buildx.code !== 0) {
    results.push({
      name: 'docker buildx',
      ok: false,
      detail: 'the buildx plugin is missing',
      fix: 'install it (Docker Desktop has it; on Linux the docker-buildx-plugin package)',
    });
  } else {
    results.push({ name: 'docker buildx', ok: true, detail: firstLine(buildx.stdout) });
    const arch = platform.replace('linux/', '');
    const hostArch = (options.hostArch ?? process.arch) === 'x64' ? 'amd64' : (options.hostArch ?? process.arch);
    if (arch !== hostArch) {
      // Building for another architecture needs QEMU emulation registered with the builder.
      const inspect = await run('docker', ['buildx', 'inspect', '--bootstrap']);
      const platforms = /Platforms:\s*(.*)/.exec(inspect.stdout)?.[1] ?? '';
      results.push(
        platforms.includes(platform)
          ? { name: `build for ${platform}`, ok: true, detail: 'the builder can build it' }
          : {
              name: `build for ${platform}`,
              ok: false,
              detail: `the buildx builder cannot build ${platform} on this ${hostArch} machine`,
              fix: `register QEMU emulation: docker run --privileged --rm tonistiigi/binfmt --install ${arch} (or set task.architecture to "${hostArch === 'amd64' ? 'x86_64' : 'arm64'}")`,
            },
      );
    }
  }

  let account: string | undefined;
  try {
    account = (await aws.sts.send(new GetCallerIdentityCommand({}))).Account;
    results.push({ name: 'AWS credentials', ok: true, detail: `account ${account}, region ${aws.region}` });
  } catch (error) {
    results.push({
      name: 'AWS credentials',
      ok: false,
      detail: `no usable AWS credentials for ${aws.region} (${(error as Error).message})`,
      fix: 'run `aws configure` or `aws sso login`, or set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)',
    });
  }

  if (account !== undefined) {
    try {
      const version = await aws.ssm.send(new GetParameterCommand({ Name: BOOTSTRAP_VERSION_PARAMETER }));
      results.push({ name: 'CDK bootstrap', ok: true, detail: `bootstrap version ${version.Parameter?.Value ?? '?'}` });
    } catch (error) {
      const notFound = (error as Error).name === 'ParameterNotFound';
      results.push({
        name: 'CDK bootstrap',
        ok: false,
        detail: notFound
          ? `aws://${account}/${aws.region} is not bootstrapped for the CDK`
          : `cannot read ${BOOTSTRAP_VERSION_PARAMETER} (${(error as Error).message})`,
        fix: `run \`npx cdk bootstrap aws://${account}/${aws.region}\` once (in this repository, the pinned CDK CLI)`,
      });
    }
  }
  return { account, results };
}

/** Throws one error naming every missing prerequisite and its fix. */
export function requirePrerequisites(prerequisites: Prerequisites): string {
  const missing = prerequisites.results.filter((r) => !r.ok);
  if (missing.length > 0 || prerequisites.account === undefined) {
    const lines = missing.map((r) => `  - ${r.name}: ${r.detail}\n    fix: ${r.fix ?? ''}`);
    throw new CliError('MCPF_CLI_PREREQUISITE_MISSING', `deploy cannot start; nothing was built or changed:\n${lines.join('\n')}`);
  }
  return prerequisites.account;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

import { DescribeImagesCommand, DescribeRepositoriesCommand, GetAuthorizationTokenCommand, type ImageDetail } from '@aws-sdk/client-ecr';
import type { AwsClients } from '../aws/clients.js';
import type { CliContext } from '../cli-context.js';
import { CliError } from '../errors.js';
import { loadProjectConfig, type ProjectConfig } from '../project-config.js';
import { outputNamed } from '../stack-outputs.js';
import { renderReport } from '../verify/report.js';
import { verify, type VerifyOptions } from '../verify/verify.js';
import { configAssembly } from './assembly.js';
import { pushedDigest, tail } from './docker.js';
import { type ImagePlan, imageTag, planImages } from './image-plan.js';
import { checkPrerequisites, requirePrerequisites } from './prerequisites.js';
import { stepProgress } from './progress.js';

export interface DeployOptions {
  readonly configPath: string;
  readonly dryRun: boolean;
  /** Verify the URL after the deploy (`--no-verify` skips it). */
  readonly verify: VerifyOptions | undefined;
}

export interface DeployResult {
  readonly digest: string;
  readonly url: string | undefined;
}

/**
 * The seed's flow in one command: prerequisites, the ECR repository, the image built for the task's architecture and
 * pushed under an immutable tag, its digest resolved from ECR, the service stack deployed pinned by that digest, the URL
 * printed and verified. Nothing is built before every prerequisite is there; a failed step stops the deploy.
 */
export async function deploy(context: CliContext, options: DeployOptions): Promise<DeployResult | undefined> {
  // Validated before anything else, with a placeholder digest: the real one exists only after the push.
  const project = loadProjectConfig(options.configPath, { env: context.env });
  const { config } = project;
  const { tag, clean } = await imageTag(context.run, project.dir, context.now());
  if (options.dryRun) {
    printDryRun(context, project, tag);
    return undefined;
  }
  const progress = stepProgress(context.out, context.now);
  const aws = context.aws(config.region ?? '');
  const platform = config.task.architecture === 'arm64' ? 'linux/arm64' : 'linux/amd64';
  const account = requirePrerequisites(await progress.step('Check prerequisites', () => checkPrerequisites({ run: context.run, aws, platform })));
  const deployer = await context.deployer();
  const registry = `${account}.dkr.ecr.${aws.region}.amazonaws.com`;
  const repositoryName = config.image.repositoryName;
  const repositoryUri = `${registry}/${repositoryName}`;

  if (config.image.createRepository) {
    await progress.step(`Deploy the repository stack ${config.stackName}-repository`, () =>
      deployer.deploy(`${config.stackName}-repository`, configAssembly(config)),
    );
  } else {
    await progress.step(`Find the ECR repository ${repositoryName}`, async () => {
      try {
        await aws.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName] }));
      } catch (error) {
        throw new CliError(
          'MCPF_CLI_IMAGE_NOT_FOUND',
          `the ECR repository ${repositoryName} does not exist in ${aws.region} (${(error as Error).message}); create it, or set image.createRepository to true`,
        );
      }
    });
  }

  const plan = planImages(project, repositoryUri, tag);
  const existing = clean ? await imageByTag(aws, repositoryName, tag) : undefined;
  let digest: string;
  let serverDigest: string | undefined;
  if (existing?.imageDigest !== undefined && plan.serverRef === undefined) {
    // Tags are immutable: a clean commit already pushed is deployed as it is.
    digest = existing.imageDigest;
    progress.note(`${plan.gatewayRef} is already in ECR (this commit was pushed before): deploying ${digest}`);
  } else {
    await progress.step(`Log docker in to ${registry}`, () => dockerLogin(context, aws, registry));
    const pushed = await buildAndPush(context, progress, plan);
    digest = await progress.step('Resolve the digest from ECR', () => resolveDigest(aws, repositoryName, tag, pushed.get(plan.gatewayRef)));
    if (plan.serverRef !== undefined) serverDigest = await resolveDigest(aws, repositoryName, `${tag}-server`, pushed.get(plan.serverRef));
  }
  progress.note(`image ${repositoryUri}@${digest}`);

  const pinned = loadProjectConfig(options.configPath, {
    env: context.env,
    digest,
    ...(serverDigest === undefined ? {} : { serverImage: `${repositoryUri}@${serverDigest}` }),
  });
  const outputs = await progress.step(`Deploy the stack ${config.stackName} pinned to ${digest.slice(0, 19)}…`, () =>
    deployer.deploy(config.stackName, configAssembly(pinned.config)),
  );
  const url = outputNamed(outputs, 'McpUrl');
  context.out.write(`\nRegister this URL with your agent platform: ${url ?? '(the stack has no McpUrl output)'}\n`);
  if (url !== undefined && options.verify !== undefined) {
    const verifyOptions = options.verify;
    const report = await progress.step(`Verify ${url}`, async () => verify(url, verifyOptions));
    context.out.write(renderReport(report));
    if (!report.ok) {
      throw new CliError(
        'MCPF_CLI_VERIFY_FAILED',
        `deployed, but ${url} failed a required check (see the fix under it); after fixing, run \`mcp-fargate verify ${url}\``,
      );
    }
  }
  return { digest, url };
}

async function dockerLogin(context: CliContext, aws: AwsClients, registry: string): Promise<void> {
  const token = (await aws.ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData?.[0]?.authorizationToken;
  if (token === undefined)
    throw new CliError('MCPF_CLI_DOCKER_FAILED', 'ECR returned no authorization token; check that your credentials allow ecr:GetAuthorizationToken');
  const [user, password] = Buffer.from(token, 'base64').toString('utf8').split(':');
  const login = await context.run('docker', ['login', '--username', user ?? 'AWS', '--password-stdin', registry], { input: password ?? '' });
  if (login.code !== 0) throw new CliError('MCPF_CLI_DOCKER_FAILED', `docker login to ${registry} failed:\n${tail(login)}`);
}

/** Runs the builds in order and pushes what each one produces; returns the digest docker printed per pushed ref. */
async function buildAndPush(context: CliContext, progress: ReturnType<typeof stepProgress>, plan: ImagePlan): Promise<Map<string, string | undefined>> {
  const pushed = new Map<string, string | undefined>();
  for (const build of plan.builds) {
    await progress.step(`${build.title} for ${plan.platform}`, async () => {
      const result = await context.run('docker', build.args);
      if (result.code !== 0) {
        throw new CliError('MCPF_CLI_DOCKER_FAILED', `docker ${build.args.slice(0, 2).join(' ')} failed; nothing was pushed or deployed:\n${tail(result)}`);
      }
    });
  }
  for (const build of plan.builds) {
    const ref = build.push;
    if (ref === undefined) continue;
    await progress.step(`Push ${ref}`, async () => {
      const result = await context.run('docker', ['push', ref]);
      if (result.code !== 0) {
        const exists = /tag invalid|already exists/i.test(`${result.stdout}${result.stderr}`);
        throw new CliError(
          'MCPF_CLI_DOCKER_FAILED',
          `docker push ${ref} failed; nothing was deployed.${exists ? ' The tag is already in the repository (tags are immutable): commit your changes, or deploy again for a new timestamped tag.' : ''}\n${tail(result)}`,
        );
      }
      pushed.set(ref, pushedDigest(result.stdout));
    });
  }
  return pushed;
}

async function imageByTag(aws: AwsClients, repositoryName: string, tag: string): Promise<ImageDetail | undefined> {
  try {
    return (await aws.ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: tag }] }))).imageDetails?.[0];
  } catch (error) {
    if ((error as Error).name === 'ImageNotFoundException') return undefined;
    throw error;
  }
}

/** The digest ECR holds for the tag; it must be the one docker pushed, and one image manifest (not an index). */
async function resolveDigest(aws: AwsClients, repositoryName: string, tag: string, pushedDigestValue: string | undefined): Promise<string> {
  const image = await imageByTag(aws, repositoryName, tag);
  const digest = image?.imageDigest;
  if (digest === undefined) throw new CliError('MCPF_CLI_IMAGE_NOT_FOUND', `ECR has no image tagged ${tag} in ${repositoryName} after the push`);
  if (pushedDigestValue !== undefined && pushedDigestValue !== digest) {
    throw new CliError('MCPF_CLI_IMAGE_NOT_FOUND', `ECR reports ${digest} for ${tag}, but docker pushed ${pushedDigestValue}; run deploy again`);
  }
  if (image?.imageManifestMediaType?.includes('index') === true) {
    throw new CliError(
      'MCPF_CLI_IMAGE_NOT_FOUND',
      `${tag} was pushed as an image index (${image.imageManifestMediaType}); deploy builds with --provenance=false so the push is one manifest`,
    );
  }
  return digest;
}

function printDryRun(context: CliContext, project: ProjectConfig, tag: string): void {
  const { config } = project;
  const account = config.account ?? '<account>';
  const registry = `${account}.dkr.ecr.${config.region}.amazonaws.com`;
  const plan = planImages(project, `${registry}/${config.image.repositoryName}`, tag);
  const lines = [
    `deploy --dry-run: nothing is built, pushed or deployed; ${project.path} is valid.`,
    `1. check prerequisites: docker with buildx${plan.platform === 'linux/arm64' && process.arch !== 'arm64' ? ' (and QEMU emulation for linux/arm64)' : ''}, AWS credentials for ${config.region} (sts:GetCallerIdentity), the CDK bootstrap (SSM /cdk-bootstrap/hnb659fds/version)`,
    config.image.createRepository
      ? `2. deploy the stack ${config.stackName}-repository (the ECR repository ${config.image.repositoryName}: immutable tags, scan on push)`
      : `2. check that the ECR repository ${config.image.repositoryName} exists`,
    `3. docker login --username AWS --password-stdin ${registry} (token from ecr:GetAuthorizationToken)`,
    ...plan.builds.map((build, i) => `${4 + i}. docker ${build.args.join(' ')}`),
  ];
  let n = 4 + plan.builds.length;
  for (const build of plan.builds) if (build.push !== undefined) lines.push(`${n++}. docker push ${build.push}`);
  lines.push(
    `${n++}. resolve the digest of ${plan.tag} from ECR (DescribeImages) and check it is the pushed one`,
    `${n++}. deploy the stack ${config.stackName} with the image pinned to ${registry}/${config.image.repositoryName}@<that digest>`,
    `${n++}. print the McpUrl output and run \`mcp-fargate verify\` on it`,
  );
  context.out.write(`${lines.join('\n')}\n`);
}

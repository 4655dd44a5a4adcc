// `mcp-fargate deploy` with the cloud boundary replaced and nothing else: AWS SDK clients mocked with
// aws-sdk-client-mock, docker replaced by a recording executable first on PATH, and the toolkit-lib deploy replaced by
// a recorder that synthesizes the very assembly toolkit-lib would be handed. What toolkit-lib then does in CloudFormation
// cannot be run here (no AWS); the template it would deploy is what these tests read.
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeImagesCommand, DescribeRepositoriesCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { parseDeploymentConfig } from '@mcp-fargate/cdk';
import { configAssembly } from '../src/deploy/assembly.js';
import { toolkitAssembly } from '../src/deploy/stack-deployer.js';
import { PLACEHOLDER_DIGEST } from '../src/project-config.js';
import { cli, EXAMPLE_CONFIG, type GatewayProcess, REPO_ROOT, recordingDeployer, recordingDocker, startGateway, tempDir } from './helpers.js';

const DIGEST = `sha256:${'ab12'.repeat(16)}`;
const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

const sts = mockClient(STSClient);
const ssm = mockClient(SSMClient);
const ecr = mockClient(ECRClient);
const cloudFormation = mockClient(CloudFormationClient);

/** One ordered record of every docker call, AWS call and stack deploy. */
let events: string;
let docker: ReturnType<typeof recordingDocker>;
let project: string;
let gateway: GatewayProcess;

function log(event: string): void {
  appendFileSync(events, `${JSON.stringify([event])}\n`);
}

function recorded(): string[] {
  return readFileSync(events, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as string[]).join(' '));
}

before(async () => {
  gateway = await startGateway({ SSE_HEARTBEAT_MS: '200' });
});
after(async () => {
  await gateway.stop();
  for (const mock of [sts, ssm, ecr, cloudFormation]) mock.restore();
});

beforeEach(() => {
  docker = recordingDocker(DIGEST);
  events = docker.log; // docker appends its calls here too: one order for everything
  project = tempDir('project');
  copyFileSync(EXAMPLE_CONFIG, join(project, 'mcp-fargate.config.json'));
  for (const mock of [sts, ssm, ecr, cloudFormation]) mock.reset();
  sts.on(GetCallerIdentityCommand).callsFake(() => {
    log('aws sts:GetCallerIdentity');
    return { Account: '123456789012' };
  });
  ssm.on(GetParameterCommand).callsFake((input: { Name: string }) => {
    log(`aws ssm:GetParameter ${input.Name}`);
    return { Parameter: { Value: '30' } };
  });
  ecr.on(GetAuthorizationTokenCommand).callsFake(() => {
    log('aws ecr:GetAuthorizationToken');
    return { authorizationData: [{ authorizationToken: Buffer.from('AWS:token-from-ecr').toString('base64') }] };
  });
  ecr.on(DescribeImagesCommand).callsFake((input: { imageIds: { imageTag: string }[] }) => {
    log(`aws ecr:DescribeImages ${input.imageIds[0]?.imageTag}`);
    return { imageDetails: [{ imageDigest: DIGEST, imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json' }] };
  });
});

/** The deployer, with each stack deploy also written to the one ordered log of docker and AWS calls. */
function loggingDeploys(deployer: ReturnType<typeof recordingDeployer>): ReturnType<typeof recordingDeployer> {
  return {
    ...deployer,
    deploy: (name, source) => {
      log(`deploy ${name}`);
      return deployer.deploy(name, source);
    },
  };
}

function deployArgs(extra: readonly string[] = []): string[] {
  return ['deploy', '--config', join(project, 'mcp-fargate.config.json'), '--idle-seconds', '1', '--keep-alive-seconds', '0.5', ...extra];
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: `${docker.bin}:${process.env.PATH}`, ...extra };
}

describe('deploy', () => {
  test('GIVEN --dry-run THEN every step is printed with its docker command, and neither docker nor AWS is called', async () => {
    const deployer = recordingDeployer({}, []);
    const run = await cli(deployArgs(['--dry-run']), { env: env(), deployer: async () => deployer });
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /^deploy --dry-run: nothing is built, pushed or deployed/);
    assert.match(run.out, /^2\. deploy the stack McpFargate-mcp-github-repository/m);
    assert.match(run.out, new RegExp(`^3\\. docker login --username AWS --password-stdin ${REGISTRY}`, 'm'));
    // Not in git: the tag is a UTC timestamp.
    assert.match(
      run.out,
      new RegExp(
        `^4\\. docker buildx build --platform linux/arm64 --provenance=false --load --tag ${REGISTRY}/mcp-github:\\d{8}T\\d{6}Z --file ${REPO_ROOT}Dockerfile`,
        'm',
      ),
    );
    assert.match(run.out, /^5\. docker push .*mcp-github:\d{8}T\d{6}Z$/m);
    assert.match(run.out, /^7\. deploy the stack McpFargate-mcp-github with the image pinned to .*@<that digest>$/m);
    assert.deepEqual(docker.calls(), []);
    assert.equal(sts.calls().length + ecr.calls().length + ssm.calls().length, 0);
    assert.equal(deployer.templates.size, 0);
  });

  test('GIVEN everything in place THEN prerequisites, repository, login, build, push, digest and stack happen in that order, the pushed digest is in the template, and the URL is verified', async () => {
    const deployer = recordingDeployer({ McpMcpUrlA1B2C3D4: gateway.url }, []);
    const recording = loggingDeploys(deployer);
    const run = await cli(deployArgs(), { env: env(), deployer: async () => recording });
    assert.equal(run.code, 0, run.out + run.err);
    const steps = recorded().map((event) => event.replace(/\d{8}T\d{6}Z/g, '<tag>'));
    assert.deepEqual(steps, [
      'version --format {{.Server.Version}}',
      'buildx version',
      ...(process.arch === 'arm64' ? [] : ['buildx inspect --bootstrap']),
      'aws sts:GetCallerIdentity',
      'aws ssm:GetParameter /cdk-bootstrap/hnb659fds/version',
      'deploy McpFargate-mcp-github-repository',
      'aws ecr:GetAuthorizationToken',
      `login --username AWS --password-stdin ${REGISTRY} <stdin:14 chars>`,
      `buildx build --platform linux/arm64 --provenance=false --load --tag ${REGISTRY}/mcp-github:<tag> --file ${REPO_ROOT}Dockerfile ${REPO_ROOT}`,
      `push ${REGISTRY}/mcp-github:<tag>`,
      'aws ecr:DescribeImages <tag>',
      'deploy McpFargate-mcp-github',
    ]);
    const template = JSON.stringify(deployer.templates.get('McpFargate-mcp-github'));
    assert.ok(template.includes(`@${DIGEST}`), 'the task definition pins the pushed digest');
    assert.ok(!template.includes(PLACEHOLDER_DIGEST));
    assert.ok(!template.includes('3f1c9d5e7a2b'), "the config file's own digest was replaced");
    assert.match(run.out, /✔ Check prerequisites \(\d+\.\d s\)/);
    assert.match(run.out, new RegExp(`Register this URL with your agent platform: ${gateway.url.replaceAll('.', '\\.')}`));
    assert.match(run.out, /verify passed/);
  });

  test("GIVEN a push that fails THEN the deploy stops with docker's reason and the service stack is never deployed", async () => {
    const deployer = recordingDeployer({}, []);
    const recording = loggingDeploys(deployer);
    // An existing repository: no repository stack to synthesize before the push.
    const config = JSON.parse(readFileSync(join(project, 'mcp-fargate.config.json'), 'utf8'));
    writeFileSync(
      join(project, 'mcp-fargate.config.json'),
      JSON.stringify({ ...config, image: { ...config.image, createRepository: false, keepImages: undefined } }),
    );
    ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [{ repositoryName: 'mcp-github' }] });
    const run = await cli(deployArgs(), { env: env({ FAKE_DOCKER_FAIL: 'push' }), deployer: async () => recording });
    assert.equal(run.code, 1);
    assert.match(run.err, /mcp-fargate: docker push 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/mcp-github:\S+ failed; nothing was deployed\./);
    assert.match(run.err, /denied: requested access to the resource is denied/);
    assert.match(run.out, /✘ Push .* failed \(\d+\.\d s\)/);
    const steps = recorded();
    assert.ok(steps.some((s) => s.startsWith('push ')));
    assert.ok(!steps.some((s) => s.startsWith('deploy ') || s.startsWith('aws ecr:DescribeImages')), steps.join('\n'));
  });

  for (const [what, detail, message] of [
    [
      'a digest other than the one docker pushed',
      { imageDigest: `sha256:${'9'.repeat(64)}`, imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json' },
      new RegExp(`ECR reports sha256:9{64} for \\S+, but docker pushed ${DIGEST}; run deploy again`),
    ],
    [
      'an image index',
      { imageDigest: DIGEST, imageManifestMediaType: 'application/vnd.oci.image.index.v1+json' },
      /was pushed as an image index \(application\/vnd\.oci\.image\.index\.v1\+json\); deploy builds with --provenance=false/,
    ],
  ] as const) {
    test(`GIVEN ECR reports ${what} for the pushed tag THEN the deploy stops before the stack, saying so`, async () => {
      ecr.on(DescribeImagesCommand).callsFake(() => ({ imageDetails: [detail] }));
      const deployer = recordingDeployer({}, []);
      const recording = loggingDeploys(deployer);
      const run = await cli(deployArgs(), { env: env(), deployer: async () => recording });
      assert.equal(run.code, 1, run.out + run.err);
      assert.match(run.err, message);
      assert.ok(recorded().some((s) => s.startsWith('push ')));
      assert.ok(!recorded().includes('deploy McpFargate-mcp-github'), 'the service stack was not deployed');
    });
  }

  test('GIVEN no docker daemon and no AWS credentials THEN both are named with their fixes, before anything is built', async () => {
    sts.on(GetCallerIdentityCommand).rejects(new Error('Could not load credentials from any providers'));
    const deployer = recordingDeployer({}, []);
    const run = await cli(deployArgs(), { env: env({ FAKE_DOCKER_FAIL: 'version' }), deployer: async () => deployer });
    assert.equal(run.code, 3);
    assert.match(run.err, /deploy cannot start; nothing was built or changed:/);
    assert.match(run.err, /- docker: docker cannot reach its daemon \(Cannot connect to the Docker daemon.*\)\n\s+fix: start Docker/);
    assert.match(
      run.err,
      /- AWS credentials: no usable AWS credentials for eu-west-1 \(Could not load credentials from any providers\)\n\s+fix: run `aws configure` or `aws sso login`/,
    );
    assert.ok(!docker.calls().some((call) => call[0] === 'buildx' && call[1] === 'build'), 'nothing built');
    assert.equal(deployer.templates.size, 0);
    assert.equal(ssm.calls().length, 0, 'no bootstrap check without an account');
  });

  test('GIVEN an account not bootstrapped THEN the fix is the exact cdk bootstrap command', async () => {
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ $metadata: {}, message: 'not found' }));
    const run = await cli(deployArgs(), { env: env(), deployer: async () => recordingDeployer({}, []) });
    assert.equal(run.code, 3);
    assert.match(
      run.err,
      /- CDK bootstrap: aws:\/\/123456789012\/eu-west-1 is not bootstrapped for the CDK\n\s+fix: run `npx cdk bootstrap aws:\/\/123456789012\/eu-west-1` once/,
    );
    assert.ok(!docker.calls().some((call) => call[1] === 'build'));
  });

  test("GIVEN a project Dockerfile FROM the gateway image THEN the gateway base is built first and passed as GATEWAY_IMAGE; only the project's image is pushed", async () => {
    writeFileSync(join(project, 'Dockerfile'), ['ARG GATEWAY_IMAGE=mcp-fargate-gateway', 'FROM $GATEWAY_IMAGE', 'COPY . /app/server', ''].join('\n'));
    const run = await cli(deployArgs(['--dry-run']), { env: env() });
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, new RegExp(`^4\\. docker buildx build .* --tag mcp-fargate-gateway:(\\S+) --file ${REPO_ROOT}Dockerfile ${REPO_ROOT}$`, 'm'));
    assert.match(run.out, /^5\. docker buildx build .* --build-arg GATEWAY_IMAGE=mcp-fargate-gateway:\S+ --file \S+\/Dockerfile \S+$/m);
    assert.deepEqual(run.out.split('\n').filter((l) => l.includes('docker push')).length, 1);
  });

  test('GIVEN a sidecar built from the project (server.image "build:.") THEN the gateway image and the server image are both built and pushed', async () => {
    const config = JSON.parse(readFileSync(join(project, 'mcp-fargate.config.json'), 'utf8'));
    const { secrets: _secrets, ...rest } = config;
    writeFileSync(
      join(project, 'mcp-fargate.config.json'),
      JSON.stringify({
        ...rest,
        server: { image: 'build:.', port: 8001, path: '/mcp', healthCheck: { command: ['CMD', 'python', '-c', 'print()'] } },
      }),
    );
    writeFileSync(join(project, 'Dockerfile'), 'FROM python:3.12-slim\n');
    const run = await cli(deployArgs(['--dry-run']), { env: env() });
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, new RegExp(`^4\\. docker buildx build .* --tag ${REGISTRY}/mcp-github:(\\S+) --file ${REPO_ROOT}Dockerfile ${REPO_ROOT}$`, 'm'));
    assert.match(run.out, new RegExp(`^5\\. docker buildx build .* --tag ${REGISTRY}/mcp-github:\\S+-server --file ${project}/Dockerfile ${project}$`, 'm'));
    assert.match(run.out, /^6\. docker push \S+:\S+$/m);
    assert.match(run.out, /^7\. docker push \S+-server$/m);
  });

  test('GIVEN an invalid config THEN deploy stops before any prerequisite, naming the field and "did you mean"', async () => {
    const config = JSON.parse(readFileSync(join(project, 'mcp-fargate.config.json'), 'utf8'));
    writeFileSync(join(project, 'mcp-fargate.config.json'), JSON.stringify({ ...config, regoin: 'eu-west-1' }));
    const run = await cli(deployArgs(), { env: env() });
    assert.equal(run.code, 2);
    assert.match(run.err, /regoin is not a known field of the top level \(did you mean "region"\?\)/);
    assert.deepEqual(docker.calls(), []);
  });
});

describe('the real toolkit-lib path, as far as it runs without AWS', () => {
  test('GIVEN the assembly source deploy hands to toolkit-lib THEN toolkit-lib synthesizes it, pinned to the digest, with no credentials', async () => {
    // The toolkit reads the process environment: nothing may find credentials or reach AWS from this process.
    Object.assign(process.env, {
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      HTTPS_PROXY: 'http://127.0.0.1:9',
      HTTP_PROXY: 'http://127.0.0.1:9',
    });
    const { Toolkit } = await import('@aws-cdk/toolkit-lib');
    const toolkit = new Toolkit({ ioHost: { notify: async () => undefined, requestResponse: async (message) => message.defaultResponse } });
    // Without an account the stacks need no lookup (a lookup is exactly what would need AWS).
    const { account: _account, ...example } = JSON.parse(readFileSync(EXAMPLE_CONFIG, 'utf8'));
    const config = parseDeploymentConfig({ ...example, image: { ...example.image, digest: DIGEST } });
    const snapshot = await toolkit.synth(await toolkitAssembly(toolkit, configAssembly(config)));
    try {
      const assembly = await snapshot.produce();
      const template = JSON.stringify(assembly.cloudAssembly.getStackByName('McpFargate-mcp-github').template);
      assert.ok(template.includes(`@${DIGEST}`));
    } finally {
      await snapshot.dispose();
    }
  });
});

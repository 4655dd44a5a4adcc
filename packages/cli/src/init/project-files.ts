import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CONTAINER_SERVER_DIR, REPO_ROOT } from '../paths.js';
import { SIDECAR_BUILD_PREFIX, type ServerSection } from '../project-config.js';
import type { DetectedProject } from './detect-project.js';

export interface InitAnswers {
  readonly serviceName: string;
  readonly region: string;
  /** HTTPS: the MCP URL's host and its ACM certificate. Without them: an internal load balancer on plain HTTP. */
  readonly domainName?: string;
  readonly certificateArn?: string;
  readonly auth: 'keys' | 'oauth' | 'none';
  /** With auth "none" on an internet-facing load balancer: why an MCP anyone can call is acceptable. */
  readonly acknowledgeNoAuth?: string;
  readonly oauthIssuer?: string;
  readonly sessionStore: 'memory' | 'valkey';
}

/** The hosted server section for what was detected; paths are where init's Dockerfile puts the project. */
export function serverSection(project: DetectedProject): ServerSection {
  switch (project.kind) {
    case 'node-module':
      return { module: `${CONTAINER_SERVER_DIR}/${project.entry}` };
    case 'node-command':
      return { command: `node ${CONTAINER_SERVER_DIR}/${project.script}`, cwd: CONTAINER_SERVER_DIR };
    case 'python-command':
      return { command: project.command, cwd: CONTAINER_SERVER_DIR };
    case 'binary':
      return { command: `${CONTAINER_SERVER_DIR}/${project.file}`, cwd: CONTAINER_SERVER_DIR };
    case 'python-http':
      // The image init writes has Python and nothing like curl: the check is that the port accepts connections.
      return {
        image: `${SIDECAR_BUILD_PREFIX}.`,
        port: project.port,
        path: project.path,
        healthCheck: { command: ['CMD', 'python', '-c', `import socket; socket.create_connection(('127.0.0.1', ${project.port}), 2)`] },
      };
    case 'image':
      return { image: project.image, port: project.port, path: project.path, healthCheck: { command: project.healthCheck } };
  }
}

/** The deployment config init writes: every field the stack needs, nothing left to a surprise default. */
export function configFile(project: DetectedProject, answers: InitAnswers, dir: string): Record<string, unknown> {
  const schema = join(REPO_ROOT, 'packages/cdk/mcp-fargate.config.schema.json');
  const https = answers.domainName !== undefined && answers.certificateArn !== undefined;
  const repositoryName = answers.serviceName.toLowerCase();
  return {
    $schema: existsSync(schema) ? relative(dir, schema) : undefined,
    serviceName: answers.serviceName,
    region: answers.region,
    image: { repositoryName },
    server: serverSection(project),
    auth:
      answers.auth === 'keys'
        ? { mode: 'keys', keysSecret: `${answers.serviceName}/api-keys`, header: 'X-Api-Key' }
        : answers.auth === 'oauth'
          ? { mode: 'oauth', issuer: answers.oauthIssuer ?? 'https://issuer.example.com' }
          : { mode: 'none', ...(answers.acknowledgeNoAuth === undefined ? {} : { acknowledgeNoAuth: answers.acknowledgeNoAuth }) },
    sessionStore: answers.sessionStore,
    environment: { LOG_LEVEL: 'info' },
    loadBalancer: https
      ? { scheme: 'internet-facing', certificateArn: answers.certificateArn, domainName: answers.domainName }
      : { scheme: 'internal', insecureHttpForTesting: true },
  };
}

const HEADER = `# syntax=docker/dockerfile:1
# Written by \`mcp-fargate init\`. Your MCP server on the mcp-fargate gateway image: \`mcp-fargate deploy\` builds the
# gateway image first and passes it as GATEWAY_IMAGE. Keep the gateway's USER, HEALTHCHECK, VOLUME and CMD.
ARG GATEWAY_IMAGE=mcp-fargate-gateway`;

/** The Dockerfile for what was detected; undefined when the project brings its own image. */
export function dockerfile(project: DetectedProject, hasLockfile: boolean): string | undefined {
  switch (project.kind) {
    case 'node-module':
    case 'node-command':
      // The project is installed with its own dependencies in /app/server, so the module (or program) resolves them
      // itself; a build script runs with dev dependencies, which are then pruned.
      return `${HEADER}
FROM \${GATEWAY_IMAGE} AS build
USER root
WORKDIR ${CONTAINER_SERVER_DIR}
COPY package*.json ./
RUN ${hasLockfile ? 'npm ci' : 'npm install'} --no-audit --no-fund
COPY . .
RUN npm run build --if-present && npm prune --omit=dev

FROM \${GATEWAY_IMAGE}
COPY --from=build --chown=node:node ${CONTAINER_SERVER_DIR} ${CONTAINER_SERVER_DIR}
`;
    case 'python-command': {
      const install = {
        uv: `.venv/bin/pip install --no-cache-dir uv && UV_PROJECT_ENVIRONMENT=${CONTAINER_SERVER_DIR}/.venv .venv/bin/uv sync --frozen --no-dev`,
        'pip-requirements': '.venv/bin/pip install --no-cache-dir -r requirements.txt',
        'pip-project': '.venv/bin/pip install --no-cache-dir .',
      }[project.installer];
      return `${HEADER}
FROM \${GATEWAY_IMAGE}
USER root
# The gateway image is Debian bookworm slim with Node; the stdio server needs Python beside it.
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv && rm -rf /var/lib/apt/lists/*
WORKDIR ${CONTAINER_SERVER_DIR}
COPY . .
RUN python3 -m venv .venv && ${install} && chown -R node:node ${CONTAINER_SERVER_DIR}
WORKDIR /app
USER node
`;
    }
    case 'binary':
      return `${HEADER}
FROM \${GATEWAY_IMAGE}
COPY --chown=node:node --chmod=755 ${project.file} ${CONTAINER_SERVER_DIR}/${project.file}
`;
    case 'python-http':
      // This image runs beside the gateway as a second container of the task; the gateway fronts it on 8080.
      return `# syntax=docker/dockerfile:1
# Written by \`mcp-fargate init\`: your streamable-HTTP MCP app, run beside the gateway as a second container of the
# task. Pin the base by digest for reproducible builds (docker buildx imagetools inspect python:3.12-slim).
FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN ${{ uv: 'pip install --no-cache-dir uv && uv sync --frozen --no-dev', 'pip-requirements': 'pip install --no-cache-dir -r requirements.txt', 'pip-project': 'pip install --no-cache-dir .' }[project.installer]}
USER 1000:1000
EXPOSE ${project.port}
CMD ${JSON.stringify([...(project.installer === 'uv' ? ['uv', 'run', '--no-sync'] : []), 'python', project.entry])}
`;
    case 'image':
      return undefined;
  }
}

export const DOCKERIGNORE = `# Written by \`mcp-fargate init\`: what the image build never needs (and local secrets).
.git
node_modules
.venv
__pycache__
cdk.out
.env
.env.*
`;

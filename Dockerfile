# syntax=docker/dockerfile:1
# The mcp-fargate gateway image. Build from the repository root:
#   docker build --platform linux/arm64 -t mcp-fargate-gateway .
# Which MCP it hosts is configuration (MCP_SERVER and friends, set by the task definition), not a rebuild.
# Documented in packages/cdk/README.md ("The image").

ARG NODE_IMAGE=node:24-slim

# --- build: compile the gateway and pack it exactly as npm would publish it -------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY packages/gateway/package.json packages/gateway/
COPY packages/cdk/package.json packages/cdk/
# The gateway's dependencies and the root's build tools (TypeScript), pinned by the lockfile; not the CDK's.
RUN npm ci --workspace @mcp-fargate/gateway --include-workspace-root --ignore-scripts --no-audit --no-fund
COPY packages/gateway/ packages/gateway/
RUN npx tsc -b packages/gateway \
 && mkdir /pack \
 && npm pack --workspace @mcp-fargate/gateway --pack-destination /pack \
 && mv /pack/*.tgz /pack/gateway.tgz

# --- runtime: the packed gateway and its production dependencies, nothing else ----------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    NPM_CONFIG_CACHE=/tmp/.npm \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY --from=build /pack/gateway.tgz /tmp/gateway.tgz
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund /tmp/gateway.tgz \
 && rm /tmp/gateway.tgz \
 && npm cache clean --force
# The node user (uid 1000) of the official image; the task definition runs it with a read-only root filesystem
# and a writable /tmp (npm's cache for `npx` stdio servers lives there too).
USER node
EXPOSE 8080
# Slim images have no curl: node's fetch checks /healthz (503 while starting or draining fails the check).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is the process that receives SIGTERM (no shell in between) and drains within 25 s.
CMD ["node", "node_modules/@mcp-fargate/gateway/dist/src/main.js"]

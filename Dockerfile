# syntax=docker/dockerfile:1
# The mcp-fargate gateway image. Build from the repository root:
#   docker build --platform linux/arm64 -t mcp-fargate-gateway .
# Which MCP it hosts is configuration (MCP_SERVER and friends, set by the task definition), not a rebuild.
# Documented in packages/cdk/README.md ("The image").

# The base image by digest, so two builds of one commit start from the same bytes; the tag only says what the digest
# is. The digest is the multi-architecture index (linux/amd64 and linux/arm64) of node:24.21.0-bookworm-slim, the
# Node the tests run on (test/production-tree.test.ts holds the two equal). Update it deliberately, in its own commit:
#   docker buildx imagetools inspect node:24-bookworm-slim    # prints the index digest and its Node version
# then put the new version and digest here and bump the `node` devDependency to the same version.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim@sha256:0e0ff40c39bc087845bfb27465a0df4ea419520094bc35842ff83dd8cbe6f9b6

# --- build: compile the gateway and pack it exactly as npm would publish it -------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY packages/gateway/package.json packages/gateway/
COPY packages/cdk/package.json packages/cdk/
# The gateway's dependencies and the root's build tools (TypeScript), pinned by the lockfile; not the CDK's.
RUN npm ci --workspace @mcp-fargate/gateway --include-workspace-root --ignore-scripts --no-audit --no-fund
COPY packages/gateway/ packages/gateway/
# The packed tarball holds exactly the files the gateway publishes; unpacked, they replace the workspace below.
RUN npx tsc -b packages/gateway \
 && mkdir /pack \
 && npm pack --workspace @mcp-fargate/gateway --pack-destination /pack \
 && tar -xzf /pack/*.tgz -C /pack

# --- runtime: the gateway and its production dependencies at the lockfile's versions, nothing else --------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
# The workspace manifests and the lockfile, so `npm ci` installs the gateway's production dependencies at exactly
# the versions the lockfile pins (installing the packed tarball would resolve its semver ranges anew on every build).
COPY package.json package-lock.json ./
COPY packages/gateway/package.json packages/gateway/
COPY packages/cdk/package.json packages/cdk/
RUN npm ci --omit=dev --workspace @mcp-fargate/gateway --ignore-scripts --no-audit --no-fund \
 && rm -rf /root/.npm
COPY --from=build /pack/package/ packages/gateway/
# The task definition mounts a volume at /tmp (the only writable path on the read-only root filesystem). Fargate
# creates it root-owned with mode 0755, which the node user cannot write, unless the image declares a VOLUME at that
# path: then the volume starts as the image's /tmp, world-writable and sticky. Declared last, so no build step
# leaves files in it.
RUN chmod 1777 /tmp
VOLUME ["/tmp"]
# npm's cache for `npx`-started stdio servers, in the writable /tmp; set after the install so the image's /tmp is empty.
ENV NPM_CONFIG_CACHE=/tmp/.npm
# The node user (uid 1000) of the official image; the task definition runs it with a read-only root filesystem.
USER node
EXPOSE 8080
# Slim images have no curl: node's fetch checks /healthz (503 while starting or draining fails the check).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is the process that receives SIGTERM (no shell in between) and drains within 25 s.
CMD ["node", "node_modules/@mcp-fargate/gateway/dist/src/main.js"]

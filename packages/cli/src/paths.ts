import { fileURLToPath } from 'node:url';

/**
 * The mcp-fargate checkout this CLI runs from (packages/cli/dist/src -> four levels up). Its root Dockerfile builds
 * the gateway image, and `dev` runs the gateway's compiled entry from it.
 */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** The gateway's process entry, as the container runs it. */
export const GATEWAY_MAIN = fileURLToPath(new URL('../../../gateway/dist/src/main.js', import.meta.url));

/** Where init's Dockerfiles put the user's project inside the image; `dev` maps it back to the project directory. */
export const CONTAINER_SERVER_DIR = '/app/server';

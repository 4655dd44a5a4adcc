#!/usr/bin/env node
// Writes mcp-fargate.config.schema.json, the deployment config's JSON Schema for editors, from the zod schema that
// validates the file: `npm run config-schema --workspace @mcp-fargate/cdk`. test/config-schema.test.ts fails while the
// committed file differs from what this writes.
import { writeFileSync } from 'node:fs';
import { deploymentConfigJsonSchema } from './deployment-config.js';

const file = new URL('../../mcp-fargate.config.schema.json', import.meta.url);
writeFileSync(file, `${JSON.stringify(deploymentConfigJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file.pathname}`);

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { McpFargateError } from './errors.js';
import { allowedMemoryMiB, validateTaskSize } from './fargate-task-size.js';

const where = { cpu: 'cpu', memory: 'memoryLimitMiB' };

test('Fargate task sizes: the documented pairs are accepted', () => {
  assert.deepEqual(allowedMemoryMiB(256), [512, 1024, 2048]);
  assert.equal(allowedMemoryMiB(512)?.length, 4);
  assert.deepEqual(allowedMemoryMiB(8192)?.slice(0, 2), [16384, 20480]);
  assert.equal(allowedMemoryMiB(16384)?.at(-1), 122880);
  assert.equal(allowedMemoryMiB(3000), undefined);
  for (const cpu of [256, 512, 1024, 2048, 4096, 8192, 16384]) {
    for (const memory of allowedMemoryMiB(cpu) ?? []) validateTaskSize(where, cpu, memory);
  }
});

test('Fargate task sizes: any other pair is refused with a code', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 20000 }), fc.integer({ min: 0, max: 130000 }), (cpu, memory) => {
      const allowed = allowedMemoryMiB(cpu)?.includes(memory) ?? false;
      try {
        validateTaskSize(where, cpu, memory);
        return allowed;
      } catch (error) {
        return !allowed && error instanceof McpFargateError && error.code === 'MCPF_CDK_TASK_SIZE_INVALID';
      }
    }),
  );
});

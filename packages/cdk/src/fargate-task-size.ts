import { McpFargateError } from './errors.js';

/**
 * The CPU / memory pairs Fargate accepts for a Linux task, by CPU units.
 * Source: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
 */
const ALLOWED_MEMORY_MIB: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1024, 2048]],
  [512, range(1024, 4096, 1024)],
  [1024, range(2048, 8192, 1024)],
  [2048, range(4096, 16384, 1024)],
  [4096, range(8192, 30720, 1024)],
  [8192, range(16384, 61440, 4096)],
  [16384, range(32768, 122880, 8192)],
]);

function range(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let value = from; value <= to; value += step) values.push(value);
  return values;
}

/** The CPU units Fargate allows for a Linux task. */
export const FARGATE_CPUS: readonly number[] = [...ALLOWED_MEMORY_MIB.keys()];

/** The smallest and largest memory (MiB) of any Fargate task size. */
export const FARGATE_MEMORY_MIB = { min: 512, max: 122880 } as const;

/** Memory sizes (MiB) Fargate allows with `cpu` units, or undefined when `cpu` itself is not allowed. */
export function allowedMemoryMiB(cpu: number): readonly number[] | undefined {
  return ALLOWED_MEMORY_MIB.get(cpu);
}

/** Throws unless `cpu` / `memoryMiB` is a pair Fargate accepts; `where` names the props in the message. */
export function validateTaskSize(where: { cpu: string; memory: string }, cpu: number, memoryMiB: number): void {
  const memories = ALLOWED_MEMORY_MIB.get(cpu);
  if (memories === undefined) {
    throw new McpFargateError('MCPF_CDK_TASK_SIZE_INVALID', `${where.cpu} must be one of ${[...ALLOWED_MEMORY_MIB.keys()].join(', ')} CPU units, got ${cpu}`);
  }
  if (!memories.includes(memoryMiB)) {
    throw new McpFargateError(
      'MCPF_CDK_TASK_SIZE_INVALID',
      `${where.memory} ${memoryMiB} MiB is not allowed with ${where.cpu} ${cpu}; Fargate accepts ` + `${describe(memories)} MiB with ${cpu} CPU units`,
    );
  }
}

function describe(memories: readonly number[]): string {
  const first = memories[0];
  const last = memories[memories.length - 1];
  const second = memories[1];
  if (memories.length <= 3 || first === undefined || last === undefined || second === undefined) {
    return memories.join(', ');
  }
  return `${first} to ${last} in steps of ${second - first}`;
}

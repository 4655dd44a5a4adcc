import { createInterface } from 'node:readline/promises';
import { type AwsClients, createAwsClients } from './aws/clients.js';
import { type CommandRunner, commandRunner } from './deploy/docker.js';
import { type StackDeployer, toolkitDeployer } from './deploy/stack-deployer.js';

/** Where output goes; a stream or a test's collector. */
export interface Output {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/**
 * Everything a command touches outside the process: output, environment, AWS, docker, the CDK toolkit, the clock and
 * the terminal. The real values come from `defaultContext`; tests replace only the cloud boundary (AWS clients mocked
 * with aws-sdk-client-mock, the deployer) and put a recording docker on PATH.
 */
export interface CliContext {
  readonly out: Output;
  readonly err: Output;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly aws: (region: string) => AwsClients;
  readonly deployer: () => Promise<StackDeployer>;
  readonly run: CommandRunner;
  readonly now: () => Date;
  /** Asks a question on the terminal; undefined when there is no terminal to ask on. */
  readonly ask: ((question: string, answer: string) => Promise<string>) | undefined;
  /** Calls `listener` once on Ctrl-C (SIGINT), until the returned function takes it back. */
  readonly onInterrupt: (listener: () => void) => () => void;
}

export function defaultContext(): CliContext {
  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;
  return {
    out: process.stdout,
    err: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    aws: createAwsClients,
    deployer: toolkitDeployer,
    run: commandRunner(process.env),
    now: () => new Date(),
    onInterrupt: (listener) => {
      process.once('SIGINT', listener);
      return () => process.off('SIGINT', listener);
    },
    ask: interactive
      ? async (question, answer) => {
          const rl = createInterface({ input: process.stdin, output: process.stdout });
          try {
            const reply = (await rl.question(`${question} (${answer}) `)).trim();
            return reply === '' ? answer : reply;
          } finally {
            rl.close();
          }
        }
      : undefined,
  };
}

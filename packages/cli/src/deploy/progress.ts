import ora from 'ora';
import type { Output } from '../cli-context.js';

/** Step-by-step progress with elapsed time: a spinner on a terminal, one line per step elsewhere (CI, tests). */
export interface Progress {
  step<T>(title: string, work: () => Promise<T>): Promise<T>;
  note(text: string): void;
}

export function stepProgress(out: Output, now: () => Date): Progress {
  return {
    async step(title, work) {
      const started = now().getTime();
      const spinner = ora({ text: title, stream: out as NodeJS.WriteStream, isEnabled: out.isTTY === true }).start();
      const elapsed = () => `(${((now().getTime() - started) / 1000).toFixed(1)} s)`;
      try {
        const result = await work();
        spinner.succeed(`${title} ${elapsed()}`);
        return result;
      } catch (error) {
        spinner.fail(`${title} failed ${elapsed()}`);
        throw error;
      }
    },
    note(text) {
      out.write(`  ${text}\n`);
    },
  };
}

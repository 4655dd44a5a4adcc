import ora from 'ora';
import type { Output } from '../cli-context.js';

/** Step-by-step progress with elapsed time: a spinner on a terminal, one plain line per step elsewhere (CI, logs). */
export interface Progress {
  step<T>(title: string, work: () => Promise<T>): Promise<T>;
  note(text: string): void;
}

export function stepProgress(out: Output, now: () => Date): Progress {
  return {
    async step(title, work) {
      const started = now().getTime();
      const elapsed = () => `(${((now().getTime() - started) / 1000).toFixed(1)} s)`;
      const spinner = out.isTTY === true ? ora({ text: title, stream: out as NodeJS.WriteStream }).start() : undefined;
      try {
        const result = await work();
        if (spinner === undefined) out.write(`✔ ${title} ${elapsed()}\n`);
        else spinner.succeed(`${title} ${elapsed()}`);
        return result;
      } catch (error) {
        if (spinner === undefined) out.write(`✘ ${title} failed ${elapsed()}\n`);
        else spinner.fail(`${title} failed ${elapsed()}`);
        throw error;
      }
    },
    note(text) {
      out.write(`  ${text}\n`);
    },
  };
}

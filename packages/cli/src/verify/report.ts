/** One line of the verify checklist. */
export interface CheckResult {
  readonly id: string;
  readonly title: string;
  /** `warn`: worth reading, not a failure; `skip`: not run (not asked for, or an earlier check made it pointless). */
  readonly status: 'pass' | 'fail' | 'warn' | 'skip';
  /** A failed required check makes verify exit non-zero. */
  readonly required: boolean;
  readonly detail: string;
  /** What to change when the check failed or warned. */
  readonly fix?: string;
}

export interface VerifyReport {
  readonly url: string;
  /** True when no required check failed. */
  readonly ok: boolean;
  readonly checks: readonly CheckResult[];
  /** Every distinct `mcp-fargate-task` that answered, in order of first answer. */
  readonly tasks: readonly string[];
}

const MARK = { pass: '✔', fail: '✘', warn: '!', skip: '-' } as const;

/** The checklist a person reads at a glance: a mark, the check, what was seen, and the fix under a failure. */
export function renderReport(report: VerifyReport): string {
  const width = Math.max(...report.checks.map((c) => c.title.length));
  const lines = [`mcp-fargate verify ${report.url}`];
  for (const check of report.checks) {
    lines.push(`  ${MARK[check.status]} ${check.title.padEnd(width)}  ${check.detail}`);
    if (check.fix !== undefined && (check.status === 'fail' || check.status === 'warn')) lines.push(`    ${' '.repeat(width)}  fix: ${check.fix}`);
  }
  const count = (status: CheckResult['status']) => report.checks.filter((c) => c.status === status).length;
  const failedRequired = report.checks.filter((c) => c.status === 'fail' && c.required).length;
  lines.push(
    `${report.ok ? 'verify passed' : 'verify FAILED'}: ${count('pass')} ok, ${count('fail')} failing (${failedRequired} required), ${count('warn')} warnings, ${count('skip')} not run; ` +
      `${report.tasks.length} serving task${report.tasks.length === 1 ? '' : 's'} seen`,
  );
  return `${lines.join('\n')}\n`;
}

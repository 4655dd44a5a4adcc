import { InvalidArgumentError } from 'commander';

/** `--header "Name: value"` (or `Name:value`), repeatable: collected into one record. */
export function parseHeader(value: string, previous: Record<string, string>): Record<string, string> {
  const colon = value.indexOf(':');
  const name = colon > 0 ? value.slice(0, colon).trim() : '';
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new InvalidArgumentError(`expected "Name: value", got "${value}"`);
  }
  return { ...previous, [name.toLowerCase()]: value.slice(colon + 1).trim() };
}

export function positiveNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError(`expected a number above 0, got "${value}"`);
  return number;
}

/** `--since 10m` / `2h` / `1d` / `30s`, as milliseconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(value.trim());
  if (match === null) throw new InvalidArgumentError(`expected a duration such as 30s, 10m, 2h or 1d, got "${value}"`);
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

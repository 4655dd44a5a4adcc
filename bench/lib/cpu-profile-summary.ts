// Summarise a V8 .cpuprofile (node --cpu-prof): self time by function and by package.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleShare: number;
  functions: SelfTime[];
  packages: SelfTime[];
}

/** Where a script URL comes from: an npm package, node internals, or the program itself. */
function origin(url: string): string {
  if (url === '') return '(native/vm)';
  if (url.startsWith('node:')) {
    // node:internal/deps/undici/undici -> node:internal/deps/undici; node:internal/streams/writable -> node:internal/streams
    const parts = url.slice(5).split('/');
    return `node:${parts.slice(0, parts[1] === 'deps' ? 3 : 2).join('/')}`;
  }
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match?.[1] !== undefined) return match[1];
  return url
    .replace(/^file:\/\//, '')
    .split('/')
    .slice(-2)
    .join('/');
}

function shortUrl(url: string): string {
  const match = /node_modules\/(.*)$/.exec(url);
  return (
    (match?.[1] ??
      url
        .replace(/^file:\/\//, '')
        .split('/')
        .slice(-2)
        .join('/')) ||
    '(native)'
  );
}

export function summariseProfile(path: string, top = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfByFunction = new Map<string, number>();
  const selfByPackage = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, index) => {
    const delta = (profile.timeDeltas[index] ?? 0) / 1000;
    const node = byId.get(id);
    if (node === undefined) return;
    total += delta;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') idle += delta;
    const fn = `${functionName || '(anonymous)'} ${shortUrl(url)}${url === '' ? '' : `:${lineNumber + 1}`}`;
    selfByFunction.set(fn, (selfByFunction.get(fn) ?? 0) + delta);
    const pkg = functionName.startsWith('(') && url === '' ? functionName : origin(url);
    selfByPackage.set(pkg, (selfByPackage.get(pkg) ?? 0) + delta);
  });
  const rank = (map: Map<string, number>): SelfTime[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms, share: total === 0 ? 0 : ms / total }));
  return { totalMs: total, idleShare: total === 0 ? 0 : idle / total, functions: rank(selfByFunction), packages: rank(selfByPackage) };
}

import { existsSync, openSync, readdirSync, readFileSync, readSync, closeSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

/** What `init` found in a directory, and how the gateway will host it. */
export type DetectedProject =
  | { readonly kind: 'node-module'; readonly sdk: 'v1' | 'v2'; readonly entry: string; readonly name: string }
  | { readonly kind: 'node-command'; readonly script: string; readonly name: string }
  | { readonly kind: 'python-command'; readonly installer: PythonInstaller; readonly command: string; readonly name: string }
  | {
      readonly kind: 'python-http';
      readonly installer: PythonInstaller;
      readonly entry: string;
      readonly port: number;
      readonly path: string;
      readonly name: string;
    }
  | { readonly kind: 'binary'; readonly file: string; readonly name: string }
  | {
      readonly kind: 'image';
      readonly image: string;
      readonly port: number;
      readonly path: string;
      readonly name: string;
      /** The sidecar's container health check, in the task definition's form: only the image's author knows what it has. */
      readonly healthCheck: readonly string[];
    };

/** uv (uv.lock), pip with requirements.txt, or pip installing the project from pyproject.toml. */
export type PythonInstaller = 'uv' | 'pip-requirements' | 'pip-project';

/** Source files read to classify a Python project: enough for any real project's entry, bounded for a huge tree. */
const MAX_PYTHON_FILES = 200;

interface PackageJson {
  name?: string;
  main?: string;
  bin?: string | Record<string, string>;
  exports?: unknown;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/**
 * Tells what kind of MCP server a directory holds, from its files alone (nothing is run): a Node package on the
 * official SDK (v2 `@modelcontextprotocol/server` or v1 `@modelcontextprotocol/sdk`) whose entry default-exports a
 * server factory (hosted in process) or that is a stdio program; a Python project (uv or pip) that is a stdio server
 * or serves streamable HTTP itself (FastMCP's `streamable-http`/`http` transport: run beside the gateway as a
 * sidecar); or a prebuilt executable. Undefined when it is none of these.
 */
export function detectProject(dir: string): DetectedProject | undefined {
  const fallbackName = basename(dir);
  if (existsSync(join(dir, 'package.json'))) return detectNode(dir, fallbackName);
  if (existsSync(join(dir, 'pyproject.toml')) || existsSync(join(dir, 'requirements.txt'))) return detectPython(dir, fallbackName);
  const binary = findExecutable(dir);
  return binary === undefined ? undefined : { kind: 'binary', file: binary, name: fallbackName };
}

function detectNode(dir: string, fallbackName: string): DetectedProject | undefined {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
  const name = (pkg.name ?? fallbackName).replace(/^@[^/]+\//, '');
  const deps = { ...pkg.dependencies, ...pkg.devDependencies };
  const sdk = '@modelcontextprotocol/server' in deps ? 'v2' : '@modelcontextprotocol/sdk' in deps ? 'v1' : undefined;
  const entry = nodeEntry(dir, pkg);
  if (sdk !== undefined && entry !== undefined && exportsDefault(dir, entry)) return { kind: 'node-module', sdk, entry, name };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin === undefined ? undefined : Object.values(pkg.bin)[0];
  const script = bin ?? entry;
  if (script === undefined) return undefined;
  return { kind: 'node-command', script: script.replace(/^\.\//, ''), name };
}

/** The package's entry file (relative): `exports["."]`, `main`, or a conventional file that exists. */
function nodeEntry(dir: string, pkg: PackageJson): string | undefined {
  const exported = pkg.exports;
  const dot = typeof exported === 'string' ? exported : (exported as Record<string, unknown> | undefined)?.['.'];
  const fromExports =
    typeof dot === 'string' ? dot : ((dot as Record<string, unknown> | undefined)?.import ?? (dot as Record<string, unknown> | undefined)?.default);
  const declared = typeof fromExports === 'string' ? fromExports : pkg.main;
  if (declared !== undefined) return declared.replace(/^\.\//, '');
  return ['index.js', 'index.mjs', 'index.ts', 'src/index.ts', 'src/index.js'].find((file) => existsSync(join(dir, file)));
}

/** Whether the entry (or, before a build, its TypeScript source) has a default export: a server factory. */
function exportsDefault(dir: string, entry: string): boolean {
  const candidates = [entry, entry.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts'), entry.replace(/\.js$/, '.ts')];
  return candidates.some((file) => {
    const path = join(dir, file);
    return existsSync(path) && /export\s+default\b|export\s*\{[^}]*\bas\s+default\b/.test(readFileSync(path, 'utf8'));
  });
}

function detectPython(dir: string, fallbackName: string): DetectedProject {
  const installer: PythonInstaller = existsSync(join(dir, 'uv.lock')) ? 'uv' : existsSync(join(dir, 'requirements.txt')) ? 'pip-requirements' : 'pip-project';
  const pyproject = existsSync(join(dir, 'pyproject.toml')) ? readFileSync(join(dir, 'pyproject.toml'), 'utf8') : '';
  const name = /^\s*name\s*=\s*"([^"]+)"/m.exec(pyproject)?.[1] ?? fallbackName;
  const sources = pythonSources(dir).map((file) => ({ file, text: readFileSync(join(dir, file), 'utf8') }));
  const http = sources.find(({ text }) => /transport\s*=\s*["'](streamable-http|http)["']|streamable_http_app\s*\(|\.http_app\s*\(/.test(text));
  if (http !== undefined) {
    const port = Number(/\bport\s*=\s*(\d{2,5})/.exec(http.text)?.[1] ?? 8000);
    const path = /\bpath\s*=\s*["'](\/[^"']*)["']/.exec(http.text)?.[1] ?? '/mcp';
    return { kind: 'python-http', installer, entry: http.file, port, path, name };
  }
  const script = /\[project\.scripts\]\s*\n\s*([A-Za-z0-9_.-]+)\s*=/.exec(pyproject)?.[1];
  const main = ['server.py', 'main.py', 'app.py'].find((file) => existsSync(join(dir, file)));
  const command =
    script !== undefined
      ? `/app/server/.venv/bin/${script}`
      : main !== undefined
        ? `/app/server/.venv/bin/python /app/server/${main}`
        : `/app/server/.venv/bin/python -m ${name.replaceAll('-', '_')}`;
  return { kind: 'python-command', installer, command, name };
}

/** The project's Python files, top level and src/ first, skipping virtual environments. */
function pythonSources(dir: string): string[] {
  const found: string[] = [];
  const queue = [''];
  while (queue.length > 0 && found.length < MAX_PYTHON_FILES) {
    const rel = queue.shift() ?? '';
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      if (found.length >= MAX_PYTHON_FILES) break;
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory() && !entry.name.startsWith('.') && !['node_modules', '__pycache__', 'venv', 'dist', 'build'].includes(entry.name))
        queue.push(path);
      else if (entry.isFile() && entry.name.endsWith('.py')) found.push(path);
    }
  }
  return found;
}

/** A prebuilt executable (ELF) at the top level or in bin/. */
function findExecutable(dir: string): string | undefined {
  for (const rel of ['', 'bin']) {
    if (!existsSync(join(dir, rel))) continue;
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isFile() && (statSync(join(dir, path)).mode & 0o111) !== 0 && isElf(join(dir, path))) return path;
    }
  }
  return undefined;
}

function isElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    closeSync(fd);
  }
}

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { configSchema, type Config } from './schema.ts';

/** Where the daemon looks for its config when `--config` is not given, first match wins. */
export const defaultConfigPaths = [
  './roster.yaml',
  './config/roster.yaml',
  '/etc/roster/roster.yaml',
] as const;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly source: string;
  readonly problems: readonly string[];
  constructor(message: string, source: string, problems: readonly string[]) {
    super(message);
    this.source = source;
    this.problems = problems;
  }
}

export interface LoadedConfig {
  readonly config: Config;
  /** The file read, or null when none was found and only defaults and env apply. */
  readonly file: string | null;
}

export interface LoadOptions {
  /** An explicit path (`--config`); it must exist. */
  readonly path?: string | undefined;
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
}

type Path = (string | number)[];

export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const { tree, fromEnv, file } = readTree(options);
  return { config: parseWithCoercion(configSchema, tree, fromEnv, file), file };
}

/**
 * One top-level section of the config, read from the same file and ROSTER_* overrides as
 * `loadConfig`, checking that section alone: a tool that only opens the database (rosterctl's
 * `token create --root`) must not insist on a Discord token it never uses.
 */
export function loadConfigSection<K extends keyof Config>(
  section: K,
  options: LoadOptions = {},
): { readonly value: Config[K]; readonly file: string | null } {
  const { tree, fromEnv, file } = readTree(options);
  const schema = z.strictObject({ [section]: configSchema.shape[section] });
  const parsed = parseWithCoercion(schema, { [section]: tree[section] }, fromEnv, file);
  return { value: parsed[section] as Config[K], file };
}

function readTree(options: LoadOptions) {
  const env = options.env ?? {};
  const cwd = options.cwd ?? '.';
  const file = findConfigFile(options.path ?? env.ROSTER_CONFIG, cwd);
  const raw: unknown = file ? readYaml(file) : {};
  if (raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new ConfigError(`${file}: the config must be a YAML mapping`, file ?? 'defaults', []);
  }
  const tree = (raw ?? {}) as Record<string, unknown>;
  const fromEnv = applyEnvOverrides(tree, env);
  return { tree, fromEnv, file };
}

function findConfigFile(explicit: string | undefined, cwd: string): string | null {
  if (explicit) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new ConfigError(`config file not found: ${path}`, path, []);
    return path;
  }
  for (const candidate of defaultConfigPaths) {
    const path = resolve(cwd, candidate);
    if (existsSync(path)) return path;
  }
  return null;
}

function readYaml(file: string): unknown {
  try {
    return parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file}: not valid YAML: ${(error as Error).message}`, file, []);
  }
}

/**
 * `ROSTER_CONTROL_PLANE__PORT=9000` sets `controlPlane.port`; `__` separates levels, `_` inside
 * a level is ignored when matching (case-insensitive), digits index arrays:
 * `ROSTER_TEAMSPEAK__TARGETS__0__PASSWORD`. Returns the env variable behind each path it set.
 */
function applyEnvOverrides(tree: Record<string, unknown>, env: Record<string, string | undefined>) {
  const set = new Map<string, string>();
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith('ROSTER_') || key === 'ROSTER_CONFIG' || value === undefined) continue;
    if (['ROSTER_URL', 'ROSTER_TOKEN'].includes(key)) continue; // the CLI's, not the daemon's
    const segments = key.slice('ROSTER_'.length).split('__');
    const path = resolveEnvPath(segments);
    setAt(tree, path, value);
    set.set(pathKey(path), key);
  }
  return set;
}

function resolveEnvPath(segments: string[]): Path {
  const path: Path = [];
  let shape: unknown = configSchema;
  for (const segment of segments) {
    if (/^\d+$/.test(segment)) {
      path.push(Number(segment));
      shape = elementShape(shape);
      continue;
    }
    const keys = objectKeys(shape);
    const wanted = segment.replaceAll('_', '').toLowerCase();
    const match = keys.find((k) => k.toLowerCase() === wanted);
    path.push(match ?? segment.toLowerCase());
    shape = match ? childShape(shape, match) : undefined;
  }
  return path;
}

function unwrap(schema: unknown): unknown {
  let s = schema as { def?: { innerType?: unknown; type?: string } } | undefined;
  while (s?.def?.innerType) s = s.def.innerType as typeof s;
  return s;
}
function objectKeys(schema: unknown): string[] {
  const s = unwrap(schema) as { shape?: Record<string, unknown> } | undefined;
  return s?.shape ? Object.keys(s.shape) : [];
}
function childShape(schema: unknown, key: string): unknown {
  return (unwrap(schema) as { shape?: Record<string, unknown> } | undefined)?.shape?.[key];
}
function elementShape(schema: unknown): unknown {
  return (unwrap(schema) as { def?: { element?: unknown } } | undefined)?.def?.element;
}

function setAt(tree: Record<string, unknown>, path: Path, value: unknown): void {
  let node: Record<string | number, unknown> = tree;
  path.forEach((segment, i) => {
    if (i === path.length - 1) {
      node[segment] = value;
      return;
    }
    const next = node[segment];
    if (next === null || typeof next !== 'object') node[segment] = typeof path[i + 1] === 'number' ? [] : {};
    node = node[segment] as Record<string | number, unknown>;
  });
}

const pathKey = (path: readonly PropertyKey[]) => path.map(String).join('.');

/** Env values arrive as strings; they are coerced only where the schema asks for a number or boolean. */
function parseWithCoercion<S extends z.ZodType>(
  schema: S,
  tree: Record<string, unknown>,
  fromEnv: Map<string, string>,
  file: string | null,
): z.output<S> {
  let result = schema.safeParse(tree);
  if (!result.success) {
    let coerced = false;
    for (const issue of result.error.issues) {
      if (issue.code !== 'invalid_type' || !fromEnv.has(pathKey(issue.path))) continue;
      const value = getAt(tree, issue.path as Path);
      if (typeof value !== 'string') continue;
      if (issue.expected === 'number' && value.trim() !== '' && Number.isFinite(Number(value))) {
        setAt(tree, issue.path as Path, Number(value));
        coerced = true;
      } else if (issue.expected === 'boolean' && /^(true|false)$/i.test(value)) {
        setAt(tree, issue.path as Path, value.toLowerCase() === 'true');
        coerced = true;
      }
    }
    if (coerced) result = schema.safeParse(tree);
  }
  if (result.success) return result.data;
  const source = file ?? 'defaults and environment';
  const problems = result.error.issues.map((issue) => describeIssue(issue, fromEnv));
  throw new ConfigError(`invalid configuration (${source}):\n  ${problems.join('\n  ')}`, source, problems);
}

function getAt(tree: unknown, path: Path): unknown {
  return path.reduce<unknown>(
    (node, key) => (node as Record<string | number, unknown> | undefined)?.[key],
    tree,
  );
}

function describeIssue(issue: z.core.$ZodIssue, fromEnv: Map<string, string>): string {
  const key = issue.path.length ? formatPath(issue.path) : '(top level)';
  const envName = fromEnv.get(pathKey(issue.path));
  const origin = envName ? ` (from ${envName})` : '';
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length ? `${key}: ` : '';
    return `${where}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return `${key}${origin}: ${issue.message}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

/**
 * The layering of src/, read from the import statements: prints how many imports go from each
 * folder of src/ to each other (`src/<a> -> src/<b>`), then checks the rules of
 * docs/ARCHITECTURE.md and exits 1 naming every file that breaks one:
 *   - no cycle between folders;
 *   - a folder imports only the folders its layer may (see `allowed`);
 *   - routers, jobs and pages never import store entities.
 * Type-only imports count too: a type couples the layers as much as a value does.
 *
 *   npm run imports            the matrix and the check
 *   node scripts/import-matrix.ts --check    the check alone (part of npm run lint)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const src = resolve(import.meta.dirname, '../src');

export interface Edge {
  readonly from: string;
  readonly to: string;
  /** `import type` / `export type`: no code is loaded, only a shape is named. */
  readonly typeOnly: boolean;
}

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (entry.name.endsWith('.ts')) yield path;
  }
}

const importPattern =
  /(?:^|\n)\s*(?:import|export)\b(\s+type\b)?[^'"]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every import between two files of src/, as paths relative to src/. */
export function importEdges(root = src): Edge[] {
  const edges: Edge[] = [];
  for (const file of files(root)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(importPattern)) {
      const spec = match[2] ?? match[3]!;
      if (!spec.startsWith('.')) continue;
      const target = relative(root, resolve(dirname(file), spec));
      if (target.startsWith('..')) continue;
      edges.push({ from: relative(root, file), to: target, typeOnly: match[1] !== undefined });
    }
  }
  return edges;
}

/** `api/routers/group.ts` -> `api`; top-level files are their own unit (`app.ts` -> `app`). */
export const folderOf = (path: string): string => {
  const [first, second] = path.split('/');
  return second === undefined ? first!.replace(/\.ts$/, '') : first!;
};

/**
 * What each folder may import, besides itself: a layer sees only the layers below it. From the
 * bottom: pure leaves; config; the store and the ESI adapter; the sync engine with its platform
 * adapters; the application layer (services, with directory for the EVE use cases on top of it);
 * then what drives it (jobs, the control plane, the portal, metrics); the CLI; and the
 * composition roots (app, main), which wire everything and are imported by nothing but each other.
 */
export const allowed: Readonly<Record<string, readonly string[]>> = {
  domain: [],
  logger: [],
  version: [],
  crypto: [],
  backoff: [],
  config: ['domain', 'crypto'],
  store: ['domain', 'logger', 'config', 'crypto'],
  esi: ['domain', 'logger', 'config', 'crypto', 'version', 'backoff'],
  sync: ['domain', 'logger', 'config', 'crypto', 'store', 'backoff'],
  import: ['domain'],
  services: ['domain', 'logger', 'config', 'crypto', 'store', 'esi', 'sync', 'import'],
  directory: ['domain', 'logger', 'config', 'crypto', 'store', 'esi', 'sync', 'services', 'version'],
  metrics: ['domain', 'sync', 'esi', 'services'],
  jobs: ['domain', 'logger', 'config', 'sync', 'services'],
  api: ['domain', 'logger', 'config', 'crypto', 'esi', 'sync', 'services', 'directory', 'metrics', 'version'],
  web: ['domain', 'logger', 'config', 'crypto', 'sync', 'services', 'directory', 'api', 'version'],
  cli: ['domain', 'logger', 'config', 'crypto', 'store', 'sync', 'import', 'services', 'api'],
  app: ['*'],
  main: ['*'],
};

/**
 * Single files a folder may import outside its layers: the database handle, which the control
 * plane and the portal hold only to pass it to the use cases (and to ping it for /readyz).
 */
export const allowedFiles: Readonly<Record<string, readonly string[]>> = {
  api: ['store/orm.ts'],
  web: ['store/orm.ts'],
};

/**
 * The control plane's and the portal's own plumbing (not routers, not pages) may name the entity
 * types the use cases return (a session's user), as types only: no query can come of it.
 */
const entityTypesAllowed = (edge: Edge) =>
  edge.typeOnly &&
  edge.to === 'store/entities/index.ts' &&
  (folderOf(edge.from) === 'api' || folderOf(edge.from) === 'web') &&
  !mayNotSeeEntities(edge.from);

/** Folders that reach themselves through others: each cycle once, as a list of folders. */
export function folderCycles(edges: readonly Edge[]): string[][] {
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    const a = folderOf(from);
    const b = folderOf(to);
    if (a === b) continue;
    if (!graph.has(a)) graph.set(a, new Set());
    graph.get(a)!.add(b);
  }
  // Tarjan's strongly connected components: a component of more than one folder is a cycle.
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string) => {
    indices.set(node, index);
    low.set(node, index++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, indices.get(next)!));
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return components;
}

const isEntity = (path: string) => path.startsWith('store/entities/');
const mayNotSeeEntities = (path: string) =>
  path.startsWith('api/routers/') || path.startsWith('jobs/') || path.startsWith('web/pages/');

/** Every import that breaks a rule, as a sentence naming the file. */
export function violations(edges: readonly Edge[]): string[] {
  const found: string[] = [];
  for (const edge of edges) {
    const { from, to } = edge;
    const a = folderOf(from);
    const b = folderOf(to);
    if (a !== b && !entityTypesAllowed(edge)) {
      const may = allowed[a];
      if (!may) found.push(`${from} -> ${to}: src/${a} has no layer in scripts/import-matrix.ts`);
      else if (!may.includes('*') && !may.includes(b) && !allowedFiles[a]?.includes(to))
        found.push(`${from} -> ${to}: src/${a} may not import src/${b}`);
    }
    if (mayNotSeeEntities(from) && isEntity(to))
      found.push(`${from} -> ${to}: routers, jobs and pages go through services, not store entities`);
  }
  for (const cycle of folderCycles(edges)) found.push(`folder cycle: ${cycle.join(' <-> ')}`);
  return found;
}

export function matrix(edges: readonly Edge[]): string[] {
  const counts = new Map<string, number>();
  for (const { from, to } of edges) {
    const a = folderOf(from);
    const b = folderOf(to);
    if (a === b) continue;
    const key = `src/${a} -> src/${b}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([key, n]) => `${key.padEnd(36)} ${n}`);
}

if (import.meta.main) {
  const edges = importEdges();
  // `--check` (npm run lint): only the verdict.
  if (!process.argv.includes('--check')) console.log(`${matrix(edges).join('\n')}\n`);
  const broken = violations(edges);
  if (broken.length) {
    console.error(`\n${broken.length} import(s) break the layering (docs/ARCHITECTURE.md):`);
    for (const line of broken) console.error(`  ${line}`);
    process.exit(1);
  }
  console.log('layering holds: no folder cycle, no upward import, no entity in routers, jobs or pages');
}

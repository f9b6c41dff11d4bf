import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { folderCycles, importEdges, violations, type Edge } from '../../scripts/import-matrix.ts';

const edge = (from: string, to: string, typeOnly = false): Edge => ({ from, to, typeOnly });

describe('the layering of src/ (scripts/import-matrix.ts, run by npm run lint)', () => {
  it('holds for the code as it is', () => {
    const edges = importEdges();
    expect(edges.length).toBeGreaterThan(300);
    expect(violations(edges)).toEqual([]);
  });

  it('names a new upward import, a router reading an entity, and a folder cycle', () => {
    expect(violations([edge('store/directory.ts', 'services/groups.ts')])).toEqual([
      'store/directory.ts -> services/groups.ts: src/store may not import src/services',
    ]);
    expect(violations([edge('api/routers/group.ts', 'store/entities/index.ts', true)])).toEqual([
      'api/routers/group.ts -> store/entities/index.ts: src/api may not import src/store',
      'api/routers/group.ts -> store/entities/index.ts: routers, jobs and pages go through services, not store entities',
    ]);
    expect(
      folderCycles([edge('jobs/index.ts', 'api/deps.ts'), edge('api/http.ts', 'jobs/index.ts')]),
    ).toEqual([['api', 'jobs']]);
    expect(violations([edge('sync/engine.ts', 'jobs/index.ts')])).toContain(
      'sync/engine.ts -> jobs/index.ts: src/sync may not import src/jobs',
    );
  });

  it('lets the control plane name an entity type, but not load one, and names a folder with no layer', () => {
    expect(violations([edge('api/context.ts', 'store/entities/index.ts', true)])).toEqual([]);
    expect(violations([edge('api/context.ts', 'store/entities/index.ts')])).toHaveLength(1);
    expect(violations([edge('newthing/x.ts', 'domain/index.ts')])).toEqual([
      'newthing/x.ts -> domain/index.ts: src/newthing has no layer in scripts/import-matrix.ts',
    ]);
  });
});

describe('the layout of test/', () => {
  // Tests mirror src/ (test/sync/discord tests src/sync/discord); these folders hold what has no
  // one module to mirror: the protocol fakes, shared helpers, whole-daemon runs and operations.
  const notMirrors = new Set(['fakes', 'support', 'e2e', 'ops']);

  it('has a folder only where src/ has the same one', () => {
    const folders = (root: string): string[] =>
      readdirSync(root, { withFileTypes: true, recursive: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => relative(root, join(entry.parentPath, entry.name)));
    const source = new Set(folders('src'));
    const strays = folders('test').filter(
      (folder) => !notMirrors.has(folder.split(sep)[0]!) && !source.has(folder),
    );
    expect(strays).toEqual([]);
    expect(folders('test')).toContain(join('sync', 'discord'));
  });
});

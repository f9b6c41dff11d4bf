/**
 * The node flags `npm start` gives the daemon (package.json: `exec node <flags> src/main.ts`), so
 * that a benchmark measures memory as the daemon runs: a collection after each run and a small
 * young generation (README, "Memory").
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

export function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(/\s+/);
  return words.slice(words.indexOf('node') + 1, words.indexOf('src/main.ts'));
}

/**
 * Runs `script` again in a child node with the daemon's flags, unless this process has them, and
 * exits with the child's status; returns when this process is that child. Heap flags cannot be
 * changed once node runs, hence the second process.
 */
export function withStartFlags(script: string): void {
  const flags = startFlags();
  if (flags.every((f) => process.execArgv.includes(f))) return;
  const child = spawnSync(process.execPath, [...flags, script, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(child.status ?? 1);
}

import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { join, sep } from 'node:path';

export interface Holders {
  /** Processes with a file under the directory open. */
  readonly pids: readonly number[];
  /** False where there is no /proc to look in (not Linux): nothing could be checked. */
  readonly checked: boolean;
}

/**
 * Which processes hold files under `dir` open. PGlite takes no lock of its own, and a second
 * process opening the same data directory would corrupt it, so this is how the CLI tells that
 * the daemon has the embedded database open. Processes whose descriptors cannot be read
 * (other users') are skipped.
 */
export function processesHolding(dir: string, procRoot = '/proc'): Holders {
  if (!existsSync(join(procRoot, 'self', 'fd'))) return { pids: [], checked: false };
  const prefix = dir.endsWith(sep) ? dir : dir + sep;
  const pids: number[] = [];
  for (const entry of readdirSync(procRoot)) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(join(procRoot, entry, 'fd'));
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(join(procRoot, entry, 'fd', fd));
      } catch {
        continue;
      }
      if (target === dir || target.startsWith(prefix)) {
        pids.push(Number(entry));
        break;
      }
    }
  }
  return { pids, checked: true };
}

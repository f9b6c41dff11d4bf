import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/io.ts';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: Record<string, string | undefined>;
  /** Pretend stdout/stderr are terminals (spinner, colours). */
  readonly tty?: boolean;
  readonly cwd?: string;
  readonly now?: () => Date;
  /** What stdin holds. */
  readonly stdin?: string;
  /** Answers the CLI's questions. */
  readonly ask?: (question: string) => Promise<string>;
}

/** A HOME of its own, so no developer's ~/.config/roster/cli.json leaks into a test. */
export const emptyHome = (): string => mkdtempSync(join(tmpdir(), 'rosterctl-home-'));

/** Runs rosterctl's `main` in-process with the given arguments and captured output. */
export async function rosterctl(argv: readonly string[], options: RunOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    argv,
    env: { HOME: emptyHome(), ...options.env },
    stdout: { write: (text: string) => (stdout += text), isTTY: options.tty ?? false },
    stderr: { write: (text: string) => (stderr += text), isTTY: options.tty ?? false },
    cwd: options.cwd ?? process.cwd(),
    ...(options.now ? { now: options.now } : {}),
    ...(options.stdin !== undefined ? { readStdin: async () => options.stdin! } : {}),
    ...(options.ask ? { ask: options.ask } : {}),
  };
  const code = await main(io);
  return { code, stdout, stderr };
}

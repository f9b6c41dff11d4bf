import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { splitFlag } from './args.ts';
import type { Clients, TypedClient } from './client.ts';
import { CliError, EXIT, printLines, println, UsageError, type CliIo, type ExitCode } from './io.ts';
import { progressBar } from './progress.ts';

const TOPIC = 'user import';
/** Entries per call: the daemon takes at most 1,000 (`user.import`). */
export const IMPORT_PART = 1_000;

type Report = Awaited<ReturnType<TypedClient['user']['import']['mutate']>>;

/** One character id or exact name a line; blank lines and `#` comments are skipped. */
export function importEntries(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
}

/**
 * `rosterctl user import --file F` (or the list on stdin): sends the list in parts of 1,000 (each
 * a few ESI bulk calls on the daemon), with a progress bar on a terminal, and prints what was
 * created, already there, unknown to EVE, or refused.
 */
export async function userImportCommand(
  io: CliIo,
  clients: Clients,
  tokens: readonly string[],
  json: boolean,
): Promise<ExitCode> {
  let file: string | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const [name, inline] = splitFlag(tokens[i]!);
    if (name !== 'file') throw new UsageError(`user import takes --file PATH (or the list on stdin)`, TOPIC);
    file = inline ?? tokens[++i] ?? null;
    if (file === null) throw new UsageError('--file needs a path', TOPIC);
  }
  let text: string;
  if (file !== null && file !== '-') {
    try {
      text = readFileSync(resolve(io.cwd, file), 'utf8');
    } catch (error) {
      throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.usage);
    }
  } else if (io.readStdin) text = await io.readStdin();
  else throw new UsageError('give --file PATH, or the list on stdin', TOPIC);
  const entries = importEntries(text);
  if (!entries.length) throw new UsageError('the list is empty (one character id or name a line)', TOPIC);

  const bar = progressBar(io.stderr, entries.length, 'characters');
  const total: Report = { created: [], unchanged: [], unknown: [], refused: [] };
  try {
    for (let i = 0; i < entries.length; i += IMPORT_PART) {
      const part = await clients.typed.user.import.mutate({ entries: entries.slice(i, i + IMPORT_PART) });
      total.created.push(...part.created);
      total.unchanged.push(...part.unchanged);
      total.unknown.push(...part.unknown);
      total.refused.push(...part.refused);
      bar.update(Math.min(entries.length, i + IMPORT_PART));
    }
  } finally {
    bar.done();
  }
  if (json) {
    println(io.stdout, JSON.stringify(total, null, 2));
  } else {
    printLines(io.stdout, [
      `${total.created.length} created, ${total.unchanged.length} already users (unchanged), ${total.unknown.length} unknown to EVE, ${total.refused.length} refused`,
      ...total.unknown.map((e) => `  unknown   ${e}`),
      ...total.refused.map((r) => `  refused   ${r.characterName} (${r.characterId}): ${r.reason}`),
    ]);
  }
  return total.unknown.length || total.refused.length ? EXIT.failed : EXIT.ok;
}

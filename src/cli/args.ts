import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ProcedureInfo } from './catalog.ts';
import { UsageError } from './io.ts';
import { coerceFlag, isArrayField, isBooleanFlag, isBooleanWord, parseJson, type Field } from './schema.ts';

/** Flags every command understands; they win over a procedure field of the same name. */
export interface GlobalFlags {
  json: boolean;
  help: boolean;
  cliConfig: string | null;
}

const VALUE_FLAGS = new Set(['cli-config']);

/**
 * Takes the global flags out of `argv` wherever they stand (before the command or after it) and
 * returns the other words and flags in order. A flag's value is never mistaken for a flag.
 */
export function splitGlobals(
  argv: readonly string[],
  valueFlags: (name: string) => boolean,
): { globals: GlobalFlags; rest: string[] } {
  const globals: GlobalFlags = { json: false, help: false, cliConfig: null };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (token === '-h' || token === '--help') {
      globals.help = true;
      continue;
    }
    if (token === '--json') {
      globals.json = true;
      continue;
    }
    const [name, inline] = splitFlag(token);
    if (name !== null && VALUE_FLAGS.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      globals.cliConfig = value;
      continue;
    }
    rest.push(token);
    // A command's own flag that takes a value: keep its value with it, whatever it looks like.
    if (name !== null && inline === undefined && valueFlags(name) && i + 1 < argv.length)
      rest.push(argv[++i]!);
  }
  return { globals, rest };
}

/** `--name=value` -> ['name', 'value']; `--name` -> ['name', undefined]; anything else -> [null, undefined]. */
export function splitFlag(token: string): [string | null, string | undefined] {
  if (!token.startsWith('--') || token.length < 3) return [null, undefined];
  const eq = token.indexOf('=');
  return eq === -1 ? [token.slice(2), undefined] : [token.slice(2, eq), token.slice(eq + 1)];
}

const camel = (name: string) => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The field a flag names: `--userIds` or `--user-ids`. */
export function fieldFor(fields: readonly Field[], name: string): Field | undefined {
  return fields.find((f) => f.name === name) ?? fields.find((f) => f.name === camel(name));
}

/**
 * Builds a procedure's input from `--input` JSON (or `@file`) and flags on top of it. Flags map
 * onto the input's fields; a lone word fills `id` when the input has one.
 */
export function buildInput(procedure: ProcedureInfo, tokens: readonly string[], cwd: string): unknown {
  const topic = `${procedure.router} ${procedure.action}`;
  const fields = procedure.fields ?? [];
  let base: unknown = undefined;
  const given = new Map<Field, string[]>();
  const add = (field: Field, raw: string) => given.set(field, [...(given.get(field) ?? []), raw]);

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const [name, inline] = splitFlag(token);
    if (name === 'input') {
      const raw = inline ?? tokens[++i];
      if (raw === undefined) throw new UsageError('--input needs a JSON value (or @file)', topic);
      base = parseJson('input', raw.startsWith('@') ? readInputFile(raw.slice(1), cwd) : raw);
      continue;
    }
    if (name === null) {
      const idField = fields.find((f) => f.name === 'id');
      if (token !== '--' && !token.startsWith('-') && idField && !given.has(idField)) {
        add(idField, token);
        continue;
      }
      throw new UsageError(`unexpected argument "${token}"`, topic);
    }
    if (!procedure.takesInput) throw new UsageError(`${procedure.path} takes no input (no --${name})`, topic);
    if (!procedure.fields)
      throw new UsageError(`${procedure.path} takes its input as --input '<json>' only`, topic);
    const field = fieldFor(fields, name);
    if (!field) {
      const negated = name.startsWith('no-') ? fieldFor(fields, name.slice(3)) : undefined;
      if (negated && isBooleanFlag(negated.schema) && inline === undefined) {
        add(negated, 'false');
        continue;
      }
      const known = fields.map((f) => `--${f.name}`).join(', ') || 'none';
      throw new UsageError(`unknown flag --${name} for ${topic} (its flags: ${known})`, topic);
    }
    if (inline !== undefined) {
      add(field, inline);
    } else if (isBooleanFlag(field.schema)) {
      // `--flag` alone is true; `--flag false` (or null, for nullable flags) says otherwise.
      const next = tokens[i + 1];
      if (next !== undefined && (isBooleanWord(next) || next === 'null')) add(field, tokens[++i]!);
      else add(field, 'true');
    } else {
      const next = tokens[i + 1];
      if (next === undefined) throw new UsageError(`--${name} needs a value`, topic);
      add(field, tokens[++i]!);
    }
  }

  if (!procedure.takesInput) {
    if (base !== undefined) throw new UsageError(`${procedure.path} takes no input`, topic);
    return undefined;
  }
  const flags = Object.fromEntries(
    [...given].map(([field, raws]) => [field.name, coerceFlag(field.name, raws, field.schema)]),
  );
  if (!given.size) return base ?? (procedure.fields ? {} : undefined);
  if (base !== undefined && (typeof base !== 'object' || base === null || Array.isArray(base))) {
    throw new UsageError('--input must be a JSON object when flags are given too', topic);
  }
  return { ...(base as Record<string, unknown> | undefined), ...flags };
}

function readInputFile(path: string, cwd: string): string {
  try {
    return readFileSync(resolve(cwd, path), 'utf8');
  } catch (error) {
    throw new UsageError(
      `--input @${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/** Whether `--name` of some procedure field takes the next word as its value (for splitGlobals). */
export function takesValue(fields: readonly Field[] | null, name: string): boolean {
  if (name === 'input') return true;
  const field = fields ? fieldFor(fields, name) : undefined;
  return field !== undefined && (!isBooleanFlag(field.schema) || isArrayField(field.schema));
}

/** The same command line with `--cursor` set to the next page's. */
export function nextPageCommand(argv: readonly string[], cursor: string): string {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = splitFlag(argv[i]!);
    if (name === 'cursor') {
      if (inline === undefined) i++;
      continue;
    }
    kept.push(argv[i]!);
  }
  const quote = (word: string) =>
    /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
  return ['rosterctl', ...kept, '--cursor', cursor].map(quote).join(' ');
}

/**
 * ts3-nodejs-library's response parser (`Command.parse`) with the same result and without its
 * cost: for every value it lists every key the library knows (`Object.keys(Identifier)`, some 400
 * strings) to look one up, camel-cases every key anew and runs nine replacements to unescape it. A `servergroupclientlist` of 1,000
 * members made about 2 MB of garbage that way; a full run of 50 such groups, 100 MB.
 *
 * Same output: keys camel-cased, values typed by the library's table (`Identifier`) or unescaped
 * strings, an empty value as `undefined`, and the first entry's fields in every entry (the
 * library's rule for responses whose later entries only list what differs).
 */
import type { QueryEntry } from './session.ts';

/** What ts3-nodejs-library hands a response parser: the line, and its `Command` class. */
export interface ParserArgument {
  readonly raw: string;
  readonly cmd: {
    toCamelCase(key: string): string;
    parseString(value: string): string;
    readonly Identifier: Readonly<Record<string, (value: string) => unknown>>;
  };
}

export type ResponseParser = (data: ParserArgument) => QueryEntry[];

/**
 * A parser with its own memo of camel-cased keys (a protocol has a few hundred keys, so it stays
 * small); one per session.
 */
export function createResponseParser(): ResponseParser {
  const camel = new Map<string, string>();
  const keyOf = (cmd: ParserArgument['cmd'], raw: string) => {
    let key = camel.get(raw);
    if (key === undefined) camel.set(raw, (key = cmd.toCamelCase(raw)));
    return key;
  };
  return ({ raw, cmd }) => {
    const entries = raw.split('|').map((entry) => {
      const res: Record<string, unknown> = {};
      for (const pair of entry.split(' ')) {
        const index = pair.indexOf('=');
        const key = keyOf(cmd, index === -1 ? pair : pair.slice(0, index));
        const value = index === -1 ? '' : pair.slice(index + 1);
        const typed = Object.hasOwn(cmd.Identifier, key) ? cmd.Identifier[key] : cmd.parseString;
        if (value === '') res[key] = undefined;
        // Unescaping runs nine replacements: a value without a backslash is its own unescaped form.
        else if (typed === cmd.parseString) res[key] = value.includes('\\') ? typed(value) : value;
        else res[key] = typed!(value);
      }
      return res;
    });
    const first = entries[0];
    return entries.length < 2 || !first
      ? entries
      : entries.map((entry, i) => (i === 0 ? entry : { ...first, ...entry }));
  };
}

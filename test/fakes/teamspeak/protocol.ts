/**
 * The ServerQuery wire format: escaping, command parsing, response and error lines.
 * Lines end with "\n\r" as the real server writes them.
 */

export const LINE_END = '\n\r';

const escapes: readonly (readonly [string, string])[] = [
  ['\\', '\\\\'],
  ['/', '\\/'],
  [' ', '\\s'],
  ['|', '\\p'],
  ['\u0007', '\\a'],
  ['\b', '\\b'],
  ['\f', '\\f'],
  ['\n', '\\n'],
  ['\r', '\\r'],
  ['\t', '\\t'],
  ['\v', '\\v'],
];
const escapeMap = new Map(escapes);
const unescapeMap = new Map(escapes.map(([raw, esc]) => [esc[1] ?? '', raw]));

export function escape(value: string): string {
  let out = '';
  for (const char of value) out += escapeMap.get(char) ?? char;
  return out;
}

export function unescape(value: string): string {
  return value.replace(/\\(.)/gs, (whole, char: string) => unescapeMap.get(char) ?? whole);
}

/** One `key=value` group of a command; entries after the first inherit the first one's keys. */
export type Params = Record<string, string>;

export interface ParsedCommand {
  readonly name: string;
  /** One entry per `|`-separated parameter block, each already merged with the first block. */
  readonly blocks: readonly Params[];
  /** `-flag` options without the dash. */
  readonly flags: ReadonlySet<string>;
  /** Bare words after the command name (`login user pass`, `use 1`), unescaped. */
  readonly positional: readonly string[];
}

export function parseCommand(line: string): ParsedCommand {
  const trimmed = line.trim();
  const space = trimmed.indexOf(' ');
  const name = (space === -1 ? trimmed : trimmed.slice(0, space)).toLowerCase();
  const rest = space === -1 ? '' : trimmed.slice(space + 1);
  const flags = new Set<string>();
  const positional: string[] = [];
  const raw: Params[] = rest.split('|').map((block) => {
    const params: Params = {};
    for (const token of block.split(' ')) {
      if (token === '') continue;
      if (token.startsWith('-')) {
        flags.add(token.slice(1).toLowerCase());
        continue;
      }
      const eq = token.indexOf('=');
      if (eq === -1) positional.push(unescape(token));
      else params[token.slice(0, eq).toLowerCase()] = unescape(token.slice(eq + 1));
    }
    return params;
  });
  const first = raw[0] ?? {};
  const blocks = raw.map((params, i) => (i === 0 ? params : { ...first, ...params }));
  return { name, blocks, flags, positional };
}

export type FieldValue = string | number | boolean | null | undefined;
export type ResponseRecord = Record<string, FieldValue>;

function formatField(key: string, value: FieldValue): string | null {
  if (value === undefined) return null;
  if (value === null || value === '') return key;
  const text = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
  return `${key}=${escape(text)}`;
}

export function formatRecord(record: ResponseRecord): string {
  return Object.entries(record)
    .map(([key, value]) => formatField(key, value))
    .filter((field): field is string => field !== null)
    .join(' ');
}

/** A data line: records separated by `|`. */
export function formatList(records: readonly ResponseRecord[]): string {
  return records.map(formatRecord).join('|');
}

export function errorLine(id: number, msg: string, extra: ResponseRecord = {}): string {
  return `error ${formatRecord({ id, msg, ...extra })}`;
}

/** A failed command: the handler throws it and the session turns it into an error line. */
export class QueryError extends Error {
  readonly id: number;
  readonly extra: ResponseRecord;

  constructor(id: number, msg: string, extra: ResponseRecord = {}) {
    super(msg);
    this.name = 'QueryError';
    this.id = id;
    this.extra = extra;
  }
}

/** The error ids and messages the fake uses, as the real server words them. */
export const errors = {
  commandNotFound: () => new QueryError(256, 'command not found'),
  invalidClientId: () => new QueryError(512, 'invalid clientID'),
  nicknameInUse: () => new QueryError(513, 'nickname is already in use'),
  invalidLogin: () => new QueryError(520, 'invalid loginname or password'),
  invalidChannelId: () => new QueryError(768, 'invalid channelID'),
  invalidServerId: () => new QueryError(1024, 'invalid serverID'),
  emptyResult: () => new QueryError(1281, 'database empty result set'),
  duplicateEntryDb: () => new QueryError(1282, 'database duplicate entry'),
  invalidParameter: () => new QueryError(1538, 'invalid parameter'),
  parameterNotFound: () => new QueryError(1539, 'parameter not found'),
  invalidGroupId: () => new QueryError(2560, 'invalid group ID'),
  duplicateEntry: () => new QueryError(2561, 'duplicate entry'),
  invalidPermission: () => new QueryError(2562, 'invalid permission ID'),
  emptyResultSet: () => new QueryError(2563, 'empty result set'),
  groupNotEmpty: () => new QueryError(2567, 'group is not empty'),
  insufficientPermissions: (permid: number) =>
    new QueryError(2568, 'insufficient client permissions', { failed_permid: permid }),
} as const;

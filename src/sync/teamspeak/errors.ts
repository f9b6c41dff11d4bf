/** Typed errors of the TeamSpeak target and the ServerQuery error ids it reacts to. */

/** ServerQuery error ids (TeamSpeak's public_errors), as strings the way the library reports them. */
export const QueryErrorId = {
  commandNotFound: '256',
  invalidClientId: '512',
  nicknameInUse: '513',
  invalidLogin: '520',
  flooding: '524',
  invalidServerId: '1024',
  emptyResult: '1281',
  duplicateEntryDb: '1282',
  invalidGroupId: '2560',
  duplicateEntry: '2561',
  invalidPermission: '2562',
  emptyResultSet: '2563',
  insufficientPermissions: '2568',
  banned: '3329',
} as const;

/** A command the server answered with an error line. */
export class TeamspeakCommandError extends Error {
  readonly command: string;
  /** ServerQuery error id, e.g. "2568". */
  readonly id: string;

  constructor(command: string, id: string, message: string, options?: ErrorOptions) {
    super(`${command}: ${message} (error ${id})`, options);
    this.name = 'TeamspeakCommandError';
    this.command = command;
    this.id = id;
  }
}

export type ConnectionFailure = 'not-connected' | 'connection-lost' | 'timeout' | 'stopped';

/** The command never got an answer: no connection, or it went away. Never the server's verdict. */
export class TeamspeakConnectionError extends Error {
  readonly kind: ConnectionFailure;

  constructor(kind: ConnectionFailure, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TeamspeakConnectionError';
    this.kind = kind;
  }
}

interface LibraryResponseError {
  readonly id: string;
  readonly message: string;
}

function isLibraryResponseError(err: unknown): err is LibraryResponseError {
  return err instanceof Error && typeof (err as { id?: unknown }).id === 'string';
}

/** Turns whatever the library threw into one of the two typed errors (cause kept). */
export function toTeamspeakError(
  command: string,
  err: unknown,
): TeamspeakCommandError | TeamspeakConnectionError {
  if (err instanceof TeamspeakCommandError || err instanceof TeamspeakConnectionError) return err;
  if (isLibraryResponseError(err))
    return new TeamspeakCommandError(command, err.id, err.message, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new TeamspeakConnectionError('connection-lost', `${command}: ${message}`, { cause: err });
}

export function errorId(err: unknown): string | null {
  return err instanceof TeamspeakCommandError ? err.id : null;
}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const unescapes: Record<string, string> = { s: ' ', p: '|', '/': '/', '\\': '\\', n: '\n', r: '\r', t: '\t' };

/** Reads `error id=.. msg=.. extra_msg=..` from a raw line (used for the ban line sent on connect). */
export function parseErrorLine(line: string): { id: string; message: string } | null {
  if (!line.startsWith('error ')) return null;
  const fields = new Map<string, string>();
  for (const token of line.slice(6).split(' ')) {
    const eq = token.indexOf('=');
    if (eq === -1) continue;
    fields.set(
      token.slice(0, eq),
      token.slice(eq + 1).replace(/\\(.)/g, (whole, c: string) => unescapes[c] ?? whole),
    );
  }
  const id = fields.get('id');
  if (id === undefined) return null;
  const extra = fields.get('extra_msg');
  return { id, message: [fields.get('msg') ?? '', extra].filter(Boolean).join(', ') };
}

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig, loadConfigSection } from '../config/load.ts';
import { issueToken, type CreatedToken } from '../services/auth/tokens.ts';
import { bootstrap } from '../services/bootstrap.ts';
import { databaseKind, openDatabase, type Database } from '../store/orm.ts';
import { splitFlag } from './args.ts';
import { processesHolding } from './db-holders.ts';
import { CliError, EXIT, println, UsageError, type CliIo, type ExitCode } from './io.ts';
import { rootTokenValueFlags } from './local-commands.ts';

const TOPIC = 'token create';

export interface RootTokenOptions {
  /** The daemon's config file (`--config`); else ROSTER_CONFIG or the daemon's default paths. */
  readonly configPath: string | null;
  readonly comment: string;
  /** Null: no expiry. */
  readonly ttlSeconds: number | null;
}

export interface RootToken extends CreatedToken {
  readonly userId: string;
  /** Which database it went to, for the message (no credentials). */
  readonly database: string;
}

/** Flags of `token create --root`; they are its own, not the API procedure's. */

export function parseRootTokenArgs(tokens: readonly string[]): RootTokenOptions {
  let configPath: string | null = null;
  let comment = 'bootstrap token (rosterctl token create --root)';
  let ttlSeconds: number | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const [name, inline] = splitFlag(tokens[i]!);
    if (name === 'root') continue;
    if (name === null || !rootTokenValueFlags.has(name)) {
      throw new UsageError(
        `unexpected ${name === null ? `argument "${tokens[i]}"` : `flag --${name}`}; token create --root takes --config, --comment and --ttlSeconds`,
        TOPIC,
      );
    }
    const value = inline ?? tokens[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`, TOPIC);
    if (name === 'config') configPath = value;
    else if (name === 'comment') comment = value;
    else if (value === 'null' || value === 'none') ttlSeconds = null;
    else if (/^\d+$/.test(value) && Number(value) >= 60) ttlSeconds = Number(value);
    else
      throw new UsageError(
        `--${name} takes a number of seconds (at least 60) or "none", not "${value}"`,
        TOPIC,
      );
  }
  if (comment.length > 200) throw new UsageError('--comment is longer than 200 characters', TOPIC);
  return { configPath, comment, ttlSeconds };
}

/**
 * Creates an application token for root straight in the daemon's database, loaded as the daemon
 * loads it (config file and ROSTER_* overrides, migrate, bootstrap). The secret is returned, never
 * logged. The embedded database cannot be shared, so this refuses while the daemon has it open.
 */
export async function createRootToken(
  options: RootTokenOptions,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): Promise<RootToken> {
  return withDaemonDatabase(
    options.configPath,
    env,
    cwd,
    'create the token',
    async (db, rootId, database) => {
      const created = await issueToken(
        { db, author: { actorId: rootId, requestId: null } },
        { userId: rootId, kind: 'application', comment: options.comment, ttlSeconds: options.ttlSeconds },
        'rosterctl token create --root',
      );
      return { ...created, userId: rootId, database };
    },
  );
}

/**
 * Runs `work` on the daemon's database, loaded as the daemon loads it (config file and ROSTER_*
 * overrides, migrate, bootstrap), for the commands that run where the operator is (the root token,
 * imports). On a fresh install the embedded database is created and migrated here, as the daemon
 * would at its first start (the message names the new directory, so one made in the wrong place is
 * seen). The embedded database cannot be shared, so this refuses while the daemon has it open.
 * Errors are CliErrors without credentials.
 */
export async function withDaemonDatabase<T>(
  configPath: string | null,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  what: string,
  work: (db: Database, rootId: string, database: string) => Promise<T>,
): Promise<T> {
  // Only the database section is checked: this runs before the rest of the config is complete
  // (a first token on a fresh install), and it uses nothing else.
  let settings;
  try {
    settings = loadConfigSection('database', { path: configPath ?? undefined, env: { ...env }, cwd }).value;
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
  const { url } = settings;
  const kind = databaseKind(url);
  const dataDir = resolve(cwd, settings.dataDir);
  const pgDir = join(dataDir, 'pglite');
  const fresh = kind === 'embedded' && !existsSync(join(pgDir, 'PG_VERSION'));
  if (kind === 'embedded' && !fresh) assertEmbeddedFree(pgDir);
  const database =
    kind === 'embedded'
      ? `${fresh ? 'new ' : ''}embedded database in ${pgDir}`
      : `${kind} database ${describeUrl(url)}`;

  let db;
  try {
    db = await openDatabase({ url, dataDir });
  } catch (error) {
    throw new CliError(`cannot open the ${database}: ${redact((error as Error).message, url)}`);
  }
  try {
    await db.migrate();
    const { rootId } = await bootstrap(db.fork());
    return await work(db, rootId, database);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`could not ${what} in the ${database}: ${redact((error as Error).message, url)}`);
  } finally {
    await db.close();
  }
}

/** The daemon's config as `withDaemonDatabase` loads it (for the targets an import maps to). */
export function daemonConfig(
  configPath: string | null,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
) {
  try {
    return loadConfig({ path: configPath ?? undefined, env: { ...env }, cwd }).config;
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
}

function assertEmbeddedFree(pgDir: string): void {
  const busy = `the embedded database in ${pgDir} is open in another process`;
  const advice =
    'The embedded PGlite database cannot be opened by two processes at once: stop the daemon (e.g. systemctl stop roster) ' +
    'and run this again, or use the API with an existing token: rosterctl token create --kind application --comment "..."';
  const holders = processesHolding(pgDir);
  if (holders.pids.length)
    throw new CliError(`${busy} (pid ${holders.pids.join(', ')}), most likely the running daemon. ${advice}`);
  const pidFile = join(pgDir, 'postmaster.pid');
  if (!holders.checked && existsSync(pidFile)) {
    throw new CliError(
      `${busy}, or was not closed cleanly (${pidFile} exists; there is no /proc here to tell which). ${advice}. ` +
        `If the daemon is not running, the file is left from a crash: remove it and run this again.`,
    );
  }
}

/** `postgres://roster@db:5432/roster` without the password. */
function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

function redact(message: string, url: string): string {
  let out = message.replaceAll(url, describeUrl(url));
  try {
    const password = decodeURIComponent(new URL(url).password);
    if (password) out = out.replaceAll(password, '***');
  } catch {
    // nothing to hide
  }
  return out;
}

/** `rosterctl token create --root ...`: the secret alone on stdout, what it is on stderr. */
export async function rootTokenCommand(
  io: CliIo,
  tokens: readonly string[],
  json: boolean,
): Promise<ExitCode> {
  const options = parseRootTokenArgs(tokens);
  const created = await createRootToken(options, io.env, io.cwd);
  const expiry = created.expiresAt ? `expires ${created.expiresAt.toISOString()}` : 'no expiry';
  println(
    io.stderr,
    `created application token ${created.id} for root (${expiry}) in the ${created.database}.`,
  );
  println(
    io.stderr,
    'It is shown once, on stdout; keep it in ROSTER_TOKEN or in the settings file (chmod 600):',
  );
  if (json)
    println(
      io.stdout,
      JSON.stringify({
        id: created.id,
        userId: created.userId,
        secret: created.secret,
        expiresAt: created.expiresAt,
      }),
    );
  else println(io.stdout, created.secret);
  return EXIT.ok;
}

/**
 * The real daemon as a child process (`node src/main.ts --config <file>`, as systemd runs it),
 * with the fake TeamSpeak and Discord servers and a fresh PostgreSQL database: the setup of the
 * daemon end-to-end test and of the latency benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { createToken } from '../../src/services/auth/tokens.ts';
import { bootstrap } from '../../src/services/bootstrap.ts';
import {
  startFakeDiscord,
  snowflake,
  type FakeDiscord,
  type RateLimitOptions,
} from '../fakes/discord/index.ts';
import { defaultRateLimits } from '../fakes/discord/rate-limits.ts';
import { startFakeTeamspeak, type FakeTeamspeak } from '../fakes/teamspeak/index.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { addGroup, addMapping, addTeamspeakLink, addUser } from './rows.ts';

const root = resolve(import.meta.dirname, '../..');

/** A cron line that never fires while a test runs (midnight, January 1st). */
const never = '0 0 1 1 *';

export interface DaemonProcess {
  readonly child: ChildProcess;
  /** The control plane's base URL, read from the daemon's "listening" line. */
  readonly url: string;
  /** Every stdout line, as written. */
  readonly stdout: string[];
  /** Everything written on stderr. */
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>;
}

/** The environment of the test runner without ROSTER_* overrides, plus `extra`. */
function daemonEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('ROSTER_')) env[key] = value;
  return { ...env, ...extra };
}

/**
 * Starts the daemon and waits (at most `startTimeoutMs`) for its "listening" line. A daemon that
 * exits or stays silent is killed and reported with its stderr.
 */
export async function spawnDaemon(
  config: string,
  options: { env?: Record<string, string>; startTimeoutMs?: number; nodeArgs?: readonly string[] } = {},
): Promise<DaemonProcess> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), 'src/main.ts', '--config', config], {
    cwd: root,
    env: daemonEnv(options.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | string>((done) =>
    child.once('exit', (code, signal) => done(code ?? signal ?? 'unknown')),
  );
  const reader = createInterface({ input: child.stdout! });
  const limit = options.startTimeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    const url = await new Promise<string>((done, fail) => {
      timer = setTimeout(() => fail(new Error(`the daemon did not listen within ${limit} ms`)), limit);
      void exited.then((code) => fail(new Error(`the daemon exited (${code}) before listening`)));
      reader.on('line', (text) => {
        stdout.push(text);
        try {
          const line = JSON.parse(text) as { msg?: unknown; url?: unknown };
          if (String(line.msg).startsWith('roster listening') && typeof line.url === 'string') done(line.url);
        } catch {
          // Not JSON: kept in `stdout` for the caller's assertions.
        }
      });
    });
    return { child, url, stdout, stderr: () => stderr, exited };
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    throw new Error(
      `${(error as Error).message}\n--- stderr ---\n${stderr}\n--- stdout ---\n${stdout.join('\n')}`,
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Kills a daemon that is still running (SIGKILL) and waits for it; a no-op once it has exited. */
export async function killDaemon(daemon: DaemonProcess | undefined): Promise<void> {
  if (!daemon) return;
  if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill('SIGKILL');
  await daemon.exited;
}

export { rosterClient, type RosterClient } from './client.ts';

/** A directory user who may log in, linked to a TeamSpeak client and a Discord member. */
export interface LinkedUser {
  readonly id: string;
  readonly name: string;
  readonly cldbid: string;
  readonly discordId: string;
}

export interface DaemonWorldOptions {
  /** Commands per window and window of the daemon's ServerQuery pacing (default 100 per 1 s). */
  readonly teamspeakPace?: { readonly commandsPerWindow: number; readonly windowMs: number };
  /**
   * Both fakes at the platforms' real default limits: TeamSpeak's flood protection for a query
   * client that is not whitelisted (10 commands per 3 s, a ban beyond), with the daemon's own
   * default pacing to match, and Discord's documented limits (member edits 10 per 10 s per guild).
   * Guild members get their name as nickname, as a running community's members have it.
   */
  readonly platformDefaults?: boolean;
  readonly syncDebounceSeconds?: number;
  readonly shutdownTimeoutMs?: number;
  /** More `jobs` and `sync` keys of the config (e.g. short leases for the crash tests). */
  readonly jobs?: Record<string, unknown>;
  readonly sync?: Record<string, unknown>;
}

type ConfigOptions = Pick<DaemonWorldOptions, 'teamspeakPace' | 'shutdownTimeoutMs' | 'jobs' | 'sync'>;

/**
 * A fresh database with a root token, a fake TeamSpeak and a fake Discord (secrets of their own),
 * and a config file for a daemon pointed at all three. `dispose()` closes and drops everything.
 */
export interface DaemonWorld {
  readonly db: TestDatabase;
  readonly teamspeak: FakeTeamspeak;
  readonly discord: FakeDiscord;
  /** Secret of the root user's API token. */
  readonly token: string;
  /** The configured secrets, which no log line may contain. */
  readonly secrets: { readonly teamspeakPassword: string; readonly discordToken: string };
  readonly targets: { readonly teamspeak: string; readonly discord: string };
  readonly debounceSeconds: number;
  /** Writes a config file (the world's options, or these) and returns its path. */
  writeConfig(options?: ConfigOptions): string;
  /** Users who may log in, each linked to a new TeamSpeak client and a new guild member. */
  addUsers(count: number, prefix: string): Promise<LinkedUser[]>;
  /**
   * A group written straight into the database (no sync is asked for), mapped onto both targets:
   * the next sync, whatever asks for it, finds it whole.
   */
  seedMappedGroup(name: string, members: readonly LinkedUser[]): Promise<string>;
  /** Members (cldbids, sorted numerically) of the TeamSpeak server group `name`; null when there is none. */
  teamspeakMembers(name: string): string[] | null;
  /** Guild members (ids, sorted) who have the role `name`; null when there is no such role. */
  discordMembers(name: string): string[] | null;
  dispose(): Promise<void>;
}

export async function createDaemonWorld(options: DaemonWorldOptions = {}): Promise<DaemonWorld> {
  const work = mkdtempSync(join(tmpdir(), 'roster-daemon-'));
  const secrets = {
    teamspeakPassword: `ts-pass-${crypto.randomUUID()}`,
    discordToken: `discord-token-${crypto.randomUUID()}`,
  };
  const targets = { teamspeak: 'ts', discord: 'guild' } as const;
  const debounceSeconds = options.syncDebounceSeconds ?? 2;
  const disposers: (() => Promise<void> | void)[] = [() => rmSync(work, { recursive: true, force: true })];
  const dispose = async () => {
    for (const d of disposers.splice(0).reverse()) await d();
  };
  try {
    const db = await createTestDatabase();
    disposers.push(() => db.dispose());
    // The fake's own flood protection stays generous: the daemon's pacing is what is measured.
    const real = options.platformDefaults ?? false;
    const teamspeak = await startFakeTeamspeak({
      accounts: [{ username: 'roster', password: secrets.teamspeakPassword }],
      flood: real ? {} : { commands: 1000, windowMs: 1000, banMs: 0 },
    });
    disposers.push(() => teamspeak.close());
    const limits: RateLimitOptions = real
      ? defaultRateLimits
      : {
          memberEdit: { limit: 20, windowMs: 200 },
          route: { limit: 50, windowMs: 200 },
          global: { limit: 200, windowMs: 200 },
        };
    const discord = await startFakeDiscord({ botToken: secrets.discordToken, rateLimits: limits });
    disposers.push(() => discord.close());

    const { rootId } = await bootstrap(db.db.fork());
    const token = (
      await createToken(db.db.fork(), {
        userId: rootId,
        kind: 'user',
        comment: 'daemon test',
        ttlSeconds: 3600,
      })
    ).secret;

    let configs = 0;
    const writeConfig = (o: ConfigOptions = {}) => {
      const pace =
        o.teamspeakPace ??
        options.teamspeakPace ??
        (real ? { commandsPerWindow: 10, windowMs: 3000 } : { commandsPerWindow: 100, windowMs: 1000 });
      const path = join(work, `roster-${++configs}.yaml`);
      writeFileSync(
        path,
        stringify({
          database: { url: db.url, dataDir: join(work, 'data') },
          jobs: {
            syncDebounceSeconds: debounceSeconds,
            shutdownTimeoutMs: o.shutdownTimeoutMs ?? options.shutdownTimeoutMs ?? 20_000,
            // A sync cut short by a stop is retried this soon by the next daemon.
            retryDelaySeconds: 1,
            // No scheduled run may do the work the test expects of the debounced sync; no ESI call.
            reconcileCron: never,
            affiliationCron: never,
            esiRefreshCron: never,
            autogroupCron: never,
            ...options.jobs,
            ...o.jobs,
          },
          sync: { ...options.sync, ...o.sync },
          controlPlane: { host: '127.0.0.1', port: 0 },
          esi: { baseUrl: 'http://127.0.0.1:9/latest' },
          teamspeak: {
            targets: [
              {
                name: targets.teamspeak,
                host: teamspeak.host,
                queryPort: teamspeak.port,
                username: 'roster',
                password: secrets.teamspeakPassword,
                ...pace,
              },
            ],
          },
          discord: {
            targets: [
              {
                name: targets.discord,
                token: secrets.discordToken,
                guildId: discord.guild.id,
                apiBaseUrl: discord.url,
              },
            ],
          },
          log: { level: 'info' },
        }),
      );
      return path;
    };

    return {
      db,
      teamspeak,
      discord,
      token,
      secrets,
      targets,
      debounceSeconds,
      writeConfig,
      async addUsers(count, prefix) {
        const em = db.db.fork();
        const users = Array.from({ length: count }, (_, i) => {
          const name = `${prefix} ${i}`;
          const discordId = snowflake();
          discord.guild.addMember({
            id: discordId,
            username: name.replaceAll(' ', '_').toLowerCase(),
            ...(real ? { nick: name } : {}),
          });
          const { cldbid } = teamspeak.addDbClient({ nickname: name });
          const user = addUser(em, name, { authorizedToLogin: true, discordUserId: discordId });
          addTeamspeakLink(em, user.id, targets.teamspeak, cldbid);
          return { id: user.id, name, cldbid, discordId };
        });
        await em.flush();
        return users;
      },
      async seedMappedGroup(name, members) {
        const em = db.db.fork();
        const group = addGroup(
          em,
          name,
          members.map((m) => m.id),
        );
        addMapping(em, group.id, 'teamspeak', targets.teamspeak);
        addMapping(em, group.id, 'discord', targets.discord);
        await em.flush();
        return group.id;
      },
      teamspeakMembers(name) {
        return teamspeak.serverGroups().find((g) => g.name === name)?.members ?? null;
      },
      discordMembers(name) {
        const role = [...discord.guild.roles.values()].find((r) => r.name === name);
        if (!role) return null;
        return [...discord.guild.members.values()]
          .filter((m) => m.roles.includes(role.id))
          .map((m) => m.user.id)
          .sort();
      },
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** Polls `probe` every `everyMs` until it returns true; false once `timeoutMs` has passed. */
export async function waitFor(
  probe: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sortedIds = (ids: readonly string[]) => [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
export const sortedCldbids = (ids: readonly string[]) => [...ids].sort((a, b) => Number(a) - Number(b));

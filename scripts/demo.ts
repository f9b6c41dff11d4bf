/**
 * `npm run demo`: the whole loop on one machine, no external service. Starts the daemon in-process
 * on an embedded PGlite in a temporary directory, with the fake TeamSpeak, Discord and ESI servers
 * from test/fakes, seeds a small directory, runs the first reconcile of both platforms, prints
 * what landed and how to drive the daemon with rosterctl, and keeps running until Ctrl-C.
 *
 *   npm run demo [-- --port 8380] [-- --verbose]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createRoster, type Roster } from '../src/app.ts';
import { configSchema } from '../src/config/schema.ts';
import { createLogger, type Logger } from '../src/logger.ts';
import { createToken } from '../src/services/tokens.ts';
import { rebuildAutogroups } from '../src/store/autogroups.ts';
import { bootstrap } from '../src/store/bootstrap.ts';
import type { RunResult } from '../src/sync/engine.ts';
import type { Platform } from '../src/sync/target.ts';
import { startFakeDiscord, type FakeDiscord } from '../test/fakes/discord/index.ts';
import { startFakeEsi, type FakeEsi } from '../test/fakes/esi/index.ts';
import { startFakeTeamspeak, type FakeTeamspeak } from '../test/fakes/teamspeak/index.ts';
import { formatLanded, landed, type Landed } from './demo/report.ts';
import { demoEve, demoTargets, mapAutogroups, seedDemo, type DemoDirectory } from './demo/seed.ts';

export interface DemoOptions {
  /** Where the embedded database lives; ':memory:' keeps it in memory. */
  readonly dataDir: string;
  /** A PostgreSQL database instead of the embedded one (tests use the development server). */
  readonly databaseUrl?: string;
  /** Control-plane port; 0 (default) = any free port. */
  readonly port?: number;
  readonly logger?: Logger;
  /** Secrets of the fake platforms (tests set recognisable ones). */
  readonly teamspeakPassword?: string;
  readonly discordToken?: string;
}

export interface Demo {
  readonly roster: Roster;
  readonly teamspeak: FakeTeamspeak;
  readonly discord: FakeDiscord;
  /** ESI as the daemon's ESI jobs see it: the demo's corporations, alliance and pilots. */
  readonly esi: FakeEsi;
  /** The control plane's URL. */
  readonly url: string;
  /** A superuser (root) API token, valid for a day. */
  readonly token: string;
  /** The first reconcile: one run per target. */
  readonly runs: RunResult[];
  readonly directory: DemoDirectory;
  readonly landed: Landed;
  /** What landed, as lines a person reads. */
  report(): string[];
  stop(): Promise<void>;
}

/** Starts the fakes and the daemon, seeds the directory and runs the first reconcile. */
export async function setupDemo(options: DemoOptions): Promise<Demo> {
  const password = options.teamspeakPassword ?? 'demo-serverquery-password';
  // Flood budget as for a whitelisted query client (query_ip_allowlist.txt), so the demo is quick.
  const flood = { commands: 100, windowMs: 1000 };
  const teamspeak = await startFakeTeamspeak({ accounts: [{ username: 'serveradmin', password }], flood });
  const discord = await startFakeDiscord({
    botToken: options.discordToken ?? 'demo-bot-token',
    guild: { name: 'Dawn Coalition' },
  });
  const esi = await startFakeEsi();
  esi.seed(demoEve);
  let roster: Roster | null = null;
  const stop = async () => {
    await roster?.stop();
    await Promise.all([teamspeak.close(), discord.close(), esi.close()]);
  };
  try {
    const config = configSchema.parse({
      database: { url: options.databaseUrl ?? '', dataDir: options.dataDir },
      controlPlane: { host: '127.0.0.1', port: options.port ?? 0 },
      esi: { baseUrl: esi.url, contact: 'roster-demo@localhost' },
      teamspeak: {
        targets: [
          {
            name: demoTargets.teamspeak,
            host: teamspeak.host,
            queryPort: teamspeak.port,
            username: 'serveradmin',
            password,
            commandsPerWindow: flood.commands,
            windowMs: flood.windowMs,
          },
        ],
      },
      discord: {
        targets: [
          {
            name: demoTargets.discord,
            token: discord.botToken,
            guildId: discord.guild.id,
            apiBaseUrl: discord.url,
          },
        ],
      },
    });
    roster = await createRoster({ config, logger: options.logger ?? pino({ level: 'silent' }) });
    await roster.start();
    const { rootId } = await bootstrap(roster.db.fork());
    const directory = await seedDemo(roster.db.fork(), rootId, teamspeak, discord);
    await rebuildAutogroups(roster.db.fork());
    await mapAutogroups(roster.db.fork());
    const runs: RunResult[] = [];
    for (const t of roster.targets) runs.push(await firstRun(roster, t.platform, t.name));
    const token = await createToken(roster.db.fork(), {
      userId: rootId,
      kind: 'user',
      comment: 'demo superuser',
      ttlSeconds: 24 * 3600,
    });
    const result = await landed(roster.db.fork(), teamspeak, discord, directory, runs);
    return {
      roster,
      teamspeak,
      discord,
      esi,
      url: roster.url(),
      token: token.secret,
      runs,
      directory,
      landed: result,
      report: () => formatLanded(result, teamspeak, discord, directory, runs),
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** One run now; a scheduled run that holds the target's lease only delays it. */
async function firstRun(roster: Roster, platform: Platform, target: string): Promise<RunResult> {
  for (let attempt = 0; ; attempt++) {
    const run = await roster.reconciler.run(platform, target, { trigger: 'demo' });
    if (run.status !== 'busy' || attempt >= 30) return run;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function tryLines(demo: Demo): string[] {
  const env = `ROSTER_URL=${demo.url} ROSTER_TOKEN=${demo.token}`;
  return [
    'Try it (in another terminal):',
    `    export ${env}`,
    '    npm run rosterctl -- status                  # platforms, last runs, drift',
    '    npm run rosterctl -- group list              # the directory groups and their mappings',
    '    npm run rosterctl -- sync plan --platform teamspeak --target main   # a dry run: nothing to do',
    '    npm run rosterctl -- --help                  # everything else',
    `    curl -s ${demo.url}/readyz; curl -s ${demo.url}/metrics | grep roster_sync`,
    '',
    'Then change the directory (group addMembers, group removeMembers, group map, ...) and let the',
    'next run put it on the platforms: every 10 minutes, or now with',
    '    npm run rosterctl -- sync run --platform discord --target guild',
  ];
}

async function main() {
  const { values } = parseArgs({ options: { port: { type: 'string' }, verbose: { type: 'boolean' } } });
  const dataDir = mkdtempSync(join(tmpdir(), 'roster-demo-'));
  const logger = createLogger({
    level: values.verbose ? 'info' : 'warn',
    pretty: process.stdout.isTTY === true,
  });
  console.log(
    `Roster demo: embedded database in ${dataDir} (deleted on exit), fake TeamSpeak and Discord on loopback.\n`,
  );
  const started = performance.now();
  const demo = await setupDemo({ dataDir, port: values.port ? Number(values.port) : 0, logger });
  console.log(`First reconcile done in ${((performance.now() - started) / 1000).toFixed(1)} s.\n`);
  console.log(
    [
      ...demo.report(),
      '',
      `Control plane: ${demo.url} (superuser token below, valid 24 h)`,
      '',
      ...tryLines(demo),
      '',
      'Ctrl-C stops the demo.',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping the demo');
    await demo.stop().catch((error: unknown) => console.error(error));
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    console.error('demo failed:', error);
    process.exit(1);
  });
}

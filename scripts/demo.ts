/**
 * `npm run demo`: the whole loop on one machine, no external service. Starts the daemon in-process
 * on an embedded PGlite in a temporary directory, with the fake TeamSpeak, Discord and ESI servers
 * from test/fakes, seeds a small directory, runs the first reconcile of both platforms, prints
 * what landed and how to drive the daemon with rosterctl, and keeps running until Ctrl-C.
 *
 *   npm run demo [-- --port 8380] [-- --verbose]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createRoster, type Roster } from '../src/app.ts';
import { configSchema } from '../src/config/schema.ts';
import { createLogger, type Logger } from '../src/logger.ts';
import { createToken } from '../src/services/auth/tokens.ts';
import { rebuildAutogroups } from '../src/services/autogroups.ts';
import { bootstrap } from '../src/services/bootstrap.ts';
import type { RunResult } from '../src/sync/engine.ts';
import type { Platform } from '../src/sync/target.ts';
import { startFakeDiscord, type FakeDiscord } from '../test/fakes/discord/index.ts';
import { startFakeEsi, type FakeEsi } from '../test/fakes/esi/index.ts';
import { startFakeSso, type FakeSso } from '../test/fakes/sso/index.ts';
import { startFakeTeamspeak, type FakeTeamspeak } from '../test/fakes/teamspeak/index.ts';
import { formatLanded, landed, type Landed } from './demo/report.ts';
import {
  demoEve,
  demoPortalPilot,
  demoTargets,
  mapAutogroups,
  seedDemo,
  type DemoDirectory,
} from './demo/seed.ts';

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
  /** How often pending TeamSpeak link nicknames are looked for (default 2 s). */
  readonly linkPollSeconds?: number;
}

export interface Demo {
  readonly roster: Roster;
  readonly teamspeak: FakeTeamspeak;
  readonly discord: FakeDiscord;
  /** ESI as the daemon's ESI jobs see it: the demo's corporations, alliance and pilots. */
  readonly esi: FakeEsi;
  /** The fake EVE SSO the member portal logs pilots in with (it shows a character picker). */
  readonly sso: FakeSso;
  /** The control plane's URL, which is also the member portal's. */
  readonly url: string;
  /** The Discord user who "clicks Authorize" on the fake Discord consent: the portal pilot's account. */
  readonly discordUserId: string;
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
  // The portal's address must be known before start: EVE SSO and Discord send the browser back to it.
  const port = options.port || (await freePort());
  const publicUrl = `http://127.0.0.1:${port}`;
  const sso = await startFakeSso({ callbackUrl: `${publicUrl}/auth/callback` });
  for (const c of demoEve.characters ?? []) sso.addCharacter({ id: c.id, name: c.name });
  // The portal pilot's Discord account: known to Discord, not yet on the guild.
  const discordUser = discord.guild.addUser({ username: demoPortalPilot.toLowerCase().replace(' ', '.') });
  discord.oauth.consentUserId = discordUser.id;
  let roster: Roster | null = null;
  const stop = async () => {
    await roster?.stop();
    await Promise.all([teamspeak.close(), discord.close(), esi.close(), sso.close()]);
  };
  try {
    const config = configSchema.parse({
      database: { url: options.databaseUrl ?? '', dataDir: options.dataDir },
      controlPlane: { host: '127.0.0.1', port, publicUrl },
      esi: { baseUrl: esi.url, contact: 'roster-demo@localhost' },
      sso: {
        loginBaseUrl: sso.url,
        clientId: sso.clientId,
        clientSecret: sso.clientSecret,
        callbackUrl: `${publicUrl}/auth/callback`,
        encryptionKey: randomBytes(32).toString('base64'),
      },
      teamspeak: {
        linkPollSeconds: options.linkPollSeconds ?? 2,
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
            oauthClientId: discord.oauth.clientId,
            oauthClientSecret: discord.oauth.clientSecret,
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
      sso,
      url: roster.url(),
      discordUserId: discordUser.id,
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

/** A port free right now on loopback (the demo's portal URL must be known before the daemon starts). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One run now; a scheduled run that holds the target's lease only delays it. */
async function firstRun(roster: Roster, platform: Platform, target: string): Promise<RunResult> {
  for (let attempt = 0; ; attempt++) {
    const run = await roster.reconciler.run(platform, target, { trigger: 'demo' });
    if (run.status !== 'busy' || attempt >= 30) return run;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function portalLines(demo: Demo): string[] {
  return [
    `Member portal: ${demo.url}/`,
    `    Open it, "Log in with EVE Online", pick ${demoPortalPilot} on the fake EVE login page.`,
    '    Link TeamSpeak: the page shows a nickname; paste it here and press Enter, and the demo',
    '    connects a fake TeamSpeak client with it (the page updates by itself).',
    '    Link Discord: "Link with Discord" goes through the fake Discord consent and back.',
    `    Then ${demoPortalPilot}'s groups arrive on both fakes (watch the lines below).`,
  ];
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
      ...portalLines(demo),
      '',
      ...tryLines(demo),
      '',
      'Ctrl-C stops the demo.',
    ].join('\n'),
  );
  const portalClients = new Set<string>();
  offerTeamspeakClients(demo, portalClients);
  watchPortalPilot(demo, portalClients);
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

/** Each line typed that looks like a link nickname connects a fake TeamSpeak client with it. */
function offerTeamspeakClients(demo: Demo, connected: Set<string>): void {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const nickname = line.trim();
    if (!/^roster-[a-z2-7]{10}$/.test(nickname)) {
      if (nickname) console.log(`(not a link nickname: paste the roster-... nickname the portal shows)`);
      return;
    }
    const client = demo.teamspeak.connectClient({ nickname });
    connected.add(client.cldbid);
    console.log(`fake TeamSpeak: client ${client.cldbid} connected as ${nickname}`);
  });
}

/** Prints what the portal pilot holds on both fakes whenever it changes. */
function watchPortalPilot(demo: Demo, clients: ReadonlySet<string>): void {
  let last = '';
  const timer = setInterval(() => {
    const held = portalPilotHolds(demo, clients);
    if (held !== last && (last || held !== 'TeamSpeak: nothing · Discord: nothing')) {
      console.log(`${demoPortalPilot} now holds: ${held}`);
    }
    last = held;
  }, 1000);
  timer.unref();
}

/** The server groups and roles the portal pilot's linked accounts hold on the fakes, in words. */
export function portalPilotHolds(demo: Demo, clients: ReadonlySet<string>): string {
  const member = demo.discord.guild.members.get(demo.discordUserId);
  const roles = (member?.roles ?? []).map((id) => demo.discord.guild.roles.get(id)?.name ?? id);
  const groups = demo.teamspeak
    .serverGroups()
    .filter((g) => g.members.some((m) => clients.has(m)))
    .map((g) => g.name);
  return `TeamSpeak: ${groups.join(', ') || 'nothing'} · Discord: ${roles.join(', ') || 'nothing'}`;
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    console.error('demo failed:', error);
    process.exit(1);
  });
}

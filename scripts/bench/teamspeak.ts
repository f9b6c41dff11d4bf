/**
 * Benchmark: one full reconcile of 10,000 linked users and 50 mapped groups with 1% of the
 * memberships drifted on the server, through the real engine and the real TeamSpeak adapter,
 * against the fake ServerQuery server with TeamSpeak's default flood protection (10 commands per
 * 3 s, query client not whitelisted, bans on), on a temporary PostgreSQL database.
 *
 * Prints JSON: the data's size, the commands the server received (total and per name), flood
 * errors, seconds, memory, and what a per-user sync (one `servergroupsbyclientid` per user plus
 * one command per change, as the old Python tools do) would issue on the same data. At the default
 * budget the run is paced (about 0.37 s per command): seconds ≈ commands × 3.3 s / 9.
 *
 *   npx node scripts/bench/teamspeak.ts [users=10000] [groups=50] [driftPercent=1] [--fast]
 *
 * `--fast` gives the fake and the adapter a 100 ms flood window (same commands, seconds not meaningful).
 */
import { pino } from 'pino';
import { createReconciler } from '../../src/sync/engine.ts';
import { createTeamspeakTarget, pacedBudget } from '../../src/sync/teamspeak/index.ts';
import { Group, GroupMapping, GroupMember, TeamspeakLink, User } from '../../src/store/entities/index.ts';
import { newId } from '../../src/crypto.ts';
import { startFakeTeamspeak } from '../../test/fakes/teamspeak/index.ts';
import { createTestDatabase } from '../../test/support/database.ts';
import { prng } from './_random.ts';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const fast = process.argv.includes('--fast');
const userCount = Number(args[0] ?? 10_000);
const groupCount = Number(args[1] ?? 50);
const driftPercent = Number(args[2] ?? 1);
/** Share of the users in each group. */
const membershipRate = 0.1;
const targetName = 'bench';
const budget = fast ? { commands: 10, windowMs: 100 } : { commands: 10, windowMs: 3000 };

async function insertInChunks<T extends object>(
  insert: (rows: T[]) => Promise<unknown>,
  rows: T[],
  size = 2000,
) {
  for (let i = 0; i < rows.length; i += size) await insert(rows.slice(i, i + size));
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

const database = await createTestDatabase();
// Default flood protection unless --fast: 10 commands per window, 600 s ban, nobody whitelisted.
const fake = await startFakeTeamspeak({ flood: { commands: budget.commands, windowMs: budget.windowMs } });
const logger = pino({ level: 'warn' }, pino.destination(2));
const target = createTeamspeakTarget(
  {
    name: targetName,
    host: fake.host,
    queryPort: fake.port,
    username: 'serveradmin',
    password: 'secret',
    commandsPerWindow: budget.commands,
    windowMs: budget.windowMs,
  },
  logger,
);
try {
  const random = prng(42);
  const seedStarted = process.hrtime.bigint();
  const now = new Date();

  // The directory: linked users who may log in, groups mapped onto the target, memberships.
  const users = Array.from({ length: userCount }, (_, i) => {
    const { cldbid } = fake.addDbClient({ nickname: `Pilot ${i}`, uid: `bench-uid-${i}=` });
    return { id: newId(), index: i, cldbid };
  });
  const groups = Array.from({ length: groupCount }, (_, i) => ({
    id: newId(),
    name: `Bench Group ${String(i + 1).padStart(3, '0')}`,
    members: users.filter(() => random() < membershipRate),
  }));
  const memberships = groups.reduce((n, g) => n + g.members.length, 0);

  // The server: each group as the directory wants it, then 1% of the memberships drifted,
  // half taken away (the run adds them back), half granted by hand to non-members (removed).
  const wanted = Math.round((memberships * driftPercent) / 100);
  const onServer = groups.map((g) => new Set(g.members.map((u) => u.cldbid)));
  let missing = 0;
  let extra = 0;
  for (let d = 0; d < wanted; d++) {
    const g = Math.floor(random() * groupCount);
    const set = onServer[g]!;
    const group = groups[g]!;
    if (d % 2 === 0) {
      const victim = group.members[Math.floor(random() * group.members.length)];
      if (victim && set.delete(victim.cldbid)) missing++;
      else d--;
    } else {
      const stranger = users[Math.floor(random() * userCount)]!;
      const isMember = group.members.some((u) => u === stranger);
      if (!isMember && !set.has(stranger.cldbid)) {
        set.add(stranger.cldbid);
        extra++;
      } else d--;
    }
  }
  const sgids = groups.map((g, i) => fake.createServerGroup(g.name, { members: [...onServer[i]!] }));
  // Groups Roster does not manage, with members: never read nor written.
  fake.createServerGroup('Not Roster', { members: users.slice(0, 100).map((u) => u.cldbid) });

  const em = database.db.fork();
  await insertInChunks(
    (rows) => em.insertMany(User, rows),
    users.map((u) => ({
      id: u.id,
      characterId: 90_000_000 + u.index,
      characterName: `Pilot ${u.index}`,
      corporationId: null,
      clearanceLevel: 0,
      authorizedToLogin: true,
      discordUserId: null,
      esiScopes: [],
      refreshToken: null,
      refreshTokenValid: null,
      lastLoginAt: null,
      createdAt: now,
      updatedAt: now,
    })),
  );
  await insertInChunks(
    (rows) => em.insertMany(TeamspeakLink, rows),
    users.map((u) => ({
      id: newId(),
      userId: u.id,
      target: targetName,
      clientDbId: u.cldbid,
      uniqueId: `bench-uid-${u.index}=`,
      createdAt: now,
    })),
  );
  await em.insertMany(
    Group,
    groups.map((g) => ({
      id: g.id,
      name: g.name,
      description: '',
      ownerId: null,
      kind: 'manual' as const,
      autoKey: null,
      authorizedToLogin: null,
      createdAt: now,
      updatedAt: now,
    })),
  );
  await em.insertMany(
    GroupMapping,
    groups.map((g, i) => ({
      id: newId(),
      groupId: g.id,
      platform: 'teamspeak' as const,
      target: targetName,
      platformGroupId: sgids[i]!,
      displayName: null,
      mode: 'managed' as const,
      createdAt: now,
      updatedAt: now,
    })),
  );
  await insertInChunks(
    (rows) => em.insertMany(GroupMember, rows),
    groups.flatMap((g) =>
      g.members.map((u) => ({ id: newId(), groupId: g.id, userId: u.id, createdAt: now })),
    ),
  );
  const seedSeconds = Number(process.hrtime.bigint() - seedStarted) / 1e9;

  await target.start();
  if (!target.status().connected)
    throw new Error(`could not connect to the fake: ${target.status().lastError}`);
  const connectCommands = fake.commandCount();
  fake.clearCommandLog();

  const reconciler = createReconciler(
    database.db,
    [target],
    { maxRemovalShare: 0.25, maxRemovals: 1000, removalGraceMinutes: 0 },
    logger,
  );
  const rssBeforeRunMb = round(process.memoryUsage().rss / 1024 / 1024, 1);
  const started = process.hrtime.bigint();
  const result = await reconciler.run('teamspeak', targetName, { trigger: 'bench' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  const log = fake.commandLog();
  const byName: Record<string, number> = {};
  for (const entry of log) byName[entry.name] = (byName[entry.name] ?? 0) + 1;
  const drifted = missing + extra;
  const changedGroups = new Set(
    [...(result.plan?.adds ?? []), ...(result.plan?.removes ?? [])].map((d) => d.mappingId),
  ).size;
  // Reads: one per managed group, plus servergrouplist and clientlist; writes: two per changed group.
  const bound = groupCount + 2 * changedGroups + 2;
  // Converged: every managed group on the server now as the directory wants it.
  const converged = groups.every((g, i) => {
    const actual = new Set(fake.groupMembers(sgids[i]!));
    return actual.size === g.members.length && g.members.every((u) => actual.has(u.cldbid));
  });
  const perUserWouldIssue = userCount + drifted;
  // What the adapter's pacer allows: `limit` commands per (slightly widened) window.
  const pace = pacedBudget({ commandsPerWindow: budget.commands, windowMs: budget.windowMs });
  const pacedSeconds = (commands: number) => round((commands * pace.windowMs) / pace.limit / 1000, 1);

  const report = {
    users: userCount,
    groups: groupCount,
    memberships,
    drifted,
    driftedDetail: { missingOnServer: missing, extraOnServer: extra },
    status: result.status,
    errors: result.errors,
    converged,
    plan: result.plan?.counts ?? null,
    changedGroups,
    commands: {
      total: log.length,
      byName,
      connect: connectCommands,
      bound,
      withinBound: log.length <= bound,
    },
    callsIssued: result.callsIssued,
    floodErrors: fake.floodEvents().length,
    refusedCommands: log.filter((e) => e.errorId !== 0).length,
    floodWindow: { commands: budget.commands, windowMs: budget.windowMs, fast },
    seconds: round(seconds),
    pacedSecondsPerCommand: round(pace.windowMs / pace.limit / 1000),
    pacingSeconds: pacedSeconds(log.length),
    seedSeconds: round(seedSeconds),
    rssMb: round(process.memoryUsage().rss / 1024 / 1024, 1),
    rssBeforeRunMb,
    peakRssMb: round(process.resourceUsage().maxRSS / 1024, 1),
    perUserWouldIssue: {
      commands: perUserWouldIssue,
      servergroupsbyclientid: userCount,
      changes: drifted,
      secondsAtSameBudget: pacedSeconds(perUserWouldIssue),
    },
    ratio: round(perUserWouldIssue / Math.max(1, log.length), 1),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (result.status !== 'applied') process.exitCode = 1;
} finally {
  await target.stop();
  await fake.close();
  await database.dispose();
}

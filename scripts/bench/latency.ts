/**
 * Benchmark: how long one member's change made through the control plane takes to show on the
 * platforms, at a community's size and at the platforms' default limits. The real daemon runs as
 * a process (`node src/main.ts`) on a temporary PostgreSQL database (pg-boss on the same
 * database), with one TeamSpeak target on the fake ServerQuery server and one Discord target on
 * the fake Discord API, both fakes at their real default limits (TeamSpeak: 10 commands per 3 s
 * for a query client that is not whitelisted, the daemon pacing itself to match; Discord: member
 * edits 10 per 10 s per guild, 10 per second per route, 50 per second in all).
 *
 * Seeded: U linked users and G groups mapped to both targets (each user in 10 % of them), the
 * server groups and roles already on the platforms with their members (a running community), so
 * the first full run adopts them. Then N times, spaced apart (each the first change of its
 * burst): `group.addMembers` or `group.removeMembers` of one user (alternately), and the time from
 * the mutation's return until the change is visible on the fake TeamSpeak and on the fake Discord
 * (each polled every 20 ms). Beside it, the same change made with a full run (`sync.run` of both
 * targets, the directory edited first), a few times.
 *
 *   npx node scripts/bench/latency.ts [samples=20] [--users=10000] [--groups=50] [--full-samples=2]
 *
 * Prints JSON, counts first: the calls of each scoped and full run (TeamSpeak commands, Discord
 * requests, from the runs the daemon recorded), then p50/p95 of the latency on each platform.
 * Cleans up after itself (daemon, fakes, database) even when it fails.
 */
import {
  createDaemonWorld,
  killDaemon,
  rosterClient,
  spawnDaemon,
  waitFor,
  type DaemonProcess,
  type DaemonWorld,
  type LinkedUser,
} from '../../test/support/daemon.ts';
import { addMember } from '../../test/support/rows.ts';
import { GroupMember } from '../../src/store/entities/index.ts';
import { prng } from './_random.ts';

const args = process.argv.slice(2);
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const samples = Number(args.find((a) => !a.startsWith('--')) ?? 20);
const userCount = Number(option('users') ?? 10_000);
const groupCount = Number(option('groups') ?? 50);
const fullSamples = Number(option('full-samples') ?? 2);
const membershipRate = 0.1;
const pollMs = 20;
/** A change that has not landed after this long fails the benchmark. */
const sampleLimitMs = 120_000;
/** Quiet time after a change landed on both, so that the next one starts a burst of its own. */
const spacingMs = 1_000;

for (const [name, value] of Object.entries({ samples, users: userCount, groups: groupCount }))
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
if (!Number.isInteger(fullSamples) || fullSamples < 0)
  throw new Error('--full-samples must be an integer >= 0');

const progress = (text: string) => process.stderr.write(`latency: ${text}\n`);

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

function stats(values: readonly number[]) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x);
  return {
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    minMs: round(sorted[0]!),
    maxMs: round(sorted.at(-1)!),
  };
}

function counts(values: readonly number[]) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return {
    runs: values.length,
    min: sorted[0]!,
    max: sorted.at(-1)!,
    mean: Math.round((sorted.reduce((a, b) => a + b, 0) / sorted.length) * 10) / 10,
  };
}

let world: DaemonWorld | undefined;
let daemon: DaemonProcess | undefined;
let cleaning: Promise<void> | null = null;

/** Stops the daemon (SIGTERM, SIGKILL if it lingers), closes the fakes and drops the database. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    if (daemon && daemon.child.exitCode === null && daemon.child.signalCode === null) {
      daemon.child.kill('SIGTERM');
      const stopped = await Promise.race([
        daemon.exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 30_000).unref()),
      ]);
      if (!stopped) await killDaemon(daemon);
    }
    await world?.dispose();
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

interface SeededGroup {
  readonly id: string;
  readonly name: string;
  readonly sgid: string;
  readonly roleId: string;
  readonly members: Set<LinkedUser>;
}

async function main() {
  world = await createDaemonWorld({ platformDefaults: true, syncDebounceSeconds: 0 });
  const w = world;
  const seeding = performance.now();
  const users = await w.addUsers(userCount, 'Bench');
  const random = prng(15);
  const groups: SeededGroup[] = [];
  for (let g = 0; g < groupCount; g++) {
    const name = `Latency ${String(g + 1).padStart(3, '0')}`;
    const members = users.filter(() => random() < membershipRate);
    const id = await w.seedMappedGroup(name, members);
    // Already on the platforms with its members: the first run adopts it by name.
    const sgid = w.teamspeak.createServerGroup(name, { members: members.map((u) => u.cldbid) });
    const role = w.discord.guild.addRole({ name });
    for (const u of members) w.discord.guild.members.get(u.discordId)!.roles.push(role.id);
    groups.push({ id, name, sgid, roleId: role.id, members: new Set(members) });
  }
  const memberships = groups.reduce((n, g) => n + g.members.size, 0);
  progress(
    `seeded ${userCount} users, ${groupCount} groups, ${memberships} memberships in ${((performance.now() - seeding) / 1000).toFixed(1)} s`,
  );

  const started = performance.now();
  daemon = await spawnDaemon(w.writeConfig(), { startTimeoutMs: 120_000 });
  const daemonStartSeconds = (performance.now() - started) / 1000;
  progress(`daemon listening on ${daemon.url} after ${daemonStartSeconds.toFixed(1)} s`);
  const api = rosterClient(daemon.url, w.token);
  const ts = { platform: 'teamspeak' as const, target: w.targets.teamspeak };
  const dc = { platform: 'discord' as const, target: w.targets.discord };

  // The first full runs adopt what is there (nothing to change) and leave the snapshot that scoped
  // runs need.
  const adoption = await Promise.all(
    [ts, dc].map(async (t) => {
      const t0 = performance.now();
      const r = await api.sync.run.mutate(t);
      if (r.status !== 'applied') throw new Error(`first run of ${t.platform}: ${r.status}: ${r.reason}`);
      return {
        calls: r.callsIssued,
        seconds: Math.round(performance.now() - t0) / 1000,
        adds: r.plan?.counts.adds ?? 0,
        removes: r.plan?.counts.removes ?? 0,
      };
    }),
  );
  progress(`first full runs (adoption): ${JSON.stringify(adoption)}`);
  // The changes start with TeamSpeak's flood window clear of the adoption's commands.
  await new Promise((r) => setTimeout(r, 3_000));

  const onTeamspeak = (g: SeededGroup, u: LinkedUser) =>
    w.teamspeak.server().group(g.sgid).members.has(u.cldbid);
  const onDiscord = (g: SeededGroup, u: LinkedUser) =>
    w.discord.guild.members.get(u.discordId)!.roles.includes(g.roleId);

  /** Waits until the membership (g, u) is `wanted` on both fakes; the time each took from t0. */
  async function landed(g: SeededGroup, u: LinkedUser, wanted: boolean, t0: number, what: string) {
    let teamspeak: number | null = null;
    let discord: number | null = null;
    const ok = await waitFor(
      () => {
        const now = performance.now() - t0;
        if (teamspeak === null && onTeamspeak(g, u) === wanted) teamspeak = now;
        if (discord === null && onDiscord(g, u) === wanted) discord = now;
        return teamspeak !== null && discord !== null;
      },
      sampleLimitMs,
      pollMs,
    );
    if (!ok || teamspeak === null || discord === null)
      throw new Error(
        `${what}: not on both platforms after ${sampleLimitMs} ms (teamspeak ${teamspeak}, discord ${discord})`,
      );
    return { teamspeak: teamspeak as number, discord: discord as number };
  }

  /** A user and a group for change i: alternately one more member, one member fewer. */
  function pick(i: number): { g: SeededGroup; u: LinkedUser; add: boolean } {
    const g = groups[Math.floor(random() * groups.length)]!;
    const add = i % 2 === 1;
    for (;;) {
      const u = users[Math.floor(random() * users.length)]!;
      if (g.members.has(u) !== add) return { g, u, add };
    }
  }

  const scoped = { teamspeak: [] as number[], discord: [] as number[] };
  for (let i = 1; i <= samples; i++) {
    const { g, u, add } = pick(i);
    if (add) await api.group.addMembers.mutate({ id: g.id, userIds: [u.id] });
    else await api.group.removeMembers.mutate({ id: g.id, userIds: [u.id] });
    const t0 = performance.now();
    const took = await landed(g, u, add, t0, `change ${i}`);
    if (add) g.members.add(u);
    else g.members.delete(u);
    scoped.teamspeak.push(took.teamspeak);
    scoped.discord.push(took.discord);
    progress(
      `change ${i}/${samples} (${add ? 'add' : 'remove'}): teamspeak ${Math.round(took.teamspeak)} ms, discord ${Math.round(took.discord)} ms`,
    );
    await new Promise((r) => setTimeout(r, spacingMs));
  }

  // The same change, made by a full run: the directory edited by hand, then sync.run of both.
  const full = {
    teamspeak: [] as number[],
    discord: [] as number[],
    calls: { teamspeak: [] as number[], discord: [] as number[] },
  };
  for (let i = 1; i <= fullSamples; i++) {
    const { g, u, add } = pick(i);
    const em = w.db.db.fork();
    if (add) {
      addMember(em, g.id, u.id);
      await em.flush();
    } else await em.nativeDelete(GroupMember, { groupId: g.id, userId: u.id });
    const t0 = performance.now();
    const [took, ...results] = await Promise.all([
      landed(g, u, add, t0, `full run ${i}`),
      api.sync.run.mutate(ts),
      api.sync.run.mutate(dc),
    ]);
    for (const r of results)
      if (r.status !== 'applied') throw new Error(`full run ${i} of ${r.platform}: ${r.status}: ${r.reason}`);
    if (add) g.members.add(u);
    else g.members.delete(u);
    full.teamspeak.push(took.teamspeak);
    full.discord.push(took.discord);
    full.calls.teamspeak.push(results[0]!.callsIssued);
    full.calls.discord.push(results[1]!.callsIssued);
    progress(
      `full run ${i}/${fullSamples}: teamspeak ${Math.round(took.teamspeak)} ms (${results[0]!.callsIssued} commands), discord ${Math.round(took.discord)} ms (${results[1]!.callsIssued} requests)`,
    );
  }

  // The calls of every event-driven run, as the daemon recorded them.
  const runs = await Promise.all(
    [ts, dc].map(async (t) => {
      const page = await api.sync.runs.query({ ...t, limit: 200 });
      return page.items.filter((r) => r.trigger.startsWith('group.')).map((r) => r.callsIssued);
    }),
  );

  const result = {
    benchmark: 'latency',
    users: userCount,
    groups: groupCount,
    memberships,
    samples,
    limits: {
      teamspeak:
        'fake flood protection at its default (10 commands per 3 s, ban beyond); daemon paced at 10 per 3 s',
      discord: 'fake at Discord’s limits: member edits 10 per 10 s per guild, 10 per s per route, 50 per s',
    },
    /** Calls per event-driven (scoped) run: TeamSpeak commands, Discord requests. */
    scopedRunCalls: { teamspeakCommands: counts(runs[0]!), discordRequests: counts(runs[1]!) },
    /** Calls per full run, the first (adopting what was there) and the later ones. */
    fullRunCalls: {
      adoption: { teamspeakCommands: adoption[0]!.calls, discordRequests: adoption[1]!.calls },
      teamspeakCommands: counts(full.calls.teamspeak),
      discordRequests: counts(full.calls.discord),
    },
    /** From the control-plane call returning to the change being visible on each fake. */
    scoped: { teamspeak: stats(scoped.teamspeak), discord: stats(scoped.discord) },
    /** From sync.run being called (the directory edited just before) to the change being visible. */
    full: {
      samples: fullSamples,
      teamspeak: stats(full.teamspeak),
      discord: stats(full.discord),
      adoptionSeconds: { teamspeak: adoption[0]!.seconds, discord: adoption[1]!.seconds },
    },
    pollMs,
    daemonStartSeconds: Math.round(daemonStartSeconds * 10) / 10,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

try {
  await main();
} catch (error) {
  progress(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  if (daemon) progress(`daemon stderr:\n${daemon.stderr()}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}

/**
 * Benchmark: how long a membership change made through the control plane takes to show on the
 * platforms. The real daemon runs as a process (`node src/main.ts`) on a temporary PostgreSQL
 * database (pg-boss on the same database), with one TeamSpeak target on the fake ServerQuery
 * server and one Discord target on the fake Discord API. One group is mapped to both; then N
 * times, one at a time: `group.addMembers` of one more user through tRPC, and the time from the
 * mutation's return until the user is in the server group on the fake TeamSpeak and has the role
 * on the fake Discord (each fake polled every 50 ms).
 *
 * The change reaches a platform through the debounced `sync` job (`startAfter` =
 * `jobs.syncDebounceSeconds`, default 2 s; workers poll every 0.5 s), so about 2 s is the floor;
 * the rest is the run itself (observe, plan, apply) and the polling.
 *
 *   npx node scripts/bench/latency.ts [samples=20] [--debounce=2] [--teamspeak-pace=100/1000]
 *
 * `--teamspeak-pace=10/3000` paces ServerQuery as TeamSpeak does for a query client that is not
 * whitelisted (the daemon's default); the default here is a whitelisted client's budget.
 *
 * Prints JSON: { samples, teamspeak: { p50Ms, p95Ms, ... }, discord: { ... }, both: { ... },
 * debounceSeconds, ... }. Cleans up after itself (daemon, fakes, database) even when it fails.
 */
import {
  createDaemonWorld,
  killDaemon,
  rosterClient,
  spawnDaemon,
  waitFor,
  type DaemonProcess,
  type DaemonWorld,
} from '../../test/support/daemon.ts';

const args = process.argv.slice(2);
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const samples = Number(args.find((a) => !a.startsWith('--')) ?? 20);
const debounceSeconds = Number(option('debounce') ?? 2);
const [paceCommands, paceWindowMs] = (option('teamspeak-pace') ?? '100/1000').split('/').map(Number);
const pollMs = 50;
/** A sample that has not landed after this long fails the benchmark. */
const sampleLimitMs = 30_000;

if (!Number.isInteger(samples) || samples < 1)
  throw new Error(`samples must be a positive integer, not ${args[0]}`);
if (!paceCommands || !paceWindowMs)
  throw new Error('--teamspeak-pace must be <commands>/<windowMs>, e.g. 10/3000');

const progress = (text: string) => process.stderr.write(`latency: ${text}\n`);

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

function stats(values: readonly number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x);
  return {
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    minMs: round(sorted[0]!),
    maxMs: round(sorted.at(-1)!),
    meanMs: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
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

async function main() {
  world = await createDaemonWorld({
    syncDebounceSeconds: debounceSeconds,
    teamspeakPace: { commandsPerWindow: paceCommands!, windowMs: paceWindowMs! },
  });
  const users = await world.addUsers(samples + 1, 'Bench');
  const started = performance.now();
  daemon = await spawnDaemon(world.writeConfig());
  const daemonStartSeconds = (performance.now() - started) / 1000;
  progress(`daemon listening on ${daemon.url} after ${daemonStartSeconds.toFixed(1)} s`);
  const api = rosterClient(daemon.url, world.token);
  const w = world;

  // The group exists on both platforms with its first member before anything is measured.
  const group = await api.group.create.mutate({ name: 'Latency' });
  await api.group.map.mutate({ id: group.id, platform: 'teamspeak', target: w.targets.teamspeak });
  await api.group.map.mutate({ id: group.id, platform: 'discord', target: w.targets.discord });
  await api.group.addMembers.mutate({ id: group.id, userIds: [users[0]!.id] });
  const warm = await waitFor(
    () =>
      (w.teamspeakMembers('Latency') ?? []).includes(users[0]!.cldbid) &&
      (w.discordMembers('Latency') ?? []).includes(users[0]!.discordId),
    sampleLimitMs,
  );
  if (!warm) throw new Error(`the mapped group did not appear on both platforms within ${sampleLimitMs} ms`);

  const teamspeak: number[] = [];
  const discord: number[] = [];
  const both: number[] = [];
  for (let i = 1; i <= samples; i++) {
    const user = users[i]!;
    await api.group.addMembers.mutate({ id: group.id, userIds: [user.id] });
    const t0 = performance.now();
    let onTeamspeak: number | null = null;
    let onDiscord: number | null = null;
    const landed = await waitFor(
      () => {
        const now = performance.now() - t0;
        if (onTeamspeak === null && (w.teamspeakMembers('Latency') ?? []).includes(user.cldbid))
          onTeamspeak = now;
        if (onDiscord === null && (w.discordMembers('Latency') ?? []).includes(user.discordId))
          onDiscord = now;
        return onTeamspeak !== null && onDiscord !== null;
      },
      sampleLimitMs,
      pollMs,
    );
    if (!landed || onTeamspeak === null || onDiscord === null)
      throw new Error(
        `sample ${i}: not on both platforms after ${sampleLimitMs} ms (teamspeak ${onTeamspeak}, discord ${onDiscord})`,
      );
    teamspeak.push(onTeamspeak);
    discord.push(onDiscord);
    both.push(Math.max(onTeamspeak, onDiscord));
    progress(
      `sample ${i}/${samples}: teamspeak ${Math.round(onTeamspeak)} ms, discord ${Math.round(onDiscord)} ms`,
    );
  }

  const result = {
    benchmark: 'latency',
    samples,
    teamspeak: stats(teamspeak),
    discord: stats(discord),
    /** Until the change shows on both platforms. */
    both: stats(both),
    debounceSeconds,
    pollMs,
    teamspeakPace: { commandsPerWindow: paceCommands, windowMs: paceWindowMs },
    daemonStartSeconds: Math.round(daemonStartSeconds * 10) / 10,
    note: `from group.addMembers returning to the member being visible on the fake; the sync job starts ${debounceSeconds} s after the first change of a burst (jobs.syncDebounceSeconds), which is the floor`,
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

/**
 * Benchmark: the daemon's memory over many consecutive reconciles. The real daemon runs as a
 * process (`node src/main.ts`, pg-boss on the same temporary PostgreSQL database) with one
 * TeamSpeak target on the fake ServerQuery server; the directory holds 10,000 linked users and 50
 * mapped groups (each user in 10 % of them). The first run creates the groups; then, N times:
 * 1 % of the memberships are drifted by hand on the fake (half removed, half granted to
 * non-members), `sync.run` is called through tRPC, and the daemon's RSS (/proc/<pid>/status) and
 * V8 heap (its /metrics) are read once the run has returned.
 *
 * Prints JSON: the sizes, every run's { rssMb, heapMb, seconds }, and the summary: the RSS and
 * heap at the start and end of the steady state, the slope (MB per run, least squares over the
 * runs after the warm-up), the growth over the steady state in percent, the peak RSS (VmHWM).
 *
 *   npx node scripts/bench/soak.ts [runs=200] [--users=10000] [--groups=50] [--drift=1]
 *     [--discord] [--bare] [--node-options='--max-old-space-size=256'] [--snapshots=<dir>]
 *
 * The daemon runs with the node flags of `npm start` (package.json); `--bare` leaves them out.
 * `--discord` maps the groups onto a fake Discord guild too (the roles and nicknames already there,
 * adopted by the first run), drifts 1 % there as well and runs both targets each time.
 *
 * Linux only (reads /proc). The ServerQuery pace is a whitelisted client's (1000 per second): the
 * figures are memory, not time.
 */
import { readFileSync } from 'node:fs';
import { addGroup, addMapping } from '../../test/support/rows.ts';
import {
  createDaemonWorld,
  killDaemon,
  rosterClient,
  sortedIds,
  spawnDaemon,
  type DaemonProcess,
  type DaemonWorld,
} from '../../test/support/daemon.ts';
import { prng } from './_random.ts';
import { startFlags } from './_start-flags.ts';

const args = process.argv.slice(2);
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const runs = Number(args.find((a) => !a.startsWith('--')) ?? 200);
const userCount = Number(option('users') ?? 10_000);
const groupCount = Number(option('groups') ?? 50);
const driftPercent = Number(option('drift') ?? 1);
/** --discord: the groups are mapped onto the fake Discord guild too, drifted and synced there as well. */
const withDiscord = args.includes('--discord');
const membershipRate = 0.1;
/** Runs before the steady state: the first (creating the groups) and the JIT's and caches' warm-up. */
const warmup = Math.min(10, Math.floor(runs / 4));

for (const [name, value] of Object.entries({ runs, users: userCount, groups: groupCount }))
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
if (!(driftPercent >= 0 && driftPercent <= 100)) throw new Error('--drift must be a percentage');

const progress = (text: string) => process.stderr.write(`soak: ${text}\n`);
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** VmRSS and VmHWM (peak) of a process, in bytes. */
function processMemory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) =>
    Number(/\s(\d+) kB/.exec(status.split('\n').find((l) => l.startsWith(key)) ?? '')?.[1]);
  return { rss: kb('VmRSS:') * 1024, peak: kb('VmHWM:') * 1024 };
}

/** The daemon's V8 heap (used and committed) and external memory, from its Prometheus metrics. */
async function heapOf(url: string): Promise<{ used: number; total: number; external: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) =>
    Number(
      text
        .split('\n')
        .find((l) => l.startsWith(`${name} `))
        ?.split(' ')[1] ?? Number.NaN,
    );
  return {
    used: value('nodejs_heap_size_used_bytes'),
    total: value('nodejs_heap_size_total_bytes'),
    external: value('nodejs_external_memory_bytes'),
  };
}
const heapUsed = async (url: string) => (await heapOf(url)).used;

/** Least-squares slope of ys over their indices. */
function slope(ys: readonly number[]): number {
  const n = ys.length;
  if (n < 2) return 0;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : Number.NaN;
};

let world: DaemonWorld | undefined;
let daemon: DaemonProcess | undefined;

async function main() {
  world = await createDaemonWorld({ teamspeakPace: { commandsPerWindow: 1000, windowMs: 1000 } });
  const w = world;
  const seeding = performance.now();
  const users = await w.addUsers(userCount, 'Soak');
  const random = prng(14);
  const groups: { name: string; members: string[]; discord: string[] }[] = [];
  {
    const em = w.db.db.fork();
    for (let g = 0; g < groupCount; g++) {
      const name = `Soak ${String(g + 1).padStart(3, '0')}`;
      const members = users.filter(() => random() < membershipRate);
      const group = addGroup(
        em,
        name,
        members.map((u) => u.id),
      );
      addMapping(em, group.id, 'teamspeak', w.targets.teamspeak);
      if (withDiscord) addMapping(em, group.id, 'discord', w.targets.discord);
      groups.push({ name, members: members.map((u) => u.cldbid), discord: members.map((u) => u.discordId) });
    }
    await em.flush();
  }
  const memberships = groups.reduce((n, g) => n + g.members.length, 0);
  // On Discord the roles exist already, with their members and nicknames: the first run adopts
  // them (by name) instead of editing 10,000 members at the fake's rate limits.
  const guild = w.discord.guild;
  const roleOf = new Map<string, string>();
  if (withDiscord) {
    for (const u of users) guild.members.get(u.discordId)!.nick = u.name;
    for (const g of groups) {
      const role = guild.addRole({ name: g.name });
      roleOf.set(g.name, role.id);
      for (const id of g.discord) guild.members.get(id)!.roles.push(role.id);
    }
  }
  progress(
    `seeded ${userCount} users, ${groupCount} groups, ${memberships} memberships in ${((performance.now() - seeding) / 1000).toFixed(1)} s`,
  );

  // --snapshots=<dir>: the daemon writes a V8 heap snapshot there on SIGUSR2 (idle, after the first
  // run, after the last), to find what it retains.
  // --node-options='...': flags for the daemon's node (e.g. --max-old-space-size=256).
  const snapshots = option('snapshots');
  const nodeOptions = [
    option('node-options') ?? '',
    snapshots ? `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapshots}` : '',
  ].join(' ');
  // As `npm start` runs it (its node flags: a collection after each run, a small young generation);
  // --bare: without them.
  daemon = await spawnDaemon(w.writeConfig(), {
    startTimeoutMs: 120_000,
    nodeArgs: args.includes('--bare') ? [] : startFlags(),
    ...(nodeOptions.trim() ? { env: { NODE_OPTIONS: nodeOptions.trim() } } : {}),
  });
  const snapshot = async (label: string) => {
    if (!snapshots) return;
    progress(`heap snapshot (${label})`);
    daemon!.child.kill('SIGUSR2');
    // Writing it blocks the daemon; the next request is answered once it is written.
    await heapUsed(daemon!.url);
  };
  const pid = daemon.child.pid!;
  const api = rosterClient(daemon.url, w.token);
  const idle = { rssMb: mb(processMemory(pid).rss), heapMb: mb(await heapUsed(daemon.url)) };
  progress(`daemon listening; idle RSS ${idle.rssMb} MB, heap ${idle.heapMb} MB`);
  await snapshot('idle');

  const server = w.teamspeak.server();
  const sgidOf = new Map<string, string>();
  const cldbids = users.map((u) => u.cldbid);
  const perRun = Math.round((memberships * driftPercent) / 100);
  /** 1 % of the memberships changed by hand on the server: half taken away, half granted. */
  const drift = () => {
    for (let d = 0; d < perRun; d++) {
      const group = groups[Math.floor(random() * groups.length)]!;
      const members = server.group(sgidOf.get(group.name)!).members;
      if (d % 2 === 0) {
        const victim = group.members[Math.floor(random() * group.members.length)];
        if (victim) members.delete(victim);
      } else members.add(cldbids[Math.floor(random() * cldbids.length)]!);
      if (!withDiscord) continue;
      const role = roleOf.get(group.name)!;
      if (d % 2 === 0) {
        const victim = guild.members.get(group.discord[Math.floor(random() * group.discord.length)]!);
        if (victim) victim.roles = victim.roles.filter((r) => r !== role);
      } else {
        const stranger = guild.members.get(users[Math.floor(random() * users.length)]!.discordId)!;
        if (!stranger.roles.includes(role)) stranger.roles.push(role);
      }
    }
  };

  const samples: {
    run: number;
    status: string;
    seconds: number;
    rssMb: number;
    heapMb: number;
    heapTotalMb: number;
    externalMb: number;
  }[] = [];
  for (let run = 1; run <= runs; run++) {
    if (run > 1) drift();
    w.teamspeak.clearCommandLog();
    const started = performance.now();
    const result = await api.sync.run.mutate({ platform: 'teamspeak', target: w.targets.teamspeak });
    const seconds = Math.round(performance.now() - started) / 1000;
    if (result.status !== 'applied') throw new Error(`run ${run}: ${result.status}: ${result.reason}`);
    if (withDiscord) {
      const onDiscord = await api.sync.run.mutate({ platform: 'discord', target: w.targets.discord });
      if (onDiscord.status !== 'applied')
        throw new Error(`run ${run} on Discord: ${onDiscord.status}: ${onDiscord.reason}`);
    }
    if (run === 1)
      for (const g of w.teamspeak.serverGroups()) if (g.name.startsWith('Soak ')) sgidOf.set(g.name, g.sgid);
    const heap = await heapOf(daemon.url);
    const sample = {
      run,
      status: result.status,
      seconds,
      rssMb: mb(processMemory(pid).rss),
      heapMb: mb(heap.used),
      heapTotalMb: mb(heap.total),
      externalMb: mb(heap.external),
    };
    samples.push(sample);
    progress(
      `run ${run}/${runs}: ${sample.seconds} s, RSS ${sample.rssMb} MB, heap ${sample.heapMb} MB (committed ${sample.heapTotalMb} MB), external ${sample.externalMb} MB`,
    );
    if (run === 1 || run === runs) await snapshot(`after run ${run}`);
  }
  // Converged: every group on the server as the directory wants it after the last run.
  const converged =
    groups.every((g) => {
      const actual = server.group(sgidOf.get(g.name)!).members;
      return actual.size === g.members.length && g.members.every((c) => actual.has(c));
    }) &&
    (!withDiscord ||
      groups.every((g) => JSON.stringify(w.discordMembers(g.name)) === JSON.stringify(sortedIds(g.discord))));
  await new Promise((r) => setTimeout(r, 5_000));
  const idleAfter = { rssMb: mb(processMemory(pid).rss), heapMb: mb(await heapUsed(daemon.url)) };

  const steady = samples.slice(warmup);
  const rss = steady.map((s) => s.rssMb);
  const heap = steady.map((s) => s.heapMb);
  const window = Math.max(1, Math.min(10, Math.floor(steady.length / 4)));
  const start = { rssMb: median(rss.slice(0, window)), heapMb: median(heap.slice(0, window)) };
  const end = { rssMb: median(rss.slice(-window)), heapMb: median(heap.slice(-window)) };
  const result = {
    benchmark: 'soak',
    runs,
    nodeFlags: args.includes('--bare') ? [] : startFlags(),
    nodeOptions: option('node-options') ?? null,
    users: userCount,
    groups: groupCount,
    platforms: withDiscord ? ['teamspeak', 'discord'] : ['teamspeak'],
    memberships,
    driftPerRun: perRun,
    converged,
    idleBeforeFirstRun: idle,
    firstRun: samples[0],
    steadyState: {
      warmupRuns: warmup,
      /** Medians of the first and last `window` runs after the warm-up. */
      window,
      start,
      end,
      rssGrowthPercent: Math.round(((end.rssMb - start.rssMb) / start.rssMb) * 1000) / 10,
      heapGrowthPercent: Math.round(((end.heapMb - start.heapMb) / start.heapMb) * 1000) / 10,
      rssSlopeMbPerRun: Math.round(slope(rss) * 1000) / 1000,
      heapSlopeMbPerRun: Math.round(slope(heap) * 1000) / 1000,
      maxRssMb: Math.max(...rss),
    },
    peakRssMb: mb(processMemory(pid).peak),
    idleAfterLastRun: idleAfter,
    secondsPerRun: median(samples.map((s) => s.seconds)),
    samples: samples.map((s) => [s.run, s.rssMb, s.heapMb, s.heapTotalMb, s.externalMb, s.seconds]),
    samplesColumns: ['run', 'rssMb', 'heapMb', 'heapTotalMb', 'externalMb', 'seconds'],
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

try {
  await main();
} catch (error) {
  progress(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  if (daemon) progress(`daemon stderr:\n${daemon.stderr()}`);
  process.exitCode = 1;
} finally {
  await killDaemon(daemon);
  await world?.dispose();
}

/**
 * Benchmark: the pure planner on a large community. Generates a directory of 100,000 users in
 * 500 corporations (50 alliances, 5 coalitions) and 500 manual groups, each user in ~10 of them,
 * 90 % linked to a Discord account; all 500 groups mapped to one guild. The observed guild has
 * 1 % of the memberships missing, 1 % extra, and 5 % of nicknames off. Times desiredState() and
 * plan() separately and prints JSON with seconds and memory (MB). Target: < 1 s and < 300 MB.
 * It runs with the daemon's node flags (package.json's start script: a small young generation),
 * re-executing itself with them if started without.
 *
 *   npx node scripts/bench/planner.ts [users=100000] [groups=500] [groupsPerUser=10]
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type {
  AllianceFacts,
  CoalitionFacts,
  CorporationFacts,
  Directory,
  GroupFacts,
  UserFacts,
} from '../../src/domain/index.ts';
import { desiredState, type MappingFacts } from '../../src/sync/desired.ts';
import { plan, countAccounts } from '../../src/sync/plan.ts';
import type { PlatformGroup } from '../../src/sync/target.ts';
import { prng } from './_random.ts';
import { startFlags, withStartFlags } from './_start-flags.ts';

// Measured as the daemon runs (its node flags, from package.json's start script).
withStartFlags(import.meta.filename);

const [users = 100_000, groups = 500, groupsPerUser = 10] = process.argv.slice(2).map(Number);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const heap = () => process.memoryUsage().heapUsed;

const random = prng(8);
const pick = (n: number) => Math.floor(random() * n);

// --- The directory -----------------------------------------------------------------------------
const allianceCount = 50;
const corporationCount = 500;
const alliances = new Map<number, AllianceFacts>();
for (let i = 0; i < allianceCount; i++) {
  const allianceId = 99_000_000 + i;
  alliances.set(allianceId, {
    allianceId,
    name: `Alliance ${i}`,
    ticker: `AL${i}`,
    executorCorporationId: null,
    // A few alliances are shut out: their members may not log in.
    authorizedToLogin: i % 25 === 24 ? false : true,
    mandatoryEsiScopes: [],
  });
}
const corporations = new Map<number, CorporationFacts>();
for (let i = 0; i < corporationCount; i++) {
  const corporationId = 98_000_000 + i;
  corporations.set(corporationId, {
    corporationId,
    name: `Corporation ${i}`,
    ticker: `C${i}`,
    ceoCharacterId: null,
    allianceId: i % 10 === 9 ? null : 99_000_000 + (i % allianceCount),
    authorizedToLogin: i % 10 === 9 ? true : null,
    mandatoryEsiScopes: [],
  });
}
const coalitions: CoalitionFacts[] = Array.from({ length: 5 }, (_, i) => ({
  id: `coalition-${i}`,
  name: `Coalition ${i}`,
  ticker: `CO${i}`,
  allianceIds: Array.from({ length: 10 }, (_, k) => 99_000_000 + i * 10 + k),
  corporationIds: [98_000_000 + i * 10 + 9],
  authorizedToLogin: null,
  mandatoryEsiScopes: [],
}));
const groupFacts = new Map<string, GroupFacts>();
for (let g = 0; g < groups; g++) {
  const id = `group-${g}`;
  groupFacts.set(id, {
    id,
    name: `Group ${g}`,
    kind: 'manual',
    authorizedToLogin: g === groups - 1 ? false : null,
    ownerId: null,
  });
}

const userFacts = new Map<string, UserFacts>();
const groupsOfUser = new Map<string, Set<string>>();
const membersOf = new Map<string, string[]>([...groupFacts.keys()].map((id) => [id, []]));
const accountOf = new Map<string, string>();
for (let u = 0; u < users; u++) {
  const id = `user-${u}`;
  userFacts.set(id, {
    id,
    characterId: 2_100_000_000 + u,
    characterName: `Pilot ${u}`,
    corporationId: 98_000_000 + pick(corporationCount),
    clearanceLevel: u % 50 === 0 ? -1 : 0,
    authorizedToLogin: null,
  });
  const mine = new Set<string>();
  // About `groupsPerUser` groups each, skewed so that some groups are much larger than others.
  while (mine.size < groupsPerUser) mine.add(`group-${Math.floor(groups * random() ** 2)}`);
  groupsOfUser.set(id, mine);
  for (const g of mine) membersOf.get(g)!.push(id);
  if (u % 10 !== 0) accountOf.set(id, String(100_000_000_000_000_000n + BigInt(u)));
}
const dir: Directory = {
  users: userFacts,
  corporations,
  alliances,
  coalitions,
  groups: groupFacts,
  groupsOfUser,
};
const mappings: MappingFacts[] = [...groupFacts.keys()].map((groupId, i) => ({
  id: `mapping-${i}`,
  groupId,
  platformGroupId: String(200_000_000_000_000_000n + BigInt(i)),
  displayName: null,
  mode: i % 20 === 0 ? 'grantOnly' : 'managed',
}));

// What building the directory left behind goes before the observation is built, as in a run,
// where the directory is read before the platform is.
gc();

// --- The observed guild: what the directory wants, with drift ---------------------------------
// A desired state is computed once here only to shape a realistic observation; the timed calls
// below start from scratch.
const observed = new Map<string, Set<string>>();
const lastApplied = new Map<string, ReadonlySet<string>>();
const linked = [...accountOf.values()];
const observedNicknames = new Map<string, string | null>();
const platformGroups: PlatformGroup[] = Array.from({ length: 50 }, (_, i) => ({
  id: String(300_000_000_000_000_000n + BigInt(i)),
  name: `Unmanaged ${i}`,
}));
{
  const truth = desiredState('discord', dir, mappings, accountOf, membersOf);
  for (const group of truth.groups) {
    const members = new Set<string>();
    for (const account of group.members) if (random() >= 0.01) members.add(account);
    // What the last run applied is what the directory wanted: the desired set itself, not a copy.
    lastApplied.set(group.platformGroupId!, group.members);
    const extra = Math.ceil(group.members.size * 0.01);
    for (let k = 0; k < extra; k++) members.add(linked[pick(linked.length)]!);
    observed.set(group.platformGroupId!, members);
    platformGroups.push({ id: group.platformGroupId!, name: group.displayName });
  }
  for (const account of linked) observedNicknames.set(account, null);
  for (const [account, nickname] of truth.nicknames)
    observedNicknames.set(account, random() < 0.05 ? 'someone else' : nickname);
}
const presentAccounts = new Set(observedNicknames.keys());
const memberships = [...membersOf.values()].reduce((n, list) => n + list.length, 0);

// --- Timed: desiredState, then plan; three rounds (the first with a cold JIT, as after a start) --
const seconds = (a: bigint, b: bigint) => Math.round((Number(b - a) / 1e9) * 1000) / 1000;
/** CPU time of the process (all threads, so GC helpers too): a figure a busy machine distorts less. */
const cpu = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) =>
  Math.round((b.user + b.system - a.user - a.system) / 1000) / 1000;
function round() {
  gc();
  const heapBefore = heap();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const desired = desiredState('discord', dir, mappings, accountOf, membersOf);
  const t1 = process.hrtime.bigint();
  const c1 = process.cpuUsage();
  const heapAfterDesired = heap();
  const result = plan({
    platform: 'discord',
    target: 'bench',
    desired: desired.groups,
    platformGroups,
    observed,
    presentAccounts,
    desiredNicknames: desired.nicknames,
    observedNicknames,
    pendingRemovals: new Map(),
    now: new Date(),
    removalGraceMs: 0,
    lastApplied,
  });
  const t2 = process.hrtime.bigint();
  const c2 = process.cpuUsage();
  const peakHeap = Math.max(heapAfterDesired, heap()) - heapBefore;
  gc();
  return {
    desired,
    result,
    seconds: { desiredState: seconds(t0, t1), plan: seconds(t1, t2), total: seconds(t0, t2) },
    cpuSeconds: { desiredState: cpu(c0, c1), plan: cpu(c1, c2), total: cpu(c0, c2) },
    peakHeap,
    retainedHeap: heap() - heapBefore,
  };
}
const rssMb = () => mb(process.resourceUsage().maxRSS * 1024);
const inputsRss = rssMb();
gc();
const inputsHeap = mb(heap());
const rounds = [round()];
const firstRoundRss = rssMb();
rounds.push(round(), round());
const first = rounds[0]!;
const best = rounds.reduce((a, b) => (b.seconds.total < a.seconds.total ? b : a));

const report = {
  users,
  groups,
  memberships,
  linkedAccounts: accountOf.size,
  desiredMemberships: first.desired.groups.reduce((n, g) => n + g.members.size, 0),
  plan: {
    adds: countAccounts(first.result.adds),
    removes: countAccounts(first.result.removes),
    nicknames: first.result.nicknames.length,
    creates: first.result.creates.length,
    driftAdded: first.result.drift.added,
    driftRemoved: first.result.drift.removed,
  },
  /** Wall time of the first round (cold JIT, as the first reconcile after a start). */
  seconds: first.seconds,
  cpuSeconds: first.cpuSeconds,
  /** The fastest of three rounds (warm, as every later reconcile). */
  bestSeconds: best.seconds,
  bestCpuSeconds: best.cpuSeconds,
  memoryMb: {
    /** Heap the planner's work added at its peak (inputs excluded, its garbage included). */
    plannerPeakHeap: mb(first.peakHeap),
    /** Heap its results hold after a GC. */
    plannerRetainedHeap: mb(first.retainedHeap),
    /** Peak RSS of the whole process once the 100k-user directory and the observation were built. */
    inputsPeakRss: inputsRss,
    /** Heap the inputs hold (directory, memberships, observation) after a GC. */
    inputsHeap,
    /** Peak RSS of the whole process after the first round: inputs plus the planner's work. */
    processPeakRss: firstRoundRss,
  },
  /** The daemon's node flags, which this process runs with. */
  nodeFlags: startFlags(),
  target: { seconds: 1, megabytes: 300 },
};
process.stdout.write(`${JSON.stringify(report)}\n`);

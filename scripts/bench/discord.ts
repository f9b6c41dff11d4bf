/**
 * Benchmark: one reconcile of a 10,000-member guild with 50 mapped roles and 1% drift, through
 * the real Discord adapter against the fake Discord API with Discord's limits (member edits 10
 * per 10 s per guild, global 50/s): so it takes about (drifted members / 10) × 10 s.
 * Prints JSON: calls issued, list pages, PATCHes, 429s, seconds, peak memory, and what a
 * per-user approach (GET + PATCH per member) and a per-role approach (PUT/DELETE per role
 * change) would issue on the same data.
 *
 *   npx node scripts/bench/discord.ts [members=10000] [roles=50] [driftPercent=1] [--fast]
 *
 * `--fast` shortens the member-edit window to 100 ms (same call counts, seconds not meaningful).
 */
import { createDiscordTarget } from '../../src/sync/discord/index.ts';
import type { ApplyBatch, MembershipChange } from '../../src/sync/target.ts';
import { defaultRateLimits, startFakeDiscord } from '../../test/fakes/discord/index.ts';
import { prng } from './_random.ts';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const fast = process.argv.includes('--fast');
const memberCount = Number(args[0] ?? 10_000);
const roleCount = Number(args[1] ?? 50);
const driftPercent = Number(args[2] ?? 1);

const memberEdit = fast ? { limit: 10, windowMs: 100 } : defaultRateLimits.memberEdit;
const fake = await startFakeDiscord({ rateLimits: { ...defaultRateLimits, memberEdit } });
const target = createDiscordTarget({
  name: 'bench',
  token: fake.botToken,
  guildId: fake.guild.id,
  apiBaseUrl: fake.url,
});
try {
  const random = prng(42);
  const g = fake.guild;
  const unmanaged = g.addRole({ name: 'Not Roster' }).id;
  const roles = Array.from({ length: roleCount }, (_, i) => g.addRole({ name: `Group ${i + 1}` }).id);
  const desired = new Map(roles.map((r) => [r, new Set<string>()] as const));
  let drifted = 0;
  let roleChanges = 0;
  for (let i = 0; i < memberCount; i++) {
    const wanted = roles.filter(() => random() < 0.1);
    const actual = new Set(wanted);
    if (random() < driftPercent / 100) {
      drifted++;
      const changes = 1 + Math.floor(random() * 2);
      for (let c = 0; c < changes; c++) {
        const role = roles[Math.floor(random() * roles.length)] ?? '';
        if (actual.has(role)) actual.delete(role);
        else actual.add(role);
      }
      roleChanges += [...new Set([...wanted, ...actual])].filter(
        (r) => wanted.includes(r) !== actual.has(r),
      ).length;
    }
    const extra = random() < 0.3 ? [unmanaged] : [];
    const id = g.addMember({ roles: [...actual, ...extra] }).user.id;
    for (const role of wanted) desired.get(role)?.add(id);
  }

  let peakRss = 0;
  let peakHeap = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const sampler = setInterval(sample, 50);
  fake.clearRecords();
  const started = performance.now();

  const observed = await target.observe(roles);
  const observeSeconds = (performance.now() - started) / 1000;
  const adds: MembershipChange[] = [];
  const removes: MembershipChange[] = [];
  for (const role of roles) {
    const want = desired.get(role) ?? new Set<string>();
    const have = observed.members.get(role) ?? new Set<string>();
    const add = [...want].filter((id) => !have.has(id));
    const remove = [...have].filter((id) => !want.has(id));
    if (add.length) adds.push({ groupId: role, accountIds: add });
    if (remove.length) removes.push({ groupId: role, accountIds: remove });
  }
  const batch: ApplyBatch = { runId: 'bench', adds, removes, nicknames: [], reason: 'Roster bench run' };
  const report = await target.apply(batch);
  const seconds = (performance.now() - started) / 1000;
  sample();
  clearInterval(sampler);

  const calls = target.callsIssued();
  const byRoute = target.callsByRoute();
  const patches = fake.count('PATCH /guilds/:guild/members/:user');
  const listPages = fake.count('GET /guilds/:guild/members');
  const check = await target.observe(roles);
  const converged = roles.every((r) => {
    const want = desired.get(r) ?? new Set<string>();
    const have = check.members.get(r) ?? new Set<string>();
    return want.size === have.size && [...want].every((id) => have.has(id));
  });
  const editWindow = memberEdit.windowMs / 1000;
  const floor = (edits: number): number => Math.max(0, Math.ceil(edits / memberEdit.limit) - 1) * editWindow;

  const result = {
    members: memberCount,
    roles: roleCount,
    driftedMembers: drifted,
    roleChanges,
    fastWindows: fast,
    roster: {
      callsIssued: calls,
      listPages,
      patches,
      callsByRoute: byRoute,
      received429: target.rateLimitStats().received429,
      fake429: fake.stats().rateLimited,
      rateLimitWaits: target.rateLimitStats().waits,
      report: {
        added: report.added,
        removed: report.removed,
        skipped: report.skipped.length,
        errors: report.errors,
      },
      converged,
      observeSeconds: Math.round(observeSeconds * 1000) / 1000,
      seconds: Math.round(seconds * 1000) / 1000,
      floorSeconds: floor(patches),
      peakRssMb: Math.round((peakRss / 1024 / 1024) * 10) / 10,
      peakHeapMb: Math.round((peakHeap / 1024 / 1024) * 10) / 10,
    },
    perUser: {
      calls: memberCount * 2,
      gets: memberCount,
      patches: memberCount,
      floorSeconds: floor(memberCount),
    },
    perRole: { calls: roleChanges, putsAndDeletes: roleChanges, floorSeconds: floor(roleChanges) },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await target.stop();
  await fake.close();
}

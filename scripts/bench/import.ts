/**
 * Benchmark: import 10,000 Alliance Auth users (each a main and an alt, a state, a group, a
 * Discord and a TeamSpeak link: 20,000 characters) into the embedded database: reading the
 * dumpdata JSON, the dry run, the import in one transaction, and the re-run that changes nothing.
 * The import reads no ESI (the export carries the facts): `esiCalls` says so. Prints
 * `{ users, characters, esiCalls, seconds: { read, plan, apply, rerun }, memory, rssMb, heapMb }`:
 * `memory` has the RSS, heap and peak RSS so far after each step (`opened` is the embedded
 * database alone, before anything is imported: PGlite's WebAssembly memory). Before the dry run
 * the TeamSpeak identities are resolved on the fake ServerQuery server (every main's client
 * carries AA's sso_uid), at TeamSpeak's default flood budget (10 commands per 3 s):
 * `teamspeak.commands` and `seconds.teamspeak` say what that costs.
 *
 *   npx node scripts/bench/import.ts [aaUsers]
 */
import { readAllianceAuth } from '../../src/import/alliance-auth.ts';
import { openImportTeamspeakLookup } from '../../src/sync/teamspeak/import-lookup.ts';
import { applyImport, planImport } from '../../src/services/import.ts';
import { resolveTeamspeakIdentities } from '../../src/services/import-teamspeak.ts';
import { teamspeakTargetSchema } from '../../src/config/schema.ts';
import { startFakeTeamspeak } from '../../test/fakes/teamspeak/index.ts';
import { bootstrap } from '../../src/services/bootstrap.ts';
import { User } from '../../src/store/entities/index.ts';
import { openDatabase } from '../../src/store/orm.ts';
import { largeAllianceAuthDump } from '../../test/import/fixtures.ts';

const count = Number(process.argv[2] ?? 10_000);
const targets = { teamspeak: 'main', discord: 'guild' };
const text = JSON.stringify(largeAllianceAuthDump(count));
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const memory: Record<string, { rssMb: number; heapMb: number; peakRssMb: number }> = {};
const sample = (step: string) => {
  const m = process.memoryUsage();
  const peakRssMb = mb(process.resourceUsage().maxRSS * 1024);
  memory[step] = { rssMb: mb(m.rss), heapMb: mb(m.heapUsed), peakRssMb };
};
const ts = await startFakeTeamspeak({ flood: { commands: 10, windowMs: 3000 } });
for (let i = 0; i < count; i++)
  ts.addDbClient({ nickname: `Big Main ${i}`, custom: { sso_uid: `[BIG]_Big_Main_${i}` } });
const db = await openDatabase({ url: '', dataDir: ':memory:' });
sample('opened');
try {
  await db.migrate();
  const { rootId } = await bootstrap(db.fork());
  // CPU seconds too: on a loaded machine they say more than the wall clock.
  const cpuSeconds: Record<string, number> = {};
  const time = async <T>(work: () => Promise<T> | T, step: string): Promise<[T, number]> => {
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const value = await work();
    const used = process.cpuUsage(cpu);
    cpuSeconds[step] = Math.round((used.user + used.system) / 1000) / 1000;
    return [value, Math.round(Number(process.hrtime.bigint() - started) / 1e6) / 1000];
  };
  const [source, read] = await time(() => readAllianceAuth(JSON.parse(text)), 'read');
  sample('read');
  const lookup = await openImportTeamspeakLookup(
    teamspeakTargetSchema.parse({
      name: targets.teamspeak,
      host: ts.host,
      queryPort: ts.port,
      username: 'serveradmin',
      password: 'secret',
    }),
  );
  ts.clearCommandLog();
  const [teamspeak, resolving] = await time(
    () => resolveTeamspeakIdentities(source.users, lookup),
    'teamspeak',
  );
  const teamspeakCommands = ts.commandLog().map((e) => e.name);
  await lookup.close();
  sample('teamspeak');
  const options = { teamspeak };
  const [plan, planned] = await time(() => planImport(db.fork(), source, targets, options), 'plan');
  sample('plan');
  const [applied, apply] = await time(
    () => applyImport(db.fork(), source, targets, rootId, options),
    'apply',
  );
  sample('apply');
  const [again, rerun] = await time(() => applyImport(db.fork(), source, targets, rootId, options), 'rerun');
  sample('rerun');
  const users = await db.fork().count(User, { characterId: { $gt: 0 } });
  if (
    users !== 2 * count ||
    !again.upToDate ||
    applied.counts.users.created !== 2 * count ||
    applied.counts.teamspeakLinks.created !== count
  )
    throw new Error(`import incomplete: ${users} users, re-run up to date: ${again.upToDate}`);
  const end = process.memoryUsage();
  const result = {
    aaUsers: count,
    characters: users,
    dumpMb: Math.round(text.length / 1024 / 102.4) / 10,
    created: applied.counts,
    problems: plan.problems.length,
    teamspeak: {
      linked: applied.counts.teamspeakLinks.created,
      commands: teamspeakCommands.length,
      commandCounts: Object.fromEntries(
        [...new Set(teamspeakCommands)].map((n) => [n, teamspeakCommands.filter((c) => c === n).length]),
      ),
    },
    esiCalls: 0,
    seconds: {
      read,
      teamspeak: resolving,
      plan: planned,
      apply,
      rerun,
      /** The import itself, without the TeamSpeak lookups the flood budget paces. */
      database: Math.round((read + planned + apply) * 1000) / 1000,
      total: Math.round((read + resolving + planned + apply) * 1000) / 1000,
    },
    cpuSeconds,
    memory: { ...memory, peakRssMb: mb(process.resourceUsage().maxRSS * 1024) },
    rssMb: mb(end.rss),
    heapMb: mb(end.heapUsed),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await db.close();
  await ts.close();
}

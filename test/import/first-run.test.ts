/**
 * The first run after an import, against servers that already have the roles and server groups
 * and members holding them (the fake TeamSpeak over ServerQuery, the fake Discord over REST, on
 * PostgreSQL and on the embedded database): the import maps the existing platform groups (Alliance Auth: Discord roles by
 * name on first contact, AuthTS and state server groups by id; SNI: `discord_role_id`,
 * `teamspeak_sgid` of its groups and of its autogroups, which map to Roster's autogroups of the
 * same corporation or coalition), the daemon's start rebuilds the autogroups, and the first run creates no
 * role or group that existed, removes no imported member who still qualifies, and duplicates
 * nothing, under the default blast-radius guard. Only people who do not qualify (a stranger
 * nobody imported, a pilot the source itself had barred from logging in) lose the group.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configSchema, teamspeakTargetSchema } from '../../src/config/schema.ts';
import { readAllianceAuth } from '../../src/import/alliance-auth.ts';
import { readSniFolder } from '../../src/import/files.ts';
import { openImportTeamspeakLookup } from '../../src/sync/teamspeak/import-lookup.ts';
import { applyImport, type ImportSource } from '../../src/services/import.ts';
import { resolveTeamspeakIdentities } from '../../src/services/import-teamspeak.ts';
import { createLogger } from '../../src/logger.ts';
import { rebuildAutogroups } from '../../src/services/autogroups.ts';
import { bootstrap } from '../../src/services/bootstrap.ts';
import { GroupMapping } from '../../src/store/entities/index.ts';
import { createDiscordTarget } from '../../src/sync/discord/index.ts';
import { createReconciler, type RunResult } from '../../src/sync/engine.ts';
import { snowflake, startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.ts';
import type { FakeTeamspeak } from '../fakes/teamspeak/index.ts';
import { openDatabase } from '../../src/store/orm.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { connectedTarget, fakeServer } from '../sync/teamspeak/helpers.ts';
import { AA, allianceAuthDump, SNI, sniExport, writeSniFolder } from './fixtures.ts';

const logger = createLogger({ level: 'silent' });
/** The daemon's own defaults: the guard as an operator gets it. */
const syncDefaults = configSchema.parse({}).sync;

let t: TestDatabase;
/** The database the next test runs on (each describe below sets it). */
let backend: 'postgresql' | 'embedded' = 'postgresql';
const cleanups: (() => Promise<void>)[] = [];
beforeEach(async () => {
  if (backend === 'postgresql') t = await createTestDatabase();
  else {
    const db = await openDatabase({ url: '', dataDir: ':memory:' });
    await db.migrate();
    t = { url: '', db, dispose: () => db.close() };
  }
  await bootstrap(t.db.fork());
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await t?.dispose();
});

async function guild(): Promise<FakeDiscord> {
  const fake = await startFakeDiscord({
    rateLimits: {
      memberEdit: { limit: 10, windowMs: 100 },
      route: { limit: 20, windowMs: 100 },
      global: { limit: 100, windowMs: 200 },
    },
  });
  cleanups.push(() => fake.close());
  return fake;
}

/** The two platforms with the reconciler the daemon would run, and the import's TeamSpeak lookup. */
async function platforms(ts: FakeTeamspeak, discord: FakeDiscord) {
  const names = { teamspeak: 'ts-main', discord: 'guild-main' };
  const tsTarget = await connectedTarget(ts, { name: names.teamspeak });
  const discordTarget = createDiscordTarget(
    {
      name: names.discord,
      token: discord.botToken,
      guildId: discord.guild.id,
      apiBaseUrl: discord.url,
      backoffBaseMs: 10,
      backoffMaxMs: 40,
      rateLimitOffsetMs: 5,
    },
    logger,
  );
  cleanups.push(() => discordTarget.stop());
  const reconciler = createReconciler(t.db, [tsTarget, discordTarget], syncDefaults, logger);
  return {
    names,
    /** What `rosterctl import --yes` does, then what the daemon's start does before any run. */
    async importAndStart(source: ImportSource) {
      const lookup = await openImportTeamspeakLookup(
        teamspeakTargetSchema.parse({
          name: names.teamspeak,
          host: ts.host,
          queryPort: ts.port,
          username: 'serveradmin',
          password: 'secret',
          commandsPerWindow: 20,
          windowMs: 500,
        }),
      );
      const teamspeak = await resolveTeamspeakIdentities(source.users, lookup);
      await lookup.close();
      const plan = await applyImport(t.db.fork(), source, names, null, { teamspeak });
      await rebuildAutogroups(t.db.fork());
      return plan;
    },
    run: (platform: 'teamspeak' | 'discord') =>
      reconciler.run(platform, platform === 'teamspeak' ? names.teamspeak : names.discord, {
        trigger: 'first-run',
      }),
  };
}

function expectApplied(result: RunResult) {
  expect(result.errors).toEqual([]);
  expect(result.status).toBe('applied');
}

/** Accounts each run removed, by platform group id. */
const removed = (result: RunResult) =>
  Object.fromEntries((result.plan?.removes ?? []).map((r) => [r.platformGroupId, [...r.accountIds]]));

const names = (list: readonly { name: string }[]) => list.map((g) => g.name).toSorted();

for (const on of ['postgresql', 'embedded'] as const)
  describe(`the first run after an import keeps who already holds their role or server group (${on})`, () => {
    beforeAll(() => {
      backend = on;
    });
    it('Alliance Auth: AuthTS and state server groups by id, Discord roles by name', async () => {
      const ts = await fakeServer();
      const alice = ts.addDbClient({ nickname: 'Alice', custom: { sso_uid: '[IMCA]_Alice_Imported' } });
      const bob = ts.addDbClient({ nickname: 'Bob', custom: { sso_uid: AA.bobSsoUid } });
      const stranger = ts.addDbClient({ nickname: 'Not in AA' });
      const fc = ts.createServerGroup('FC', { members: [alice.cldbid, bob.cldbid, stranger.cldbid] });
      const member = ts.createServerGroup('Member', { members: [alice.cldbid, bob.cldbid] });
      const discord = await guild();
      const fleetCommand = discord.guild.addRole({ name: 'Fleet Command' });
      const outsider = snowflake();
      discord.guild.addMember({ id: AA.discordAlice, nick: 'Alice Imported', roles: [fleetCommand.id] });
      discord.guild.addMember({ id: outsider, roles: [fleetCommand.id] });
      const p = await platforms(ts, discord);
      const dump = [
        ...allianceAuthDump({ fc, member }),
        {
          model: 'teamspeak3.teamspeak3user',
          pk: 1,
          fields: { uid: '[IMCA]_Alice_Imported', perm_key: 'k' },
        },
      ];
      const plan = await p.importAndStart(readAllianceAuth(dump));
      expect(plan.counts.teamspeakLinks.created).toBe(2);
      const groupsBefore = ts.serverGroups().length;
      const rolesBefore = discord.guild.roles.size;

      const onTeamspeak = await p.run('teamspeak');
      expectApplied(onTeamspeak);
      expect(onTeamspeak.plan?.counts).toMatchObject({ creates: 0, renames: 0, adds: 0, removes: 1 });
      expect(removed(onTeamspeak)).toEqual({ [fc]: [stranger.cldbid] });
      expect(ts.serverGroups()).toHaveLength(groupsBefore);
      expect(ts.groupMembers(fc)).toEqual([alice.cldbid, bob.cldbid].toSorted());
      expect(ts.groupMembers(member)).toEqual([alice.cldbid, bob.cldbid].toSorted());
      expect(new Set(names(ts.serverGroups())).size).toBe(groupsBefore);

      const onDiscord = await p.run('discord');
      expectApplied(onDiscord);
      expect(onDiscord.plan?.counts).toMatchObject({ creates: 0, renames: 0, adds: 0, removes: 1 });
      expect(onDiscord.plan?.adopts).toEqual([
        expect.objectContaining({ platformGroupId: fleetCommand.id, name: 'Fleet Command' }),
      ]);
      expect(removed(onDiscord)).toEqual({ [fleetCommand.id]: [outsider] });
      expect(discord.guild.roles.size).toBe(rolesBefore);
      expect(discord.guild.members.get(AA.discordAlice)?.roles).toEqual([fleetCommand.id]);
      expect(
        [...discord.guild.roles.values()].filter((r) => r.name.toLowerCase() === 'fleet command'),
      ).toHaveLength(1);
      const saved = await t.db.fork().find(GroupMapping, { target: p.names.discord });
      expect(saved.map((m) => m.platformGroupId)).toEqual([fleetCommand.id]);

      // The next run finds everything in place.
      for (const platform of ['teamspeak', 'discord'] as const) {
        const again = await p.run(platform);
        expectApplied(again);
        expect(again.plan?.counts).toMatchObject({ creates: 0, adds: 0, removes: 0 });
      }
    });

    it("SNI: teamspeak_sgid and discord_role_id, of its groups and of its autogroups (mapped to Roster's)", async () => {
      const ts = await fakeServer();
      const erin = ts.addDbClient({ nickname: 'Erin' });
      const frank = ts.addDbClient({ nickname: 'Frank' }); // barred from logging in by SNI
      const holders = [erin.cldbid, frank.cldbid];
      const logistics = ts.createServerGroup('Logistics', { members: holders });
      const corpGroup = ts.createServerGroup('SNI Corp', { members: holders });
      const discord = await guild();
      const frankDiscord = snowflake();
      const role = discord.guild.addRole({ id: SNI.role, name: 'Logistics' });
      const corpRole = discord.guild.addRole({ id: SNI.corpRole, name: 'SNI Corp' });
      const coalitionRole = discord.guild.addRole({ id: SNI.coalitionRole, name: 'SNI Coalition' });
      const erinRoles = [role.id, corpRole.id, coalitionRole.id].toSorted();
      discord.guild.addMember({ id: SNI.discordErin, nick: '[SNIA] Erin Sni', roles: erinRoles });
      discord.guild.addMember({ id: frankDiscord, roles: [role.id, corpRole.id] });
      const p = await platforms(ts, discord);
      const collections = sniExport({
        logistics: Number(logistics),
        corp: Number(corpGroup),
        erin: Number(erin.cldbid),
      });
      (collections.user![2] as Record<string, unknown>).discord_user_id = frankDiscord;
      const plan = await p.importAndStart(readSniFolder(writeSniFolder(collections)));
      expect(plan.counts.teamspeakLinks.created).toBe(1);
      const groupsBefore = ts.serverGroups().length;
      const rolesBefore = discord.guild.roles.size;

      const onTeamspeak = await p.run('teamspeak');
      expectApplied(onTeamspeak);
      expect(onTeamspeak.plan?.counts).toMatchObject({ creates: 0, renames: 0, adds: 0, removes: 2 });
      expect(onTeamspeak.plan?.adopts).toEqual([]);
      // Frank's client was never linked in SNI: to Roster it is a stranger's, and he may not log in.
      expect(removed(onTeamspeak)).toEqual({ [logistics]: [frank.cldbid], [corpGroup]: [frank.cldbid] });
      expect(ts.groupMembers(logistics)).toEqual([erin.cldbid]);
      expect(ts.groupMembers(corpGroup)).toEqual([erin.cldbid]);
      expect(names(ts.serverGroups())).toContain('SNI Corp'); // kept its name: not renamed corp:SNIC
      expect(ts.serverGroups()).toHaveLength(groupsBefore);

      const onDiscord = await p.run('discord');
      expectApplied(onDiscord);
      expect(onDiscord.plan?.counts).toMatchObject({ creates: 0, renames: 0, adds: 0, removes: 2 });
      expect(onDiscord.plan?.adopts).toEqual([]);
      expect(removed(onDiscord)).toEqual({ [SNI.role]: [frankDiscord], [SNI.corpRole]: [frankDiscord] });
      expect(discord.guild.members.get(SNI.discordErin)?.roles.toSorted()).toEqual(erinRoles);
      expect(discord.guild.roles.size).toBe(rolesBefore);
      expect(discord.guild.roles.get(SNI.corpRole)?.name).toBe('SNI Corp');
    });
  });

import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAllianceAuth } from '../../src/import/alliance-auth.ts';
import { ImportFormatError } from '../../src/import/errors.ts';
import { readAllianceAuthFile, readSniFolder } from '../../src/import/files.ts';
import { applyImport, planImport } from '../../src/services/import.ts';
import { bootstrap } from '../../src/services/bootstrap.ts';
import {
  AuditEntry,
  Coalition,
  Corporation,
  Group,
  GroupMapping,
  GroupMember,
  User,
} from '../../src/store/entities/index.ts';
import { openDatabase, type Database } from '../../src/store/orm.ts';
import { backends, createTestDatabase, type TestDatabase } from '../support/database.ts';
import { AA, allianceAuthDump, SNI, sniExport, writeSniFolder } from './fixtures.ts';

const targets = { teamspeak: 'main', discord: 'guild' };

async function embedded(): Promise<{ db: Database; dispose(): Promise<void> }> {
  const db = await openDatabase({ url: '', dataDir: ':memory:' });
  await db.migrate();
  return { db, dispose: () => db.close() };
}

// MongoDB too where MONGODB_URL points at a server (none on the development machines).
for (const backend of [...backends(), 'embedded'] as const) {
  describe(`import on ${backend}`, () => {
    let t: { db: Database; dispose(): Promise<void> } | TestDatabase;
    beforeAll(async () => {
      t = backend === 'embedded' ? await embedded() : await createTestDatabase(backend);
      await bootstrap(t.db.fork());
    });
    afterAll(async () => t?.dispose());

    it('Alliance Auth: a dry run counts and names every problem and writes nothing; the run writes it; again changes nothing', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'aa-'));
      const file = join(dir, 'dump.json');
      writeFileSync(file, JSON.stringify(allianceAuthDump()));
      const source = readAllianceAuthFile(file);
      const plan = await planImport(t.db.fork(), source, targets);
      expect(plan.counts).toMatchObject({
        alliances: { created: 1 },
        corporations: { created: 2 },
        users: { created: 5, updated: 0, unchanged: 0 },
        groups: { created: 3 }, // state:Member, state:Guest, Fleet Command
        // Fleet Command and state:Member: alice, bob; state:Guest: dan (carol has no main).
        memberships: { created: 5 },
      });
      expect(plan.problems.map((p) => p.reason)).toEqual(
        expect.arrayContaining([
          expect.stringContaining('user without a main character'),
          expect.stringContaining('differs only by case'),
          expect.stringContaining(`Discord account ${AA.discordAlice} is already linked`),
          expect.stringContaining('corporation 98899999 is in neither'),
        ]),
      );
      expect(plan.teamspeakIdentities).toEqual([{ characterId: AA.bob, ssoUid: AA.bobSsoUid }]);
      expect(await t.db.fork().count(User, { characterId: AA.alice })).toBe(0);

      const applied = await applyImport(t.db.fork(), source, targets, null);
      expect(applied.counts).toEqual(plan.counts);
      const em = t.db.fork();
      expect(await em.findOneOrFail(User, { characterId: AA.alice })).toMatchObject({
        clearanceLevel: 9,
        discordUserId: AA.discordAlice,
        corporationId: AA.corpA,
      });
      expect(await em.findOneOrFail(User, { characterId: AA.bob })).toMatchObject({ discordUserId: null });
      expect(await em.findOneOrFail(User, { characterId: 2_118_000_005 })).toMatchObject({
        corporationId: null,
      });
      expect(await em.findOneOrFail(Corporation, { corporationId: AA.corpA })).toMatchObject({
        allianceId: AA.alliance,
      });
      const fc = await em.findOneOrFail(Group, { name: 'Fleet Command' });
      const bob = await em.findOneOrFail(User, { characterId: AA.bob });
      expect(fc).toMatchObject({ description: 'FCs', ownerId: bob.id, kind: 'manual' });
      expect(await em.count(GroupMember, { groupId: fc.id })).toBe(2);
      const mappings = await em.find(GroupMapping, { groupId: fc.id }, { orderBy: { platform: 'asc' } });
      expect(mappings.map((m) => [m.platform, m.target, m.platformGroupId, m.displayName])).toEqual([
        ['discord', 'guild', null, null],
        ['teamspeak', 'main', AA.tsGroup, 'FC'], // the server group's own name: nothing to rename
      ]);
      const member = await em.findOneOrFail(Group, { name: 'state:Member' });
      expect(member).toMatchObject({ authorizedToLogin: true });
      expect(
        (await em.find(GroupMapping, { groupId: member.id })).map((m) => [m.platformGroupId, m.displayName]),
      ).toEqual([[AA.tsStateGroup, 'Member']]);
      expect(await em.count(AuditEntry, { action: 'import.apply' })).toBe(1);

      const again = await applyImport(t.db.fork(), readAllianceAuthFile(file), targets, null);
      expect(again.upToDate).toBe(true);
      expect(again.counts.users).toEqual({ created: 0, updated: 0, unchanged: 5 });
      expect(again.counts.memberships.created).toBe(0);
      expect(await t.db.fork().count(AuditEntry, { action: 'import.apply' })).toBe(1);

      // A later export where Bob was renamed and moved corporation: updated in place.
      const changed = allianceAuthDump();
      const bobRecord = changed.find(
        (r) =>
          (r as { model: string; pk: unknown }).model === 'eveonline.evecharacter' &&
          (r as { pk: unknown }).pk === 3,
      ) as { fields: Record<string, unknown> };
      bobRecord.fields.character_name = 'Bob Renamed';
      bobRecord.fields.corporation_id = String(AA.corpB);
      const updated = await applyImport(t.db.fork(), readAllianceAuth(changed), targets, null);
      expect(updated.counts.users).toEqual({ created: 0, updated: 1, unchanged: 4 });
      expect(await t.db.fork().findOneOrFail(User, { characterId: AA.bob })).toMatchObject({
        id: bob.id,
        characterName: 'Bob Renamed',
        corporationId: AA.corpB,
      });
      expect(await t.db.fork().count(User, { characterName: 'Bob Imported' })).toBe(0);
    });

    it('SeAT Navy Issue: extended JSON, old schema versions, root stays root, clearance, flags, scopes and platform ids', async () => {
      const dir = writeSniFolder(sniExport());
      const source = readSniFolder(dir);
      const plan = await applyImport(t.db.fork(), source, targets, null);
      expect(plan.counts).toMatchObject({
        users: { created: 2 },
        coalitions: { created: 1 },
        groups: { created: 1 },
        memberships: { created: 2 },
        // Logistics on both platforms; the autogroups of SNI Corp (both) and SNI Coalition (Discord)
        mappings: { created: 5 },
      });
      expect(plan.problems).toEqual([
        {
          record: expect.stringContaining('group'),
          reason: expect.stringContaining('dangling reference to user'),
        },
        {
          record: 'group "Gone Corp"',
          reason: expect.stringContaining('named after no corporation, alliance or coalition'),
        },
      ]);
      expect(plan.teamspeakIdentities).toEqual([{ characterId: SNI.erin, clientDbId: '21' }]);
      const em = t.db.fork();
      expect(await em.findOneOrFail(User, { characterId: 0 })).toMatchObject({
        characterName: 'root',
        clearanceLevel: 10,
      });
      expect(await em.findOneOrFail(User, { characterId: SNI.erin })).toMatchObject({
        clearanceLevel: 4,
        discordUserId: SNI.discordErin,
      });
      expect(await em.findOneOrFail(User, { characterId: SNI.frank })).toMatchObject({
        authorizedToLogin: false,
      });
      expect(await em.findOneOrFail(Coalition, { name: 'SNI Coalition' })).toMatchObject({
        allianceIds: [SNI.alliance],
      });
      const logistics = await em.findOneOrFail(Group, { name: 'Logistics' });
      expect(logistics).toMatchObject({ authorizedToLogin: true });
      const mappings = await em.find(
        GroupMapping,
        { groupId: logistics.id },
        { orderBy: { platform: 'asc' } },
      );
      expect(mappings.map((m) => m.platformGroupId)).toEqual([SNI.role, '9']);
      // SNI's autogroups' roles and server groups are mappings of Roster's own autogroups, which
      // the import built with their members; the platform's names are kept as display names.
      const corp = await em.findOneOrFail(Group, { autoKey: `corporation:${SNI.corp}` });
      const erin = await em.findOneOrFail(User, { characterId: SNI.erin });
      expect(corp).toMatchObject({ kind: 'auto', name: 'corp:SNIC' });
      expect((await em.find(GroupMember, { groupId: corp.id })).map((m) => m.userId)).toContain(erin.id);
      const coalition = await em.findOneOrFail(Coalition, { name: 'SNI Coalition' });
      const autoMappings = await em.find(
        GroupMapping,
        {
          groupId: {
            $in: [corp.id, (await em.findOneOrFail(Group, { autoKey: `coalition:${coalition.id}` })).id],
          },
        },
        { orderBy: { platformGroupId: 'asc' } },
      );
      expect(autoMappings.map((m) => [m.platform, m.target, m.platformGroupId, m.displayName])).toEqual([
        ['teamspeak', 'main', '10', 'SNI Corp'],
        ['discord', 'guild', SNI.corpRole, 'SNI Corp'],
        ['discord', 'guild', SNI.coalitionRole, 'SNI Coalition'],
      ]);
      const again = await planImport(t.db.fork(), readSniFolder(dir), targets);
      expect(again.upToDate).toBe(true);
      expect(again.counts.mappings).toEqual({ created: 0, updated: 0, unchanged: 5 });
    });

    it('refuses bad input with an error naming the record, and writes nothing', async () => {
      const before = await t.db.fork().count(User, {});
      const dump = allianceAuthDump();
      (dump[3] as { fields: Record<string, unknown> }).fields.character_id = 'not-an-id';
      expect(() => readAllianceAuth(dump)).toThrow(ImportFormatError);
      expect(() => readAllianceAuth(dump)).toThrow(
        /eveonline\.evecharacter pk=1: character_id is not an EVE id/,
      );
      expect(() => readAllianceAuth({ not: 'a list' })).toThrow(/top level must be a JSON list/);
      const bad = sniExport();
      bad.user = [
        { _id: { $oid: 'ab'.repeat(12) }, character_id: 5, character_name: 'X', clearance_level: 42 },
      ];
      expect(() => readSniFolder(writeSniFolder(bad))).toThrow(/user abab.*clearance_level/);
      expect(await t.db.fork().count(User, {})).toBe(before);
    });
  });
}

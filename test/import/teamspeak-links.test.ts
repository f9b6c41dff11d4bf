/**
 * TeamSpeak identities of an import become links: the import's own query connection to the fake
 * ServerQuery server (src/sync/teamspeak/import-lookup.ts) resolves Alliance Auth's sso_uid values in one
 * `customsearch` and SNI's database ids in piped `clientdbinfo` calls; unknown and taken ones are
 * problems, written nowhere.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { teamspeakTargetSchema } from '../../src/config/schema.ts';
import { readAllianceAuth } from '../../src/import/alliance-auth.ts';
import { readSniFolder } from '../../src/import/files.ts';
import {
  openImportTeamspeakLookup,
  TeamspeakUnreachableError,
} from '../../src/sync/teamspeak/import-lookup.ts';
import { applyImport, planImport } from '../../src/services/import.ts';
import { resolveTeamspeakIdentities } from '../../src/services/import-teamspeak.ts';
import { bootstrap } from '../../src/services/bootstrap.ts';
import { AuditEntry, TeamspeakLink, User } from '../../src/store/entities/index.ts';
import { openDatabase, type Database } from '../../src/store/orm.ts';
import { startFakeTeamspeak, type FakeTeamspeak } from '../fakes/teamspeak/index.ts';
import { backends, createTestDatabase } from '../support/database.ts';
import { addTeamspeakLink, addUser } from '../support/rows.ts';
import { AA, allianceAuthDump, SNI, sniExport, writeSniFolder } from './fixtures.ts';

const fakes: FakeTeamspeak[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function fakeServer() {
  const fake = await startFakeTeamspeak({ flood: { commands: 20, windowMs: 500 } });
  fakes.push(fake);
  return fake;
}

const configFor = (fake: FakeTeamspeak, name: string) =>
  teamspeakTargetSchema.parse({
    name,
    host: fake.host,
    queryPort: fake.port,
    username: 'serveradmin',
    password: 'secret',
    commandsPerWindow: 20,
    windowMs: 500,
  });

/** Alliance Auth's dump where Alice's privilege key was never used: no client carries her sso_uid. */
const dumpWithAnUnusedKey = (): unknown[] => [
  ...allianceAuthDump(),
  { model: 'teamspeak3.teamspeak3user', pk: 1, fields: { uid: '[IMCA]_Alice_Imported', perm_key: 'k' } },
];

// MongoDB too where MONGODB_URL points at a server (none on the development machines).
for (const backend of [...backends(), 'embedded'] as const) {
  describe(`TeamSpeak identities of an import on ${backend}`, () => {
    let db: Database;
    let dispose: () => Promise<void>;
    beforeAll(async () => {
      if (backend === 'embedded') {
        db = await openDatabase({ url: '', dataDir: ':memory:' });
        await db.migrate();
        dispose = () => db.close();
      } else {
        const t = await createTestDatabase(backend);
        db = t.db;
        dispose = t.dispose;
      }
      await bootstrap(db.fork());
    });
    afterAll(async () => dispose?.());

    it('Alliance Auth: sso_uid values resolve in one customsearch and one clientdbinfo; an unused key is a problem; again changes nothing', async () => {
      const fake = await fakeServer();
      const bob = fake.addDbClient({ nickname: 'Bob', custom: { sso_uid: AA.bobSsoUid } });
      fake.addDbClient({ nickname: 'Someone else', custom: { sso_uid: 'Somebody_Else' } });
      fake.addDbClient({ nickname: 'No AA' });
      const targets = { teamspeak: `ts-aa-${backend}`, discord: 'guild' };
      const source = readAllianceAuth(dumpWithAnUnusedKey());

      const lookup = await openImportTeamspeakLookup(configFor(fake, targets.teamspeak));
      fake.clearCommandLog();
      const resolved = await resolveTeamspeakIdentities(source.users, lookup);
      await lookup.close();
      expect(fake.commandLog().map((e) => e.name)).toEqual(['customsearch', 'clientdbinfo']);
      expect(resolved.clients).toEqual(new Map([[AA.bob, { clientDbId: bob.cldbid, uniqueId: bob.uid }]]));

      const plan = await planImport(db.fork(), source, targets, { teamspeak: resolved });
      expect(plan.counts.teamspeakLinks).toEqual({ created: 1, updated: 0, unchanged: 0 });
      expect(plan.teamspeakIdentities).toEqual([]);
      expect(plan.problems).toContainEqual({
        record: `character ${AA.alice} (Alice Imported)`,
        reason: expect.stringContaining('has no client with sso_uid "[IMCA]_Alice_Imported"'),
      });
      expect(await db.fork().count(TeamspeakLink, { target: targets.teamspeak })).toBe(0);

      await applyImport(db.fork(), source, targets, null, { teamspeak: resolved });
      const em = db.fork();
      const bobUser = await em.findOneOrFail(User, { characterId: AA.bob });
      expect(await em.find(TeamspeakLink, { target: targets.teamspeak })).toEqual([
        expect.objectContaining({ userId: bobUser.id, clientDbId: bob.cldbid, uniqueId: bob.uid }),
      ]);
      const entry = await em.findOneOrFail(AuditEntry, {
        action: 'import.apply',
        subject: 'import:alliance-auth',
      });
      expect(entry.after).toMatchObject({ counts: { teamspeakLinks: { created: 1 } } });

      const again = await applyImport(db.fork(), source, targets, null, { teamspeak: resolved });
      expect(again.counts.teamspeakLinks).toEqual({ created: 0, updated: 0, unchanged: 1 });
      expect(again.upToDate).toBe(true);
    });

    it('SNI: database ids resolve in piped clientdbinfo; unknown and already-linked clients are problems, not links', async () => {
      const fake = await fakeServer();
      const erin = fake.addDbClient({ nickname: 'Erin' });
      const frank = fake.addDbClient({ nickname: 'Frank' });
      const targets = { teamspeak: `ts-sni-${backend}`, discord: 'guild' };
      const collections = sniExport();
      const [, erinDoc, frankDoc] = collections.user as Record<string, unknown>[];
      erinDoc!.teamspeak_cldbid = Number(erin.cldbid);
      frankDoc!.teamspeak_cldbid = Number(frank.cldbid);
      // A third SNI user whose client is gone from the server.
      collections.user!.push({
        _id: { $oid: 'c'.repeat(24) },
        character_id: 2_120_000_003,
        character_name: 'Gone Sni',
        clearance_level: 0,
        teamspeak_cldbid: 999,
      });
      // Frank's client is linked to someone else in Roster already.
      const em0 = db.fork();
      const other = addUser(em0, 'Other Holder');
      addTeamspeakLink(em0, other.id, targets.teamspeak, frank.cldbid).uniqueId = frank.uid;
      await em0.flush();
      const source = readSniFolder(writeSniFolder(collections));

      const lookup = await openImportTeamspeakLookup(configFor(fake, targets.teamspeak));
      const resolved = await resolveTeamspeakIdentities(source.users, lookup);
      await lookup.close();
      const plan = await applyImport(db.fork(), source, targets, null, { teamspeak: resolved });
      expect(plan.counts.teamspeakLinks).toEqual({ created: 1, updated: 0, unchanged: 0 });
      const reasons = plan.problems.map((p) => `${p.record}: ${p.reason}`);
      expect(reasons).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/character 2120000003 \(Gone Sni\): .*knows no client with database id 999/),
          expect.stringMatching(
            new RegExp(`character ${SNI.frank} .*client ${frank.cldbid} .*already linked to character`),
          ),
        ]),
      );
      const em = db.fork();
      const erinUser = await em.findOneOrFail(User, { characterId: SNI.erin });
      expect(
        await em.find(TeamspeakLink, { target: targets.teamspeak }, { orderBy: { clientDbId: 'asc' } }),
      ).toEqual([
        expect.objectContaining({ userId: erinUser.id, clientDbId: erin.cldbid, uniqueId: erin.uid }),
        expect.objectContaining({ userId: other.id, clientDbId: frank.cldbid }),
      ]);
    });

    it('an unreachable target is an error naming it, before anything is read or written', async () => {
      const fake = await fakeServer();
      const config = configFor(fake, 'ts-down');
      await fake.close();
      fakes.splice(fakes.indexOf(fake), 1);
      const refused = openImportTeamspeakLookup(config);
      await expect(refused).rejects.toThrow(TeamspeakUnreachableError);
      await expect(refused).rejects.toThrow(/TeamSpeak target "ts-down" could not be reached/);
    });
  });
}

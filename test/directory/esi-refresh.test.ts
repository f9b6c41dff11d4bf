import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { refreshAffiliations } from '../../src/directory/affiliations.ts';
import { refreshCorporationsAndAlliances } from '../../src/directory/corporations.ts';
import { createDirectoryJobs, IncompleteRefreshError } from '../../src/directory/jobs.ts';
import { ensureAllianceMembers } from '../../src/directory/members.ts';
import { configSchema } from '../../src/config/schema.ts';
import { EsiError } from '../../src/esi/errors.ts';
import { rebuildAutogroups } from '../../src/services/autogroups.ts';
import {
  Alliance,
  AuditEntry,
  Corporation,
  Group,
  GroupMapping,
  User,
} from '../../src/store/entities/index.ts';
import { createReconciler } from '../../src/sync/engine.ts';
import { memoryLogger } from '../esi/fixtures.ts';
import { startFakeEsi, type FakeEsi } from '../fakes/esi/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { MemoryTarget } from '../support/memory-target.ts';
import { addAlliance, addCorporation, addMapping, addTeamspeakLink, addUser } from '../support/rows.ts';
import {
  ALICE,
  ALLIANCE,
  ALPHA,
  BETA,
  BOB,
  CAROL,
  DAVE,
  DELTA,
  ERIN,
  FRANK,
  GAMMA,
  esiFor,
  seedWorld,
  silent,
} from './world.ts';

let t: TestDatabase;
let fake: FakeEsi;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t?.dispose());
beforeEach(async () => {
  await fake?.close();
  fake = await startFakeEsi({ expiresSeconds: 0 });
  seedWorld(fake);
  // Every test starts from an empty directory.
  const em = t.db.fork();
  await em.nativeDelete(User, {});
  await em.nativeDelete(Corporation, {});
  await em.nativeDelete(Alliance, {});
  await em.nativeDelete(Group, {});
  await em.nativeDelete(GroupMapping, {});
  await em.nativeDelete(AuditEntry, {});
});
afterAll(async () => fake?.close());

const userOf = async (characterId: number) => t.db.fork().findOneOrFail(User, { characterId });
const corporationOf = (corporationId: number) => t.db.fork().findOne(Corporation, { corporationId });

/** Alice, Bob (Alpha), Carol (Beta), Dave and Erin (Gamma) as users; nothing else known yet. */
async function users(levels: Partial<Record<number, number>> = {}) {
  const em = t.db.fork();
  const made = new Map<number, User>();
  for (const [characterId, name] of [
    [ALICE, 'Alice'],
    [BOB, 'Bob'],
    [CAROL, 'Carol'],
    [DAVE, 'Dave'],
    [ERIN, 'Erin'],
  ] as const) {
    const corporationId =
      characterId === CAROL ? BETA : characterId === DAVE || characterId === ERIN ? GAMMA : ALPHA;
    made.set(
      characterId,
      addUser(em, name, { characterId, corporationId, clearanceLevel: levels[characterId] ?? 0 }),
    );
  }
  await em.flush();
  return made;
}

describe('refreshAffiliations', () => {
  it('moves a user between corporations, and the autogroups and both platforms follow', async () => {
    const made = await users();
    // Bob is linked on TeamSpeak (client 12) and Discord; the alliance may log in.
    const setup = t.db.fork();
    addTeamspeakLink(setup, made.get(BOB)!.id, 'ts', '12');
    addTeamspeakLink(setup, made.get(ALICE)!.id, 'ts', '11');
    await setup.nativeUpdate(User, { characterId: BOB }, { discordUserId: '300000000000000012' });
    await setup.flush();

    const esi = esiFor(fake);
    const first = await refreshAffiliations(t.db.fork(), esi, silent);
    // The directory knew no corporation or alliance: they are created from ESI, untracked.
    expect(first).toMatchObject({
      checked: 5,
      moved: 0,
      corporationsCreated: 3,
      alliancesCreated: 1,
      notFound: 0,
      transientFailures: 0,
    });
    expect(await corporationOf(ALPHA)).toMatchObject({
      name: 'Alpha Corp',
      ticker: 'ALPHA',
      ceoCharacterId: ALICE,
      allianceId: ALLIANCE,
      tracked: false,
    });
    await t.db.fork().nativeUpdate(Alliance, { allianceId: ALLIANCE }, { authorizedToLogin: true });

    await rebuildAutogroups(t.db.fork());
    const em = t.db.fork();
    const alphaGroup = await em.findOneOrFail(Group, { autoKey: `corporation:${ALPHA}` });
    const betaGroup = await em.findOneOrFail(Group, { autoKey: `corporation:${BETA}` });
    const teamspeak = new MemoryTarget('teamspeak', 'ts');
    const discord = new MemoryTarget('discord', 'guild');
    discord.accounts.set('300000000000000012', null); // Bob is in the guild
    for (const group of [alphaGroup, betaGroup]) {
      addMapping(em, group.id, 'teamspeak', 'ts');
      addMapping(em, group.id, 'discord', 'guild');
    }
    await em.flush();
    const reconciler = createReconciler(
      t.db,
      [teamspeak, discord],
      { maxRemovals: 1000, maxRemovalShare: 1, removalGraceMinutes: 0 },
      silent,
    );
    const sync = async () => {
      expect((await reconciler.run('teamspeak', 'ts', { trigger: 'test' })).status).toBe('applied');
      expect((await reconciler.run('discord', 'guild', { trigger: 'test' })).status).toBe('applied');
    };
    await sync();
    const platformIds = async () => {
      const rows = await t.db.fork().find(GroupMapping, {});
      const id = (groupId: string, platform: string) =>
        rows.find((m) => m.groupId === groupId && m.platform === platform)!.platformGroupId!;
      return {
        tsAlpha: id(alphaGroup.id, 'teamspeak'),
        tsBeta: id(betaGroup.id, 'teamspeak'),
        dAlpha: id(alphaGroup.id, 'discord'),
        dBeta: id(betaGroup.id, 'discord'),
      };
    };
    const ids = await platformIds();
    expect(teamspeak.membersOf(ids.tsAlpha)).toEqual(['11', '12']);
    expect(teamspeak.membersOf(ids.tsBeta)).toEqual([]);
    expect(discord.membersOf(ids.dAlpha)).toEqual(['300000000000000012']);

    // Bob joins Beta in game; Erin joins Delta, which the directory does not know yet.
    fake.moveCharacter(BOB, BETA);
    fake.moveCharacter(ERIN, DELTA);
    const second = await refreshAffiliations(t.db.fork(), esi, silent);
    expect(second).toMatchObject({ checked: 5, moved: 2, corporationsCreated: 1, alliancesCreated: 0 });
    expect((await userOf(BOB)).corporationId).toBe(BETA);
    expect((await userOf(ERIN)).corporationId).toBe(DELTA);
    expect(await corporationOf(DELTA)).toMatchObject({
      name: 'Delta Corp',
      allianceId: ALLIANCE,
      ceoCharacterId: FRANK,
    });

    const rebuilt = await rebuildAutogroups(t.db.fork());
    expect(rebuilt.removed).toBeGreaterThanOrEqual(1);
    await sync();
    expect(teamspeak.membersOf(ids.tsAlpha)).toEqual(['11']);
    expect(teamspeak.membersOf(ids.tsBeta)).toEqual(['12']);
    expect(discord.membersOf(ids.dAlpha)).toEqual([]);
    expect(discord.membersOf(ids.dBeta)).toEqual(['300000000000000012']);
  });

  it('asks for 1,000 characters per call', async () => {
    const ids = fake.seedGenerated({ characters: 2_500, corporations: 5, alliances: 1 });
    const em = t.db.fork();
    for (const [i, characterId] of ids.entries()) addUser(em, `Pilot ${i}`, { characterId });
    await em.flush();
    fake.clearLog();
    const result = await refreshAffiliations(t.db.fork(), esiFor(fake), silent);
    expect(result).toMatchObject({
      checked: 2_500,
      moved: 2_500,
      corporationsCreated: 5,
      alliancesCreated: 1,
    });
    const calls = fake.requests.filter((r) => r.route === '/characters/affiliation/');
    expect(calls.map((c) => c.idCount).sort()).toEqual([1000, 1000, 500]);
  });

  it('logs a character ESI no longer knows and keeps it; guests and root are not asked about', async () => {
    await users();
    const em = t.db.fork();
    addCorporation(em, ALPHA, { ticker: 'ALPHA' });
    addUser(em, 'Guest', { characterId: 91_000_099, corporationId: ALPHA, clearanceLevel: -1 });
    addUser(em, 'root', { characterId: 0, clearanceLevel: 10 });
    await em.flush();
    fake.deleteCharacter(DAVE);
    fake.clearLog();
    const memory = memoryLogger();
    const result = await refreshAffiliations(t.db.fork(), esiFor(fake), memory.logger);
    expect(result).toMatchObject({ checked: 5, notFound: 1, guestsSkipped: 1, transientFailures: 0 });
    expect(await userOf(DAVE)).toMatchObject({ corporationId: GAMMA });
    expect((await userOf(91_000_099)).corporationId).toBe(ALPHA);
    expect(
      memory.lines.some(
        (l) =>
          String(l.msg).startsWith('esi:characters-not-found') && (l.characterIds as number[]).includes(DAVE),
      ),
    ).toBe(true);
    expect(fake.requests.find((r) => r.route === '/characters/affiliation/')?.idCount).toBe(5);
  });

  it('leaves every record as it was when ESI fails transiently', async () => {
    await users();
    const em = t.db.fork();
    await em.nativeUpdate(User, { characterId: BOB }, { refreshToken: 'v1.sealed', refreshTokenValid: true });
    fake.moveCharacter(BOB, BETA);
    fake.failNext(10, 503);
    const error = await refreshAffiliations(t.db.fork(), esiFor(fake, { maxRetries: 1 }), silent).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EsiError);
    expect(error).toMatchObject({ transient: true });
    fake.clearFaults();
    expect(await userOf(BOB)).toMatchObject({ corporationId: ALPHA, refreshTokenValid: true });
    expect(await t.db.fork().count(Corporation, {})).toBe(0);
  });

  it('rides out an error-limit 420: pauses until the reset, finishes, marks nothing invalid', async () => {
    await fake.close();
    fake = await startFakeEsi({ expiresSeconds: 0, errorLimit: 10, errorWindowSeconds: 1 });
    seedWorld(fake);
    await users();
    await t.db
      .fork()
      .nativeUpdate(User, { characterId: ALICE }, { refreshToken: 'v1.sealed', refreshTokenValid: true });
    fake.moveCharacter(BOB, GAMMA);
    // Another process on the same address spends the whole error budget.
    for (let i = 0; i < 10; i += 1) await fetch(`${fake.url}/characters/1/`).then((r) => r.text());
    fake.clearLog();
    const esi = esiFor(fake, { errorLimitPauseMarginMs: 50 });
    const result = await refreshAffiliations(t.db.fork(), esi, silent);
    expect(fake.counts().errorLimited).toBe(1);
    expect(esi.stats().pauses).toBeGreaterThanOrEqual(1);
    expect(result).toMatchObject({ checked: 5, moved: 1, notFound: 0, failed: 0, transientFailures: 0 });
    expect(await userOf(BOB)).toMatchObject({ corporationId: GAMMA });
    expect(await userOf(ALICE)).toMatchObject({ refreshTokenValid: true });
  });
});

describe('refreshCorporationsAndAlliances', () => {
  /** The world's corporations and alliance in the directory, tracked, as ESI shows them now. */
  async function tracked() {
    const em = t.db.fork();
    addAlliance(em, ALLIANCE, {
      name: 'Test Alliance',
      ticker: 'TEST',
      executorCorporationId: ALPHA,
      tracked: true,
    });
    addCorporation(em, ALPHA, {
      name: 'Alpha Corp',
      ticker: 'ALPHA',
      ceoCharacterId: ALICE,
      allianceId: ALLIANCE,
      tracked: true,
    });
    addCorporation(em, BETA, {
      name: 'Beta Corp',
      ticker: 'BETA',
      ceoCharacterId: CAROL,
      allianceId: ALLIANCE,
      tracked: true,
    });
    addCorporation(em, GAMMA, { name: 'Gamma Corp', ticker: 'GAMMA', ceoCharacterId: DAVE, tracked: true });
    await em.flush();
  }

  it('refreshes names and tickers, and creates the alliance a corporation joined', async () => {
    await tracked();
    fake.updateCorporation(BETA, { name: 'Beta Reborn', ticker: 'BETA2' });
    fake.seed({
      alliances: [{ id: 99_100_002, name: 'Other Alliance', ticker: 'OTHER', executorCorporationId: GAMMA }],
    });
    fake.setCorporationAlliance(GAMMA, 99_100_002);
    const result = await refreshCorporationsAndAlliances(t.db.fork(), esiFor(fake), silent);
    expect(result).toMatchObject({
      alliancesRefreshed: 1,
      corporationsRefreshed: 3,
      changed: 2,
      alliancesCreated: 1,
      transientFailures: 0,
    });
    expect(await corporationOf(BETA)).toMatchObject({ name: 'Beta Reborn', ticker: 'BETA2' });
    expect(await corporationOf(GAMMA)).toMatchObject({ allianceId: 99_100_002 });
    expect(await t.db.fork().findOne(Alliance, { allianceId: 99_100_002 })).toMatchObject({
      ticker: 'OTHER',
      tracked: false,
    });
    expect((await corporationOf(ALPHA))?.refreshedAt).toBeInstanceOf(Date);
  });

  it('moves clearances when a CEO or the executor changes; levels of 9 and above stay', async () => {
    await tracked();
    // Alice holds the executor CEO floor (4); Carol the CEO floor (2); Dave, CEO of Gamma, is an admin.
    await users({ [ALICE]: 4, [BOB]: 0, [CAROL]: 2, [DAVE]: 9, [ERIN]: 6 });
    const esi = esiFor(fake);
    expect(await refreshCorporationsAndAlliances(t.db.fork(), esi, silent)).toMatchObject({
      changed: 0,
      clearancesChanged: 0,
    });

    // Bob becomes Alpha's CEO (and so the executor's), Erin Gamma's.
    fake.setCeo(ALPHA, BOB);
    fake.setCeo(GAMMA, ERIN);
    const first = await refreshCorporationsAndAlliances(t.db.fork(), esi, silent);
    expect(first).toMatchObject({ changed: 2, clearancesChanged: 2 });
    expect((await userOf(BOB)).clearanceLevel).toBe(4); // raised to the executor floor
    expect((await userOf(ALICE)).clearanceLevel).toBe(0); // held only the office's floor
    expect((await userOf(DAVE)).clearanceLevel).toBe(9); // admins are never lowered
    expect((await userOf(ERIN)).clearanceLevel).toBe(6); // already above the CEO floor

    // The alliance hands the executor role to Beta: Carol rises to 4, Bob keeps Alpha's CEO floor.
    fake.setExecutor(ALLIANCE, BETA);
    const second = await refreshCorporationsAndAlliances(t.db.fork(), esi, silent);
    expect(second).toMatchObject({ changed: 1, clearancesChanged: 2 });
    expect((await userOf(CAROL)).clearanceLevel).toBe(4);
    expect((await userOf(BOB)).clearanceLevel).toBe(2);

    const entries = await t.db.fork().find(AuditEntry, { action: 'user.clearance.office' });
    expect(entries).toHaveLength(4);
    const aliceId = (await userOf(ALICE)).id;
    expect(entries.find((e) => e.subject === `user:${aliceId}`)).toMatchObject({
      actorId: null,
      before: { clearanceLevel: 4, officeFloor: 4 },
      after: { clearanceLevel: 0, officeFloor: 0 },
    });
  });

  it('keeps records and clearances as they were when ESI fails, and the job asks to be retried', async () => {
    await tracked();
    await users({ [ALICE]: 4, [BOB]: 0 });
    fake.setCeo(ALPHA, BOB);
    fake.updateCorporation(BETA, { name: 'Beta Renamed' });
    fake.failNext(100, 502);
    const esi = esiFor(fake, { maxRetries: 0 });
    const result = await refreshCorporationsAndAlliances(t.db.fork(), esi, silent);
    expect(result).toMatchObject({ corporationsRefreshed: 0, alliancesRefreshed: 0, clearancesChanged: 0 });
    expect(result.transientFailures).toBe(4);
    expect(await corporationOf(ALPHA)).toMatchObject({ ceoCharacterId: ALICE, refreshedAt: null });
    expect(await corporationOf(BETA)).toMatchObject({ name: 'Beta Corp' });
    expect((await userOf(ALICE)).clearanceLevel).toBe(4);
    expect((await userOf(BOB)).clearanceLevel).toBe(0);

    const config = configSchema.parse({ esi: { contact: 'ops@example.org' } });
    const jobs = createDirectoryJobs({ db: t.db, config, logger: silent, esi, sso: null });
    await expect(jobs.esiRefresh()).rejects.toBeInstanceOf(IncompleteRefreshError);
    fake.clearFaults();
    const done = await jobs.esiRefresh();
    expect(done.corporations).toMatchObject({
      corporationsRefreshed: 3,
      clearancesChanged: 2,
      transientFailures: 0,
    });
    expect(done.corporationMembers).toMatchObject({ corporations: 4, skipped: 4 }); // no SSO: no director token
    expect((await userOf(BOB)).clearanceLevel).toBe(4);
  });
});

describe('ensureAllianceMembers', () => {
  it('makes every corporation of a tracked alliance a tracked record', async () => {
    const em = t.db.fork();
    addAlliance(em, ALLIANCE, { ticker: 'TEST', executorCorporationId: ALPHA, tracked: true });
    addCorporation(em, ALPHA, { ticker: 'ALPHA', allianceId: ALLIANCE, tracked: false });
    addCorporation(em, GAMMA, { ticker: 'GAMMA', tracked: true });
    await em.flush();
    const result = await ensureAllianceMembers(t.db.fork(), esiFor(fake), silent);
    expect(result).toMatchObject({
      alliances: 1,
      corporationsCreated: 2,
      corporationsUpdated: 1,
      transientFailures: 0,
    });
    const rows = await t.db.fork().find(Corporation, {}, { orderBy: { corporationId: 'asc' } });
    expect(rows.map((c) => [c.corporationId, c.allianceId ?? null, c.tracked])).toEqual([
      [ALPHA, ALLIANCE, true],
      [BETA, ALLIANCE, true],
      [GAMMA, null, true],
      [DELTA, ALLIANCE, true],
    ]);
  });

  it("believes the most recent reply: a corporation that left its alliance leaves it, though the alliance's list is still cached", async () => {
    // ESI caches each route for its own time: here the alliance's corporation list for an hour, the
    // corporation not at all (so its change is seen at once). The fake's clock dates the replies.
    let clock = Date.parse('2026-12-01T12:00:00Z');
    const dated = await startFakeEsi({
      now: () => clock,
      expiresSeconds: 0,
      expiresByRoute: { '/alliances/{alliance_id}/corporations/': 3600 },
    });
    try {
      seedWorld(dated);
      const esi = esiFor(dated, { now: () => clock });
      const em = t.db.fork();
      addAlliance(em, ALLIANCE, { ticker: 'TEST', executorCorporationId: ALPHA, tracked: true });
      addCorporation(em, BETA, { ticker: 'BETA', allianceId: ALLIANCE, tracked: true });
      await em.flush();
      const config = configSchema.parse({ esi: { contact: 'ops@example.org' } });
      const jobs = createDirectoryJobs({ db: t.db, config, logger: silent, esi, sso: null });
      await jobs.esiRefresh();
      expect((await corporationOf(BETA))?.allianceId).toBe(ALLIANCE);

      dated.setCorporationAlliance(BETA, null);
      clock += 10 * 60_000;
      const second = await jobs.esiRefresh();
      expect(second.corporations.changed).toBe(1);
      expect(second.allianceMembers).toMatchObject({ corporationsLeft: 1, corporationsUpdated: 0 });
      expect((await corporationOf(BETA))?.allianceId ?? null).toBeNull();
      // The list was not asked again: it came from the local cache, an hour fresh.
      expect(dated.requests.filter((r) => r.route === '/alliances/{alliance_id}/corporations/')).toHaveLength(
        1,
      );
    } finally {
      await dated.close();
    }
  });
});

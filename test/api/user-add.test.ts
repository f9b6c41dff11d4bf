import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { directoryEsiOf } from '../../src/directory/index.ts';
import { AuditEntry, Corporation, Group, User } from '../../src/store/entities/index.ts';
import { startFakeEsi, type FakeEsi } from '../fakes/esi/index.ts';
import {
  ALICE,
  ALLIANCE,
  ALPHA,
  BETA,
  BOB,
  CAROL,
  clientFor,
  DAVE,
  GAMMA,
  seedStandard,
} from '../esi/fixtures.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { addAlliance, addCorporation, freshCharacterId } from '../support/rows.ts';

let fake: FakeEsi;
let api: TestApi;
let generated: number[];
beforeAll(async () => {
  fake = await startFakeEsi();
  seedStandard(fake);
  generated = fake.seedGenerated({ characters: 2_500, corporations: 25, alliances: 5 });
  api = await startTestApi({ directoryEsi: directoryEsiOf(clientFor(fake)) });
  const em = api.t.db.fork();
  addAlliance(em, ALLIANCE, { ticker: 'TEST', executorCorporationId: ALPHA });
  addCorporation(em, ALPHA, { ticker: 'ALPHA', allianceId: ALLIANCE, ceoCharacterId: ALICE });
  await em.flush();
});
afterAll(async () => {
  await api?.stop();
  await fake?.close();
});
beforeEach(() => {
  fake.clearLog();
  api.jobs.syncRequests.length = 0;
});

describe('user.add', () => {
  it('adds a character by id or exact name from ESI, once: the second time changes nothing and says so', async () => {
    const admin = await api.user({ characterId: freshCharacterId(), clearanceLevel: 9 });
    const c = api.client(admin.token);
    const first = await c.user.add.mutate({ characterId: BOB });
    expect(first).toMatchObject({
      outcome: 'created',
      user: { characterId: BOB, characterName: 'Bob', corporationId: ALPHA },
    });
    expect(await c.user.add.mutate({ name: 'bob' })).toEqual({ outcome: 'unchanged', user: first.user });
    expect(await api.t.db.fork().count(User, { characterId: BOB })).toBe(1);
    const audits = await api.t.db.fork().find(AuditEntry, { subject: `user:${first.user.id}` });
    expect(audits.map((a) => a.action)).toEqual(['user.add']);
    expect(api.jobs.syncRequests.map((r) => r.trigger)).toEqual(['user.add', 'user.add']);
    // The corporation's autogroup holds the new member.
    const group = await api.t.db.fork().findOneOrFail(Group, { autoKey: `corporation:${ALPHA}` });
    expect(group.name).toContain('ALPHA');
  });

  it('makes the records of an unknown corporation and alliance, and gives a CEO their floor', async () => {
    const admin = await api.user({ characterId: freshCharacterId(), clearanceLevel: 9 });
    const added = await api.client(admin.token).user.add.mutate({ name: 'Carol' });
    expect(added.user).toMatchObject({ characterId: CAROL, corporationId: BETA });
    const em = api.t.db.fork();
    expect(await em.findOne(Corporation, { corporationId: BETA })).toMatchObject({
      ticker: 'BETA',
      allianceId: ALLIANCE,
    });
    expect(await em.findOne(User, { characterId: CAROL })).toMatchObject({ clearanceLevel: 2 });
  });

  it('says NOT_FOUND for a character EVE does not know and FORBIDDEN beyond reach, writing nothing', async () => {
    const alpha = await api.user({
      characterId: freshCharacterId(),
      clearanceLevel: 2,
      corporationId: ALPHA,
    });
    const c = api.client(alpha.token);
    await expect(c.user.add.mutate({ name: 'Nobody Here At All' })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    await expect(c.user.add.mutate({ characterId: 12345 })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    await expect(c.user.add.mutate({ characterId: DAVE })).rejects.toMatchObject({
      message: expect.stringContaining('user.add'),
      data: { code: 'FORBIDDEN' },
    });
    expect(await api.t.db.fork().count(User, { characterId: DAVE })).toBe(0);
    expect(await api.t.db.fork().count(Corporation, { corporationId: GAMMA })).toBe(0);
    const member = await api.user({
      characterId: freshCharacterId(),
      clearanceLevel: 0,
      corporationId: ALPHA,
    });
    await expect(api.client(member.token).user.add.mutate({ characterId: ALICE })).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
    });
  });

  it('refuses without ESI with PRECONDITION_FAILED', async () => {
    const offline = await startTestApi();
    try {
      const admin = await offline.user({ characterId: freshCharacterId(), clearanceLevel: 9 });
      await expect(offline.client(admin.token).user.add.mutate({ characterId: BOB })).rejects.toMatchObject({
        data: { code: 'PRECONDITION_FAILED' },
      });
    } finally {
      await offline.stop();
    }
  });
});

describe('user.import', () => {
  it('adds 1,000 characters by name in 4 ESI bulk calls (2 /universe/ids/, 1 affiliation, 0 names) plus the new corporations', async () => {
    const admin = await api.user({ characterId: freshCharacterId(), clearanceLevel: 9 });
    const names = generated.slice(0, 1_000).map((_, i) => `Pilot ${i}`);
    const report = await api.client(admin.token).user.import.mutate({ entries: names });
    expect(report.created).toHaveLength(1_000);
    expect(report).toMatchObject({ unchanged: [], unknown: [], refused: [] });
    const byRoute = fake.counts().byRoute;
    expect(byRoute['/universe/ids/']).toBe(2);
    expect(byRoute['/characters/affiliation/']).toBe(1);
    expect(byRoute['/universe/names/']).toBeUndefined();
    expect(byRoute['/corporations/{corporation_id}/']).toBe(25);
    expect(byRoute['/alliances/{alliance_id}/']).toBe(5);
    expect(await api.t.db.fork().count(User, { characterId: { $in: generated.slice(0, 1_000) } })).toBe(
      1_000,
    );
  });

  it('by id: names come from /universe/names/; again it is all unchanged; unknown ids are reported', async () => {
    const admin = await api.user({ characterId: freshCharacterId(), clearanceLevel: 9 });
    const ids = generated.slice(1_000, 1_999).map(String);
    const report = await api.client(admin.token).user.import.mutate({ entries: [...ids, '424242'] });
    expect(report.created).toHaveLength(999);
    expect(report.created[0]).toMatchObject({ characterName: 'Pilot 1000' });
    expect(report.unknown).toEqual(['424242']);
    expect(fake.counts().byRoute).toMatchObject({ '/characters/affiliation/': 1, '/universe/names/': 1 });
    fake.clearLog();
    const again = await api.client(admin.token).user.import.mutate({ entries: ids });
    expect(again.created).toEqual([]);
    expect(again.unchanged).toHaveLength(999);
    expect(fake.counts().byRoute['/corporations/{corporation_id}/']).toBeUndefined();
  });

  it('reports characters beyond reach one by one and adds the rest; bad entries are refused whole', async () => {
    const alpha = await api.user({
      characterId: freshCharacterId(),
      clearanceLevel: 2,
      corporationId: ALPHA,
    });
    const c = api.client(alpha.token);
    const report = await c.user.import.mutate({ entries: ['Alice', 'Dave'] });
    expect(report.created.map((u) => u.characterId)).toEqual([ALICE]);
    expect(report.refused).toMatchObject([{ characterId: DAVE, characterName: 'Dave' }]);
    await expect(c.user.import.mutate({ entries: ['Al'] })).rejects.toMatchObject({
      message: expect.stringContaining('entry 1'),
      data: { code: 'BAD_REQUEST' },
    });
    await expect(c.user.import.mutate({ entries: Array(1_001).fill('Alice') })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
    });
  });
});

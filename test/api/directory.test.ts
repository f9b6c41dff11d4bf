import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryEsi } from '../../src/api/deps.ts';
import {
  Alliance,
  AuditEntry,
  Coalition,
  Corporation,
  Group,
  GroupMember,
  User,
} from '../../src/store/entities/index.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { addAlliance, addCorporation, addUser } from '../support/rows.ts';

/** An operator refresh that finds nothing to change (these tests do not read ESI). */
const nothingRefreshed = {
  apply: async () => ({ changed: 0, corporationsLeft: 0, corporationsJoined: 0, unread: 0 }),
};

async function autogroupMembers(api: TestApi, name: string): Promise<string[]> {
  const em = api.t.db.fork();
  const group = await em.findOne(Group, { name });
  if (!group) return [];
  return (await em.find(GroupMember, { groupId: group.id })).map((m) => m.userId).sort();
}

describe('corporation, alliance, coalition and audit routers over HTTP', () => {
  let api: TestApi;
  let admin: { id: string; token: string };
  beforeAll(async () => {
    api = await startTestApi();
    admin = await api.user({ clearanceLevel: 9 });
  });
  afterAll(async () => api?.stop());

  it('tracks a corporation from facts given offline, once, and builds its autogroup', async () => {
    const c = api.client(admin.token);
    await expect(
      c.corporation.track.mutate({
        corporationId: 98_200_001,
        name: 'No Alliance Yet',
        ticker: 'NAY',
        allianceId: 99_200_001,
      }),
    ).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringContaining('track it first'),
    });
    await expect(c.corporation.track.mutate({ corporationId: 98_200_001 })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
    });
    expect(await api.t.db.fork().count(Corporation, { corporationId: 98_200_001 })).toBe(0);

    const alliance = await c.alliance.track.mutate({
      allianceId: 99_200_001,
      name: 'Test Alliance',
      ticker: 'TEST',
      executorCorporationId: 98_200_001,
    });
    expect(alliance).toMatchObject({
      allianceId: 99_200_001,
      ticker: 'TEST',
      tracked: true,
      corporations: [],
    });
    const pilot = await api.user({ corporationId: 98_200_001 });
    const corporation = await c.corporation.track.mutate({
      corporationId: 98_200_001,
      name: 'Test Corp',
      ticker: 'TCRP',
      allianceId: 99_200_001,
    });
    expect(corporation).toMatchObject({
      ticker: 'TCRP',
      tracked: true,
      alliance: { ticker: 'TEST' },
      memberCount: 1,
      guestCount: 0,
    });
    expect(typeof corporation.createdAt).toBe('string');
    expect(await autogroupMembers(api, 'corp:TCRP')).toEqual([pilot.id]);
    expect(await autogroupMembers(api, 'alliance:TEST')).toEqual([pilot.id]);
    await expect(c.corporation.track.mutate({ corporationId: 98_200_001 })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
    });
    await expect(
      c.corporation.track.mutate({ corporationId: 98_200_009, name: 'Clone', ticker: 'TCRP' }),
    ).rejects.toMatchObject({ data: { code: 'CONFLICT' } });
    const listed = await c.corporation.list.query({ allianceId: 99_200_001 });
    expect(listed.items.map((x) => x.corporationId)).toEqual([98_200_001]);
    await expect(
      api
        .client((await api.user({ clearanceLevel: 8 })).token)
        .corporation.track.mutate({ corporationId: 98_200_002, name: 'X', ticker: 'X' }),
    ).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
    });
  });

  it('tracks from ESI when it is wired, recording the alliance too, and refuses facts given as input', async () => {
    const esi: DirectoryEsi = {
      fetchCorporation: async (id) =>
        id === 98_300_001
          ? { name: 'Esi Corp', ticker: 'ESIC', ceoCharacterId: 90_300_001, allianceId: 99_300_001 }
          : null,
      fetchAlliance: async (id) =>
        id === 99_300_001
          ? { name: 'Esi Alliance', ticker: 'ESIA', executorCorporationId: 98_300_001 }
          : null,
      fetchCorporationRefresh: async () => nothingRefreshed,
      fetchAllianceRefresh: async () => nothingRefreshed,
      resolveCharacters: async () => ({ characters: [], unknownIds: [], unknownNames: [] }),
    };
    const withEsi = await startTestApi({ directoryEsi: esi });
    try {
      const boss = await withEsi.user({ clearanceLevel: 9 });
      const c = withEsi.client(boss.token);
      await expect(
        c.corporation.track.mutate({ corporationId: 98_300_001, name: 'Mine', ticker: 'MINE' }),
      ).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
      await expect(c.corporation.track.mutate({ corporationId: 98_300_404 })).rejects.toMatchObject({
        data: { code: 'NOT_FOUND' },
      });
      const corporation = await c.corporation.track.mutate({ corporationId: 98_300_001 });
      expect(corporation).toMatchObject({
        name: 'Esi Corp',
        ceoCharacterId: 90_300_001,
        alliance: { ticker: 'ESIA' },
        tracked: true,
      });
      expect(corporation.refreshedAt).not.toBeNull();
      const alliance = await withEsi.t.db.fork().findOneOrFail(Alliance, { allianceId: 99_300_001 });
      expect(alliance.tracked).toBe(false);
    } finally {
      await withEsi.stop();
    }
  });

  it('updates login flags and mandatory scopes with an audit entry, an autogroup rebuild and a sync', async () => {
    const em = api.t.db.fork();
    addCorporation(em, 98_200_100, { ticker: 'LOGN' });
    const pilot = addUser(em, 'Login Pilot', { corporationId: 98_200_100 });
    await em.flush();
    api.jobs.syncRequests.length = 0;
    const updated = await api.client(admin.token).corporation.update.mutate({
      corporationId: 98_200_100,
      authorizedToLogin: true,
      mandatoryEsiScopes: ['esi-b.v1', 'esi-a.v1', 'esi-a.v1'],
    });
    expect(updated).toMatchObject({ authorizedToLogin: true, mandatoryEsiScopes: ['esi-a.v1', 'esi-b.v1'] });
    expect(await autogroupMembers(api, 'members')).toContain(pilot.id);
    expect(api.jobs.syncRequests.length).toBe(2);
    // A login flag reaches the corporation's users: the rebuild of 'members' names them.
    for (const r of api.jobs.syncRequests) expect(r.scope?.users).toContain(pilot.id);
    const entry = await api.t.db
      .fork()
      .findOneOrFail(AuditEntry, { action: 'corporation.update', subject: 'corporation:98200100' });
    expect(entry.before).toMatchObject({ authorizedToLogin: null, mandatoryEsiScopes: [] });
    expect(entry.after).toMatchObject({ authorizedToLogin: true });
    await expect(
      api
        .client(admin.token)
        .corporation.update.mutate({ corporationId: 98_299_999, authorizedToLogin: true }),
    ).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    await expect(
      api.client(admin.token).alliance.get.query({ allianceId: 99_299_999 }),
    ).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
  });

  it('invites guests into the host corporation (the executor one for an alliance), lists and removes them', async () => {
    const em = api.t.db.fork();
    addAlliance(em, 99_400_001, { ticker: 'GSTA', executorCorporationId: 98_400_001 });
    addCorporation(em, 98_400_001, { ticker: 'GSTC', allianceId: 99_400_001, authorizedToLogin: true });
    addCorporation(em, 98_400_002, { ticker: 'OTHR' });
    await em.flush();
    const ceo = await api.user({ corporationId: 98_400_001, clearanceLevel: 2 });
    const member = await api.user({ corporationId: 98_400_001 });
    const c = api.client(ceo.token);
    const invited = await c.corporation.guests.invite.mutate({
      corporationId: 98_400_001,
      characterId: 90_400_001,
      characterName: 'Visiting Pilot',
    });
    expect(invited).toMatchObject({
      characterName: 'Visiting Pilot',
      corporationId: 98_400_001,
      createdUser: true,
    });
    const guest = await api.t.db.fork().findOneOrFail(User, { id: invited.userId });
    expect(guest).toMatchObject({ clearanceLevel: -1, corporationId: 98_400_001 });
    expect(await autogroupMembers(api, 'guests')).toContain(guest.id);
    expect(await autogroupMembers(api, 'members')).not.toContain(guest.id);
    expect(await autogroupMembers(api, 'corp:GSTC')).not.toContain(guest.id);
    expect(
      (await c.corporation.guests.list.query({ corporationId: 98_400_001 })).items.map((g) => g.userId),
    ).toEqual([guest.id]);
    await expect(
      c.corporation.guests.invite.mutate({ corporationId: 98_400_001, characterId: 90_400_002 }),
    ).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
    const memberCharacter = (await api.t.db.fork().findOneOrFail(User, { id: member.id })).characterId;
    await expect(
      c.corporation.guests.invite.mutate({ corporationId: 98_400_001, characterId: memberCharacter }),
    ).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringContaining('not a guest'),
    });
    await expect(
      c.corporation.guests.invite.mutate({
        corporationId: 98_400_002,
        characterId: 90_400_003,
        characterName: 'X',
      }),
    ).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await expect(
      api.client(member.token).corporation.guests.invite.mutate({
        corporationId: 98_400_001,
        characterId: 90_400_003,
        characterName: 'X',
      }),
    ).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
    });

    const executive = await api.user({ corporationId: 98_400_001, clearanceLevel: 4 });
    const viaAlliance = await api.client(executive.token).alliance.guests.invite.mutate({
      allianceId: 99_400_001,
      characterId: 90_400_004,
      characterName: 'Alliance Guest',
    });
    expect(viaAlliance.corporationId).toBe(98_400_001);
    expect(
      (await api.client(executive.token).alliance.guests.list.query({ allianceId: 99_400_001 })).items,
    ).toHaveLength(2);

    expect(await c.corporation.guests.remove.mutate({ corporationId: 98_400_001, userId: guest.id })).toEqual(
      { removed: true },
    );
    expect((await api.t.db.fork().findOneOrFail(User, { id: guest.id })).corporationId).toBeNull();
    expect(await autogroupMembers(api, 'guests')).not.toContain(guest.id);
    await expect(
      c.corporation.guests.remove.mutate({ corporationId: 98_400_001, userId: guest.id }),
    ).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    await expect(
      c.corporation.guests.remove.mutate({ corporationId: 98_400_001, userId: member.id }),
    ).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
  });

  it('creates coalitions with members by id or ticker, refuses unknown ones without writing, and keeps names unique', async () => {
    const em = api.t.db.fork();
    addAlliance(em, 99_500_001, { ticker: 'COA1' });
    addCorporation(em, 98_500_001, { ticker: 'COC1', allianceId: 99_500_001 });
    addCorporation(em, 98_500_002, { ticker: 'COC2' });
    const inAlliance = addUser(em, 'Coalition Pilot', { corporationId: 98_500_001 });
    const direct = addUser(em, 'Direct Pilot', { corporationId: 98_500_002 });
    await em.flush();
    const c = api.client(admin.token);
    const before = await api.t.db.fork().count(Coalition, {});
    await expect(
      c.coalition.create.mutate({ name: 'Bad', ticker: 'BAD', alliances: ['NOPE'] }),
    ).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' }, message: expect.stringContaining('NOPE') });
    await expect(
      c.coalition.create.mutate({ name: 'Bad', ticker: 'BAD', corporations: [98_599_999] }),
    ).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
    expect(await api.t.db.fork().count(Coalition, {})).toBe(before);

    const coalition = await c.coalition.create.mutate({
      name: 'Northern Pact',
      ticker: 'NPACT',
      alliances: ['COA1'],
      authorizedToLogin: true,
    });
    expect(coalition.alliances).toEqual([
      { allianceId: 99_500_001, name: 'Alliance 99500001', ticker: 'COA1' },
    ]);
    expect(await autogroupMembers(api, 'coalition:NPACT')).toEqual([inAlliance.id]);
    await expect(c.coalition.create.mutate({ name: 'Northern Pact', ticker: 'OTHER' })).rejects.toMatchObject(
      { data: { code: 'CONFLICT' } },
    );
    await expect(c.coalition.create.mutate({ name: 'Other', ticker: 'NPACT' })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
    });

    const updated = await c.coalition.update.mutate({
      id: coalition.id,
      ticker: 'NP',
      addCorporations: [98_500_002],
      removeAlliances: [99_500_001],
    });
    expect(updated).toMatchObject({
      ticker: 'NP',
      alliances: [],
      corporations: [{ corporationId: 98_500_002, ticker: 'COC2' }],
    });
    expect(await autogroupMembers(api, 'coalition:NP')).toEqual([direct.id]);
    await expect(
      c.coalition.update.mutate({ id: coalition.id, addAlliances: ['NOPE'], description: 'changed' }),
    ).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
    expect((await c.coalition.get.query({ ticker: 'NP' })).description).toBe('');

    const autogroup = await api.t.db.fork().findOneOrFail(Group, { name: 'coalition:NP' });
    expect(await c.coalition.delete.mutate({ id: coalition.id })).toEqual({ deleted: true });
    // The coalition's autogroup goes with it (audited), rather than staying empty for ever.
    expect(await api.t.db.fork().findOne(Group, { id: autogroup.id })).toBeNull();
    expect(
      await api.t.db
        .fork()
        .findOne(AuditEntry, { action: 'autogroup.delete', subject: `group:${autogroup.id}` }),
    ).not.toBeNull();
    // Re-creating the ticker makes a fresh autogroup under the plain name; nothing is renamed.
    const again = await c.coalition.create.mutate({ name: 'Northern Pact', ticker: 'NP' });
    const fresh = await api.t.db.fork().findOneOrFail(Group, { name: 'coalition:NP' });
    expect(fresh.id).not.toBe(autogroup.id);
    expect(await api.t.db.fork().count(Group, { name: { $like: 'coalition:NP (%' } })).toBe(0);
    await c.coalition.delete.mutate({ id: again.id });
    await expect(c.coalition.get.query({ id: coalition.id })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    await expect(
      api
        .client((await api.user({ clearanceLevel: 8 })).token)
        .coalition.create.mutate({ name: 'X', ticker: 'X' }),
    ).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
  });

  it('shows admins the audit log, newest first, filtered and paged', async () => {
    const c = api.client(admin.token);
    const group = await c.group.create.mutate({ name: 'Audited' });
    await c.group.update.mutate({ id: group.id, description: 'one' });
    await c.group.update.mutate({ id: group.id, description: 'two' });
    await c.group.update.mutate({ id: group.id, description: 'three' });
    const first = await c.audit.list.query({
      action: 'group.update',
      subject: `group:${group.id}`,
      limit: 2,
    });
    expect(first.items.map((e) => (e.after as { description: string }).description)).toEqual([
      'three',
      'two',
    ]);
    expect(first.items[0]).toMatchObject({ actorId: admin.id, action: 'group.update' });
    expect(typeof first.items[0]!.at).toBe('string');
    const second = await c.audit.list.query({
      action: 'group.update',
      subject: `group:${group.id}`,
      limit: 2,
      cursor: first.nextCursor,
    });
    expect(second.items.map((e) => (e.after as { description: string }).description)).toEqual(['one']);
    expect(second.nextCursor).toBeNull();
    expect((await c.audit.list.query({ actorId: admin.id })).items.length).toBeGreaterThan(4);
    await expect(c.audit.list.query({ cursor: 'not-a-cursor' })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
    });
    // Found by the fuzz test: dates JavaScript knows but PostgreSQL does not store.
    await expect(c.audit.list.query({ cursor: '-271821-04-20T00:00:00.000Z|x' })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
    });
    await expect(
      api.client((await api.user({ clearanceLevel: 8 })).token).audit.list.query({}),
    ).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
  });
});

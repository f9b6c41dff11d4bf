import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEntry, Group, GroupMember, TeamspeakLink, User } from '../../src/store/entities/index.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { addAlliance, addCorporation, addGroup, addTeamspeakLink } from '../support/rows.ts';

const ALLIANCE = 99_100_001;
const CORP_A = 98_100_001; // in the alliance
const CORP_B = 98_100_002; // in the alliance
const CORP_C = 98_100_003; // on its own

describe('user router over HTTP', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({
      config: { teamspeak: { targets: [{ name: 'main', host: '127.0.0.1', username: 'q', password: 'p' }] } },
    });
    const em = api.t.db.fork();
    addAlliance(em, ALLIANCE, { ticker: 'ALLY' });
    addCorporation(em, CORP_A, { ticker: 'CORPA', allianceId: ALLIANCE });
    addCorporation(em, CORP_B, { ticker: 'CORPB', allianceId: ALLIANCE });
    addCorporation(em, CORP_C, { ticker: 'CORPC' });
    await em.flush();
  });
  afterAll(async () => api?.stop());

  const ids = async (token: string, input: Record<string, unknown> = {}) => {
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string }[]; nextCursor: string | null } = await api
        .client(token)
        .user.list.query({ ...input, cursor, limit: 2 });
      all.push(...page.items.map((u) => u.id));
      cursor = page.nextCursor;
    } while (cursor);
    return all;
  };

  it('lists only the users within read reach, pages by cursor, and shows guests only when asked by someone allowed', async () => {
    const a0 = await api.user({ corporationId: CORP_A, clearanceLevel: 0 });
    const a1 = await api.user({ corporationId: CORP_A, clearanceLevel: 1 });
    const a3 = await api.user({ corporationId: CORP_A, clearanceLevel: 3 });
    const b = await api.user({ corporationId: CORP_B, clearanceLevel: 0 });
    const c = await api.user({ corporationId: CORP_C, clearanceLevel: 0 });
    const guest = await api.user({ corporationId: CORP_A, clearanceLevel: -1 });
    const seven = await api.user({ corporationId: CORP_C, clearanceLevel: 7 });

    expect(await ids(a0.token)).toEqual([a0.id]);
    const corpA = await ids(a1.token, { corporationId: CORP_A });
    expect(corpA.sort()).toEqual([a0.id, a1.id, a3.id].sort());
    expect(await ids(a1.token)).not.toContain(b.id);
    const alliance = await ids(a3.token);
    expect(alliance).toEqual(expect.arrayContaining([a0.id, a1.id, a3.id, b.id]));
    expect(alliance).not.toContain(c.id);
    expect(alliance).not.toContain(guest.id);
    expect(await ids(a3.token, { allianceId: ALLIANCE, includeGuests: true })).toContain(guest.id);
    await expect(api.client(a1.token).user.list.query({ includeGuests: true })).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
    });
    const everyone = await ids(seven.token);
    expect(everyone).toEqual(expect.arrayContaining([a0.id, b.id, c.id, api.rootId]));
    expect(everyone).toEqual([...everyone].sort());
    await expect(api.client(guest.token).user.list.query({})).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
    });
  });

  it('filters by group, and refuses an unknown group with NOT_FOUND', async () => {
    const admin = await api.user({ clearanceLevel: 9 });
    const member = await api.user({ corporationId: CORP_C });
    const em = api.t.db.fork();
    const group = addGroup(em, 'Filter Test', [member.id]);
    await em.flush();
    expect(await ids(admin.token, { groupId: group.id })).toEqual([member.id]);
    await expect(api.client(admin.token).user.list.query({ groupId: 'missing' })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
  });

  it('describes a user with tickered name, alliance, groups and links, never the refresh token', async () => {
    const pilot = await api.user({
      corporationId: CORP_B,
      characterName: 'Ann Pilot',
      discordUserId: '123456789012345678',
    });
    const em = api.t.db.fork();
    await em.nativeUpdate(User, { id: pilot.id }, { refreshToken: 'encrypted-secret-blob' });
    addTeamspeakLink(em, pilot.id, 'main', '42');
    addGroup(em, 'Described', [pilot.id]);
    await em.flush();
    const reader = await api.user({ corporationId: CORP_B, clearanceLevel: 1 });
    const user = await api.client(reader.token).user.get.query({ id: pilot.id });
    expect(user).toMatchObject({
      tickeredName: '[ALLY] Ann Pilot',
      corporation: { corporationId: CORP_B, ticker: 'CORPB' },
      alliance: { allianceId: ALLIANCE, ticker: 'ALLY' },
      groups: [{ name: 'Described', kind: 'manual' }],
      links: { discordUserId: '123456789012345678', teamspeak: [{ target: 'main', clientDbId: '42' }] },
      guest: false,
    });
    expect(typeof user.createdAt).toBe('string');
    expect(JSON.stringify(user)).not.toMatch(/"refreshToken"|encrypted-secret-blob/);
    expect((await api.client(reader.token).user.get.query({ characterId: user.characterId })).id).toBe(
      pilot.id,
    );
    const outsider = await api.user({ corporationId: CORP_C, clearanceLevel: 2 });
    await expect(api.client(outsider.token).user.get.query({ id: pilot.id })).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
    });
    await expect(api.client(reader.token).user.get.query({})).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
    });
  });

  it('refuses clearance changes by the domain rules, naming the rule', async () => {
    const admin = await api.user({ clearanceLevel: 9 });
    const peer = await api.user({ clearanceLevel: 9 });
    const c = api.client(admin.token);
    await expect(c.user.setClearance.mutate({ id: admin.id, level: 8 })).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
      message: expect.stringContaining('own-level'),
    });
    await expect(c.user.setClearance.mutate({ id: api.rootId, level: 9 })).rejects.toMatchObject({
      message: expect.stringContaining('root-is-fixed'),
    });
    await expect(c.user.setClearance.mutate({ id: peer.id, level: 3 })).rejects.toMatchObject({
      message: expect.stringContaining('target-not-below'),
    });
    const pilot = await api.user({ corporationId: CORP_C });
    await expect(c.user.setClearance.mutate({ id: pilot.id, level: 10 })).rejects.toMatchObject({
      message: expect.stringContaining('level-not-below'),
    });
    // An admin makes no peer it could not undo (rule "level-not-below" both ways).
    await expect(c.user.setClearance.mutate({ id: pilot.id, level: 9 })).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
      message: expect.stringContaining('level-not-below'),
    });
    await expect(c.user.setClearance.mutate({ id: pilot.id, level: 11 })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
    });
    const em = api.t.db.fork();
    expect(await em.count(AuditEntry, { subject: `user:${pilot.id}` })).toBe(0);
  });

  it('changes a level with an audit entry, an autogroup rebuild and a sync request', async () => {
    const superuser = await api.user({ clearanceLevel: 10 });
    const pilot = await api.user({ corporationId: CORP_C });
    api.jobs.syncRequests.length = 0;
    const changed = await api.client(superuser.token).user.setClearance.mutate({ id: pilot.id, level: 10 });
    expect(changed.clearanceLevel).toBe(10);
    expect(changed.groups.map((g) => g.name)).toContain('superusers');
    expect(api.jobs.syncRequests.map((r) => r.platform).sort()).toEqual(['discord', 'teamspeak']);
    // Scoped to the users the change reached (the rebuild moved the pilot into superusers).
    for (const r of api.jobs.syncRequests) expect(r.scope).toMatchObject({ groups: [], accounts: [] });
    for (const r of api.jobs.syncRequests) expect(r.scope?.users).toContain(pilot.id);
    const entry = await api.t.db
      .fork()
      .findOneOrFail(AuditEntry, { action: 'user.setClearance', subject: `user:${pilot.id}` });
    expect(entry).toMatchObject({
      actorId: superuser.id,
      before: { clearanceLevel: 0 },
      after: { clearanceLevel: 10 },
    });
  });

  it('sets the login flag of others only, and rebuilds the members autogroup', async () => {
    const boss = await api.user({ corporationId: CORP_A, clearanceLevel: 2 });
    const pilot = await api.user({ corporationId: CORP_A });
    const c = api.client(boss.token);
    await expect(
      c.user.setAuthorizedToLogin.mutate({ id: boss.id, authorizedToLogin: true }),
    ).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    const after = await c.user.setAuthorizedToLogin.mutate({ id: pilot.id, authorizedToLogin: true });
    expect(after.authorizedToLogin).toBe(true);
    expect(after.groups.map((g) => g.name)).toContain('members');
    const stranger = await api.user({ corporationId: CORP_C });
    await expect(
      c.user.setAuthorizedToLogin.mutate({ id: stranger.id, authorizedToLogin: true }),
    ).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
  });

  it('deletes a user with memberships, links and tokens, but never root or oneself', async () => {
    const admin = await api.user({ clearanceLevel: 9 });
    const pilot = await api.user({ corporationId: CORP_C });
    const em = api.t.db.fork();
    const owned = addGroup(em, 'Owned By Pilot', [pilot.id], { ownerId: pilot.id });
    addTeamspeakLink(em, pilot.id, 'main', '77');
    await em.flush();
    const c = api.client(admin.token);
    await expect(c.user.delete.mutate({ id: api.rootId })).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
    });
    await expect(c.user.delete.mutate({ id: admin.id })).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
    });
    const superuser = await api.user({ clearanceLevel: 10 });
    await expect(c.user.delete.mutate({ id: superuser.id })).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
    });
    expect(await c.user.delete.mutate({ id: pilot.id })).toMatchObject({
      deleted: true,
      memberships: 1,
      teamspeakLinks: 1,
      tokens: 1,
      ownedGroups: 1,
    });
    const check = api.t.db.fork();
    expect(await check.count(User, { id: pilot.id })).toBe(0);
    expect(await check.count(GroupMember, { userId: pilot.id })).toBe(0);
    expect(await check.count(TeamspeakLink, { userId: pilot.id })).toBe(0);
    expect((await check.findOneOrFail(Group, { id: owned.id })).ownerId).toBeNull();
    await expect(api.client(pilot.token).token.list.query()).rejects.toMatchObject({
      data: { code: 'UNAUTHORIZED' },
    });
    await expect(c.user.delete.mutate({ id: pilot.id })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
  });

  it('unlinks TeamSpeak identities and Discord accounts, idempotently, and asks for a sync', async () => {
    const pilot = await api.user({ corporationId: CORP_A, discordUserId: '223456789012345678' });
    const em = api.t.db.fork();
    addTeamspeakLink(em, pilot.id, 'main', '88');
    await em.flush();
    const boss = await api.user({ corporationId: CORP_A, clearanceLevel: 2 });
    const c = api.client(boss.token);
    api.jobs.syncRequests.length = 0;
    expect(await c.user.unlink.mutate({ id: pilot.id, platform: 'teamspeak', target: 'main' })).toEqual({
      removed: 1,
    });
    expect(await c.user.unlink.mutate({ id: pilot.id, platform: 'teamspeak' })).toEqual({ removed: 0 });
    expect(await c.user.unlink.mutate({ id: pilot.id, platform: 'discord' })).toEqual({ removed: 1 });
    // Each names the accounts the user held before: no longer anyone's, they leave Roster's groups.
    const discordAccount = { platform: 'discord', target: null, accountId: '223456789012345678' };
    expect(api.jobs.syncRequests).toEqual([
      {
        platform: 'teamspeak',
        target: 'main',
        trigger: 'user.unlink',
        scope: {
          groups: [],
          users: [pilot.id],
          accounts: [discordAccount, { platform: 'teamspeak', target: 'main', accountId: '88' }],
        },
      },
      {
        platform: 'discord',
        target: null,
        trigger: 'user.unlink',
        scope: { groups: [], users: [pilot.id], accounts: [discordAccount] },
      },
    ]);
    expect((await api.t.db.fork().findOneOrFail(User, { id: pilot.id })).discordUserId).toBeNull();
    await expect(
      api.client(pilot.token).user.unlink.mutate({ id: pilot.id, platform: 'discord' }),
    ).resolves.toEqual({ removed: 0 });
    await expect(
      c.user.unlink.mutate({ id: pilot.id, platform: 'discord', target: 'x' } as never),
    ).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
  });
});

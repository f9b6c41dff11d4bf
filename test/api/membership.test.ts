import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEntry, GroupMember } from '../../src/store/entities/index.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { addCoalition, addCorporation, addGroup } from '../support/rows.ts';

/** Groups people run themselves, over the real control plane: policies, requests, links, leaders. */
describe('membership router over HTTP', () => {
  let api: TestApi;
  const CORP_IN = 98_170_001;
  const CORP_OUT = 98_170_002;
  let coalitionId: string;

  beforeAll(async () => {
    api = await startTestApi();
    const em = api.t.db.fork();
    addCorporation(em, CORP_IN, { ticker: 'IN17' });
    addCorporation(em, CORP_OUT, { ticker: 'OUT17' });
    coalitionId = addCoalition(em, 'Issue 17 Coalition', { ticker: 'I17', corporationIds: [CORP_IN] }).id;
    await em.flush();
  });
  afterAll(async () => api?.stop());

  /** A group owned by a fresh level-1 user, with its policy set by the owner through the API. */
  async function groupWith(joinPolicy: 'closed' | 'open' | 'request' | 'hidden', eligibility?: unknown) {
    const owner = await api.user({ clearanceLevel: 1, corporationId: CORP_IN });
    const c = api.client(owner.token);
    const g = await c.group.create.mutate({ name: `G17 ${joinPolicy} ${crypto.randomUUID().slice(0, 8)}` });
    await c.membership.configure.mutate({ id: g.id, joinPolicy, ...(eligibility ? { eligibility } : {}) });
    return { owner, id: g.id, name: g.name };
  }

  const memberIds = async (groupId: string) =>
    (await api.t.db.fork().find(GroupMember, { groupId })).map((m) => m.userId).sort();
  const audits = async (subject: string) =>
    (await api.t.db.fork().find(AuditEntry, { subject }, { orderBy: { at: 'asc' } })).map((e) => e.action);

  it('lets anyone eligible join and leave an open group, audited, with a sync asked', async () => {
    const g = await groupWith('open');
    const pilot = await api.user({ corporationId: CORP_OUT });
    const c = api.client(pilot.token);
    expect((await c.membership.joinable.query()).find((x) => x.id === g.id)).toMatchObject({
      joinPolicy: 'open',
      eligible: true,
      member: false,
    });
    api.jobs.syncRequests.length = 0;
    await c.membership.join.mutate({ id: g.id });
    expect(await memberIds(g.id)).toEqual([pilot.id]);
    expect(api.jobs.syncRequests.map((r) => r.trigger)).toContain('membership.join');
    await expect(c.membership.join.mutate({ id: g.id })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
    });
    expect((await c.membership.mine.query()).memberships.map((m) => [m.groupId, m.mayLeave])).toEqual([
      [g.id, true],
    ]);
    await c.membership.leave.mutate({ id: g.id });
    expect(await memberIds(g.id)).toEqual([]);
    expect(await audits(`group:${g.id}`)).toEqual([
      'group.create',
      'group.configure',
      'group.join',
      'group.leave',
    ]);
  });

  it('keeps the ineligible out and says which clause they fail, changing nothing', async () => {
    const g = await groupWith('open', { all: [{ coalition: [coalitionId] }, { clearance: { min: 0 } }] });
    const outsider = await api.user({ corporationId: CORP_OUT });
    const error = await api
      .client(outsider.token)
      .membership.join.mutate({ id: g.id })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ data: { code: 'BAD_REQUEST' } });
    expect((error as Error).message).toMatch(
      /not in coalition Issue 17 Coalition.*clause all\[0\]\.coalition/,
    );
    expect(await memberIds(g.id)).toEqual([]);
    const insider = await api.user({ corporationId: CORP_IN });
    await api.client(insider.token).membership.join.mutate({ id: g.id });
    expect(await memberIds(g.id)).toEqual([insider.id]);
  });

  it('refuses a bad eligibility rule with the clause named, and keeps the old one', async () => {
    const g = await groupWith('open', { clearance: { min: 1 } });
    const error = await api
      .client(g.owner.token)
      .membership.configure.mutate({
        id: g.id,
        eligibility: { all: [{ guest: false }, { clearance: { min: 12 } }] },
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ data: { code: 'BAD_REQUEST' } });
    expect((error as Error).message).toMatch(/eligibility: clause all\[1\]\.clearance: .*(10|too big)/i);
    expect(await api.client(g.owner.token).membership.settings.query({ id: g.id })).toMatchObject({
      eligibility: { clearance: { min: 1 } },
    });
  });

  it('turns a direct join of a request group away, and lets a leader approve one request and deny another', async () => {
    const g = await groupWith('request');
    const first = await api.user();
    const second = await api.user();
    await expect(api.client(first.token).membership.join.mutate({ id: g.id })).rejects.toThrow(
      /is request: ask to join/,
    );
    const r1 = await api.client(first.token).membership.request.mutate({ id: g.id, message: 'FC me' });
    const r2 = await api.client(second.token).membership.request.mutate({ id: g.id });
    await expect(api.client(first.token).membership.request.mutate({ id: g.id })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
    });
    // A stranger sees no queue and cannot answer; the owner sees both requests, oldest first.
    const stranger = await api.user({ clearanceLevel: 4 });
    expect(await api.client(stranger.token).membership.requests.query({})).toEqual([]);
    await expect(
      api.client(stranger.token).membership.decide.mutate({ requestId: r1.id, approve: true }),
    ).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    const queue = await api.client(g.owner.token).membership.requests.query({});
    expect(queue.map((r) => [r.id, r.message])).toEqual([
      [r1.id, 'FC me'],
      [r2.id, ''],
    ]);

    api.jobs.syncRequests.length = 0;
    const approved = await api
      .client(g.owner.token)
      .membership.decide.mutate({ requestId: r1.id, approve: true, reason: 'welcome' });
    expect(approved).toMatchObject({ status: 'approved', decidedBy: g.owner.id, decisionReason: 'welcome' });
    expect(api.jobs.syncRequests.length).toBeGreaterThan(0);
    await expect(
      api.client(g.owner.token).membership.decide.mutate({ requestId: r2.id, approve: false }),
    ).rejects.toThrow(/denial needs a reason/);
    await api
      .client(g.owner.token)
      .membership.decide.mutate({ requestId: r2.id, approve: false, reason: 'full for now' });
    await expect(
      api.client(g.owner.token).membership.decide.mutate({ requestId: r2.id, approve: true }),
    ).rejects.toMatchObject({ data: { code: 'CONFLICT' } });
    expect(await memberIds(g.id)).toEqual([first.id]);
    expect((await api.client(second.token).membership.mine.query()).requests).toMatchObject([
      { id: r2.id, status: 'denied', decisionReason: 'full for now' },
    ]);
    expect(await api.client(g.owner.token).membership.requests.query({})).toEqual([]);
    expect(await audits(`group:${g.id}`)).toEqual([
      'group.create',
      'group.configure',
      'group.request',
      'group.request',
      'group.approveRequest',
      'group.denyRequest',
    ]);
  });

  it('does not list a hidden group and lets people in only through its current link', async () => {
    const g = await groupWith('hidden');
    const pilot = await api.user();
    const c = api.client(pilot.token);
    expect((await c.membership.joinable.query()).map((x) => x.id)).not.toContain(g.id);
    await expect(c.membership.settings.query({ id: g.id })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    await expect(c.membership.join.mutate({ id: g.id })).rejects.toThrow(/hidden: join through the link/);
    await expect(c.membership.newJoinLink.mutate({ id: g.id })).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
    });
    const { link: old } = await api.client(g.owner.token).membership.newJoinLink.mutate({ id: g.id });
    const { link } = await api.client(g.owner.token).membership.newJoinLink.mutate({ id: g.id });
    await expect(c.membership.joinByLink.mutate({ link: old })).rejects.toThrow(/not valid/);
    expect(await c.membership.joinByLink.mutate({ link })).toMatchObject({ groupId: g.id, name: g.name });
    expect(await memberIds(g.id)).toEqual([pilot.id]);
    expect(await c.membership.settings.query({ id: g.id })).toMatchObject({ joinPolicy: 'hidden' });
    // The secret is never in the audit log.
    const entries = await api.t.db.fork().find(AuditEntry, { subject: `group:${g.id}` });
    expect(JSON.stringify(entries)).not.toContain(link.slice(4));
  });

  it('lets leaders (a user, or the members of a leader group) run the group, and nobody else', async () => {
    const g = await groupWith('closed');
    const leaderUser = await api.user();
    const officer = await api.user();
    const other = await api.user({ clearanceLevel: 8 });
    const target = await api.user();
    const em = api.t.db.fork();
    const officers = addGroup(em, `Officers ${crypto.randomUUID().slice(0, 8)}`, [officer.id]);
    await em.flush();
    // Only the owner (or an admin) names leaders.
    await expect(
      api.client(leaderUser.token).membership.addLeader.mutate({ id: g.id, userId: leaderUser.id }),
    ).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await api.client(g.owner.token).membership.addLeader.mutate({ id: g.id, userId: leaderUser.id });
    const settings = await api
      .client(g.owner.token)
      .membership.addLeader.mutate({ id: g.id, groupId: officers.id });
    expect(settings).toMatchObject({ leaderUserIds: [leaderUser.id], leaderGroupIds: [officers.id] });

    const until = new Date(Date.now() + 7 * 86_400_000).toISOString();
    await api
      .client(leaderUser.token)
      .membership.add.mutate({ id: g.id, userIds: [target.id], expiresAt: until });
    expect(await api.client(officer.token).membership.members.query({ id: g.id })).toMatchObject([
      { userId: target.id, expiresAt: until },
    ]);
    expect((await api.client(target.token).membership.mine.query()).memberships).toMatchObject([
      { groupId: g.id, expiresAt: until, mayLeave: false },
    ]);
    await expect(api.client(target.token).membership.leave.mutate({ id: g.id })).rejects.toThrow(
      /closed: ask a leader/,
    );
    for (const outsider of [other, target]) {
      await expect(
        api.client(outsider.token).membership.remove.mutate({ id: g.id, userIds: [target.id] }),
      ).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
      await expect(api.client(outsider.token).membership.members.query({ id: g.id })).rejects.toMatchObject({
        data: { code: 'FORBIDDEN' },
      });
    }
    expect(
      await api.client(officer.token).membership.remove.mutate({ id: g.id, userIds: [target.id] }),
    ).toEqual({ removed: 1 });
    expect(await memberIds(g.id)).toEqual([]);
    // A former leader group's members lose the right with it.
    await api.client(g.owner.token).membership.removeLeader.mutate({ id: g.id, groupId: officers.id });
    await expect(api.client(officer.token).membership.members.query({ id: g.id })).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
    });
    expect(await audits(`group:${g.id}`)).toEqual([
      'group.create',
      'group.configure',
      'group.addLeader',
      'group.addLeader',
      'group.lead.addMembers',
      'group.lead.removeMembers',
      'group.removeLeader',
    ]);
  });

  it('refuses joining autogroups and closed groups, and guests', async () => {
    const closed = await groupWith('closed');
    const pilot = await api.user();
    await expect(api.client(pilot.token).membership.join.mutate({ id: closed.id })).rejects.toThrow(
      /closed: a leader adds members/,
    );
    const root = await api.user({ clearanceLevel: 10 });
    const auto = (await api.client(root.token).group.list.query({ kind: 'auto' })).items[0]!;
    await expect(api.client(pilot.token).membership.join.mutate({ id: auto.id })).rejects.toThrow(
      /built by Roster/,
    );
    const open = await groupWith('open');
    const guest = await api.user({ clearanceLevel: -1 });
    await expect(api.client(guest.token).membership.join.mutate({ id: open.id })).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
    });
    expect(await memberIds(open.id)).toEqual([]);
  });
});

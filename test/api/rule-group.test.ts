import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEntry, Group, GroupMember, User } from '../../src/store/entities/index.ts';
import { rosterctl } from '../cli/run.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { addCoalition, addCorporation } from '../support/rows.ts';

/** Rule-built groups over the real control plane: saved with validation, rebuilt, explained. */
describe('ruleGroup router over HTTP', () => {
  let api: TestApi;
  const CORP_IN = 98_171_001;
  const CORP_OUT = 98_171_002;
  let coalitionId: string;
  let owner: { id: string; token: string };

  beforeAll(async () => {
    api = await startTestApi();
    const em = api.t.db.fork();
    addCorporation(em, CORP_IN, { ticker: 'RIN17' });
    addCorporation(em, CORP_OUT, { ticker: 'ROUT17' });
    coalitionId = addCoalition(em, 'Rule Coalition', { ticker: 'R17', corporationIds: [CORP_IN] }).id;
    await em.flush();
    owner = await api.user({ clearanceLevel: 1, corporationId: CORP_IN });
  });
  afterAll(async () => api?.stop());

  const memberIds = async (groupId: string) =>
    (await api.t.db.fork().find(GroupMember, { groupId })).map((m) => m.userId).sort();
  const audits = async (groupId: string) =>
    (await api.t.db.fork().find(AuditEntry, { subject: `group:${groupId}` }, { orderBy: { at: 'asc' } })).map(
      (e) => ({ action: e.action, before: e.before, after: e.after }),
    );

  it('refuses a bad rule naming the clause, and writes nothing', async () => {
    const c = api.client(owner.token);
    const bad = [
      [
        { all: [{ guest: false }, { clearance: { min: 4, max: 2 } }] },
        /clause all\[1\]\.clearance: min is above max/,
      ],
      [{ all: [{ coalition: ['no-such-coalition'] }] }, /unknown coalition no-such-coalition/],
      [{ memberOf: ['no-such-group'] }, /unknown group no-such-group/],
      [{ corporations: [1] }, /clause the rule: unknown clause "corporations"/],
    ] as const;
    for (const [rule, message] of bad) {
      const error = await c.ruleGroup.create.mutate({ name: 'Bad rule', rule }).catch((e: unknown) => e);
      expect(error).toMatchObject({ data: { code: 'BAD_REQUEST' } });
      expect((error as Error).message).toMatch(message);
    }
    expect(await api.t.db.fork().count(Group, { name: 'Bad rule' })).toBe(0);
  });

  it('builds the group from its rule at once, rebuilds it when the directory changes, audited', async () => {
    const inside = await api.user({ corporationId: CORP_IN });
    const outside = await api.user({ corporationId: CORP_OUT });
    const guest = await api.user({ corporationId: CORP_IN, clearanceLevel: -1 });
    const c = api.client(owner.token);
    const g = await c.ruleGroup.create.mutate({
      name: 'Coalition pilots',
      rule: { all: [{ coalition: [coalitionId] }, { not: { guest: true } }] },
    });
    expect(g).toMatchObject({ kind: 'rule', ownerId: owner.id });
    expect(await memberIds(g.id)).toEqual([owner.id, inside.id].sort());
    expect(api.jobs.syncRequests.map((r) => r.trigger)).toContain('ruleGroup.create');

    const explainOutside = await c.ruleGroup.explain
      .query({ id: g.id, userId: outside.id })
      .catch(() => null);
    // A level-1 owner reads only their corporation: the outsider is out of reach.
    expect(explainOutside).toBeNull();
    const admin = await api.user({ clearanceLevel: 9 });
    const a = api.client(admin.token);
    expect(await a.ruleGroup.explain.query({ id: g.id, userId: outside.id })).toMatchObject({
      member: false,
      matches: false,
      failing: { path: 'all[0].coalition', reason: 'not in coalition Rule Coalition' },
    });
    expect(await a.ruleGroup.explain.query({ id: g.id, userId: guest.id })).toMatchObject({
      failing: { path: 'all[1].not' },
    });
    expect(await c.ruleGroup.explain.query({ id: g.id, userId: inside.id })).toMatchObject({
      member: true,
      matches: true,
      failing: null,
    });

    // The insider moves out of the coalition: the next rebuild removes them.
    const em = api.t.db.fork();
    const row = await em.findOneOrFail(User, { id: inside.id });
    row.corporationId = CORP_OUT;
    await em.flush();
    expect(await a.ruleGroup.explain.query({ id: g.id, userId: inside.id })).toMatchObject({
      member: true,
      matches: false,
      detail: expect.stringMatching(/next rebuild removes them/),
    });
    await a.user.setClearance.mutate({ id: outside.id, level: 1 }); // any directory change rebuilds
    expect(await memberIds(g.id)).toEqual([owner.id]);
    const entries = await audits(g.id);
    expect(entries.map((e) => e.action)).toEqual([
      'ruleGroup.create',
      'ruleGroup.rebuild',
      'ruleGroup.rebuild',
    ]);
    expect(entries[2]).toMatchObject({
      before: { removed: 1, removedUserIds: [inside.id] },
      after: { added: 0 },
    });

    // Its members are the rule's: nobody edits them by hand.
    await expect(a.group.addMembers.mutate({ id: g.id, userIds: [outside.id] })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringMatching(/built by its rule/),
    });
  });

  it('changes the rule by its owner only, refusing rules that read each other in a circle', async () => {
    const c = api.client(owner.token);
    const first = await c.ruleGroup.create.mutate({ name: 'Circle one', rule: { mayLogin: true } });
    const second = await c.ruleGroup.create.mutate({ name: 'Circle two', rule: { memberOf: [first.id] } });
    const error = await c.ruleGroup.setRule
      .mutate({ id: first.id, rule: { any: [{ memberOf: [second.id] }, { guest: true }] } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ data: { code: 'BAD_REQUEST' } });
    expect((error as Error).message).toMatch(/circle \("Circle one" -> "Circle two" -> "Circle one"\)/);
    expect((await c.ruleGroup.get.query({ id: first.id })).rule).toEqual({ mayLogin: true });

    const other = await api.user({ clearanceLevel: 2, corporationId: CORP_IN });
    await expect(
      api.client(other.token).ruleGroup.setRule.mutate({ id: first.id, rule: { guest: false } }),
    ).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });

    const updated = await c.ruleGroup.setRule.mutate({ id: second.id, rule: { corporation: [CORP_IN] } });
    expect(updated.rule).toEqual({ corporation: [CORP_IN] });
    expect((await audits(second.id)).map((e) => e.action)).toContain('ruleGroup.setRule');
    // A manual group has no rule.
    const manual = await c.group.create.mutate({ name: 'Manual not rule' });
    await expect(c.ruleGroup.setRule.mutate({ id: manual.id, rule: { guest: false } })).rejects.toMatchObject(
      {
        data: { code: 'BAD_REQUEST' },
      },
    );
  });

  it('is there in rosterctl: create with a rule as JSON, explain', async () => {
    const env = { ROSTER_URL: api.url, ROSTER_TOKEN: owner.token };
    const created = await rosterctl(
      ['ruleGroup', 'create', '--name', 'From the CLI', '--rule', `{"corporation":[${CORP_IN}]}`, '--json'],
      { env },
    );
    expect(created.stderr).toBe('');
    const g = JSON.parse(created.stdout) as { id: string };
    const explained = await rosterctl(
      ['ruleGroup', 'explain', '--id', g.id, '--userId', owner.id, '--json'],
      {
        env,
      },
    );
    expect(JSON.parse(explained.stdout)).toMatchObject({ member: true, matches: true });
  });
});

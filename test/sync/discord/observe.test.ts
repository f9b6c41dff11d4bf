import { afterEach, describe, expect, it } from 'vitest';
import { batch, LIST_MEMBERS, PATCH_MEMBER, rolesOf, startHarness, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('Discord target: observe', () => {
  it('reads 2500 members in 1000-member pages once, and applies against the full role lists', async () => {
    h = await startHarness();
    const g = h.fake.guild;
    const [alpha, beta, other] = ['Alpha', 'Beta', 'Other'].map((name) => g.addRole({ name }).id) as [
      string,
      string,
      string,
    ];
    const wantAlpha = new Set<string>();
    const wantBeta = new Set<string>();
    for (let i = 0; i < 2500; i++) {
      const roles = [i % 2 === 0 ? alpha : null, i % 5 === 0 ? beta : null, i % 3 === 0 ? other : null];
      const member = g.addMember({
        roles: roles.filter((r) => r !== null),
        nick: i % 7 === 0 ? `n${i}` : null,
      });
      if (i % 2 === 0) wantAlpha.add(member.user.id);
      if (i % 5 === 0) wantBeta.add(member.user.id);
    }
    const before = h.target.callsIssued();
    const seen = await h.target.observe([alpha, beta]);
    expect(seen.members.get(alpha)).toEqual(wantAlpha);
    expect(seen.members.get(beta)).toEqual(wantBeta);
    expect(seen.members.has(other)).toBe(false);
    expect(seen.nicknames.size).toBe(2502); // + the bot and the owner
    expect([...seen.nicknames.values()].filter((n) => n !== null)).toHaveLength(Math.ceil(2500 / 7));
    expect(h.fake.count(LIST_MEMBERS)).toBe(3);
    const queries = h.fake.requests
      .filter((r) => r.route === LIST_MEMBERS)
      .map((r) => new URLSearchParams(r.query));
    expect(queries.map((q) => q.get('limit'))).toEqual(['1000', '1000', '1000']);
    expect(queries[0]?.get('after')).toBe('0');
    // GET /users/@me (once per target), GET guild, 3 pages.
    expect(h.target.callsIssued() - before).toBe(5);
    expect(h.target.lastSnapshot()?.pages).toBe(3);

    // Drift on members beyond the first page: the last 20 members lose Alpha, keep their other roles.
    const lastTwenty = [...wantAlpha].slice(-20);
    const fake = h.fake;
    const rolesBefore = new Map(lastTwenty.map((id) => [id, rolesOf(fake, id) ?? []]));
    h.fake.clearRecords();
    const report = await h.target.apply(batch({ removes: [{ groupId: alpha, accountIds: lastTwenty }] }));
    expect(report).toMatchObject({ removed: 20, errors: [], skipped: [] });
    expect(h.fake.count(PATCH_MEMBER)).toBe(20);
    expect(h.fake.count(LIST_MEMBERS)).toBe(0);
    for (const id of lastTwenty) {
      expect(rolesOf(h.fake, id)).toEqual(rolesBefore.get(id)?.filter((r) => r !== alpha));
    }
    const afterApply = await h.target.observe([alpha]);
    expect(afterApply.members.get(alpha)?.size).toBe(wantAlpha.size - 20);
  });

  it('reports start-up status, missing permissions, and an unreachable API without throwing', async () => {
    h = await startHarness({ fake: { guild: { botRolePermissions: 0n } } });
    await h.target.start();
    await h.target.start();
    expect(h.target.status()).toEqual({
      connected: true,
      lastError: null,
      missingPermissions: ['MANAGE_ROLES', 'MANAGE_NICKNAMES'],
      // No member edit was refused yet (remembered refusals, see sync/discord/refusals.ts).
      refusedMembers: 0,
    });
    await h.fake.close();
    const { createDiscordTarget } = await import('../../../src/sync/discord/index.ts');
    const offline = createDiscordTarget({
      name: 'offline',
      token: 't',
      guildId: h.fake.guild.id,
      apiBaseUrl: h.fake.url,
      backoffRetries: 1,
      backoffBaseMs: 1,
    });
    await offline.start();
    expect(offline.status().connected).toBe(false);
    expect(offline.status().lastError).toMatch(/ECONNREFUSED|fetch failed|connect/i);
    await offline.stop();
    await offline.stop();
    h = undefined;
  });
});

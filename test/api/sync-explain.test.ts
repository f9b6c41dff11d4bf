import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import { MemoryTarget } from '../support/memory-target.ts';
import { addCorporation, addGroup, addMapping, addUser } from '../support/rows.ts';

/**
 * sync.explain over the control plane: the directory's answer beside the platform's, on a guild
 * where Alice (account 501) holds "Gamers" (not Roster's) and "Old" (mapped, she should not have
 * it), and the platform refuses every grant to Bob (account 502).
 */
describe('sync.explain shows what the user holds on the platform now and what it will refuse', () => {
  let api: TestApi;
  const guild = new MemoryTarget('discord', 'guild');
  let token: string;
  const ids = { alice: '', bob: '', carol: '' };

  beforeAll(async () => {
    guild.addGroup('11', 'Pilots');
    guild.addGroup('12', 'Old', ['501']);
    guild.addGroup('13', 'Gamers', ['501']);
    guild.accounts.set('501', 'ally');
    guild.accounts.set('502', 'bob');
    guild.refuse.set('502', "role is at or above the bot's highest role");
    api = await startTestApi({ targets: [guild] });
    token = (await api.user({ clearanceLevel: 10 })).token;
    const em = api.t.db.fork();
    const corp = addCorporation(em, 98_200_001, { ticker: 'CORP', authorizedToLogin: true });
    const [alice, bob, carol] = ['Alice', 'Bob', 'Carol'].map((n, i) =>
      addUser(em, `${n} Explain`, {
        corporationId: corp.corporationId,
        discordUserId: i < 2 ? `50${i + 1}` : null,
      }),
    );
    Object.assign(ids, { alice: alice!.id, bob: bob!.id, carol: carol!.id });
    const pilots = addGroup(em, 'Pilots Explain', [alice!.id, bob!.id]);
    addMapping(em, pilots.id, 'discord', 'guild', { platformGroupId: '11', displayName: 'Pilots' });
    const old = addGroup(em, 'Old Explain');
    addMapping(em, old.id, 'discord', 'guild', { platformGroupId: '12', displayName: 'Old' });
    await em.flush();
  });
  afterAll(async () => api?.stop());

  const explain = (userId: string) =>
    api.client(token).sync.explain.query({ platform: 'discord', target: 'guild', userId });

  it("lists the roles held now, Roster's or not, and whether each mapped one is held", async () => {
    const result = await explain(ids.alice);
    expect(result.account).toMatchObject({
      accountId: '501',
      present: true,
      nickname: 'ally',
      wantedNickname: '[CORP] Alice Explain',
      error: null,
    });
    expect(result.account.holds).toEqual([
      { id: '12', name: 'Old', mapped: true },
      { id: '13', name: 'Gamers', mapped: false },
    ]);
    const byName = Object.fromEntries(result.groups.map((g) => [g.displayName, g]));
    expect(byName['Pilots']).toMatchObject({ shouldHave: true, holdsNow: false, refusal: null });
    expect(byName['Old']).toMatchObject({ shouldHave: false, holdsNow: true, refusal: null });
  });

  it('says when the platform will refuse the grant, and why', async () => {
    const pilots = (await explain(ids.bob)).groups.find((g) => g.displayName === 'Pilots')!;
    expect(pilots).toMatchObject({
      shouldHave: true,
      holdsNow: false,
      refusal: "role is at or above the bot's highest role",
    });
    expect(pilots.detail).toBe(
      "member of Pilots Explain; discord will refuse the grant: role is at or above the bot's highest role",
    );
  });

  it('asks nothing of the platform for a user with no account there', async () => {
    const result = await explain(ids.carol);
    expect(result.account).toMatchObject({ accountId: null, present: null, holds: [] });
    expect(result.groups.every((g) => g.holdsNow === null)).toBe(true);
  });
});

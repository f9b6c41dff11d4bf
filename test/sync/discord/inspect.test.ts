import { afterEach, describe, expect, it } from 'vitest';
import { SkipReason } from '../../../src/sync/discord/index.ts';
import { snowflake } from '../../fakes/discord/index.ts';
import { startHarness, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('Discord target: inspectAccount (for explain)', () => {
  it("names the member's roles now and the grants Discord would refuse: a role above the bot's, the owner's nickname", async () => {
    h = await startHarness();
    const g = h.fake.guild;
    const pilots = g.addRole({ name: 'Pilots' });
    const gamers = g.addRole({ name: 'Gamers' });
    const directors = g.addRole({ name: 'Directors', position: g.botTopPosition() + 1 });
    const member = g.addMember({ nick: 'ally', roles: [gamers.id] });

    const seen = await h.target.inspectAccount(member.user.id, {
      groupIds: [pilots.id, directors.id],
      nickname: '[CORP] Ally',
    });
    expect(seen).toEqual({
      present: true,
      nickname: 'ally',
      holds: [{ id: gamers.id, name: 'Gamers' }],
      refusals: { [directors.id]: SkipReason.roleAboveBot },
      nicknameRefusal: null,
    });

    const owner = await h.target.inspectAccount(g.ownerId, {
      groupIds: [pilots.id],
      nickname: '[CORP] Owner',
    });
    expect(owner).toMatchObject({ present: true, refusals: {}, nicknameRefusal: SkipReason.ownerNickname });
    // Read only: nothing was written.
    expect(h.fake.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('says when the account is not in the guild', async () => {
    h = await startHarness();
    const pilots = h.fake.guild.addRole({ name: 'Pilots' });
    const seen = await h.target.inspectAccount(snowflake(), { groupIds: [pilots.id], nickname: null });
    expect(seen).toEqual({
      present: false,
      nickname: null,
      holds: [],
      refusals: { [pilots.id]: SkipReason.notAMember },
      nicknameRefusal: null,
    });
  });
});

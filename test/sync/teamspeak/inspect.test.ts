import { describe, expect, it } from 'vitest';
import { connectedTarget, fakeServer } from './helpers.ts';

describe('TeamSpeak target: inspectAccount (for explain)', () => {
  it("names the client's server groups now, and refuses grants for a client or group the server does not know", async () => {
    const fake = await fakeServer();
    const target = await connectedTarget(fake);
    const pilots = fake.createServerGroup('Pilots');
    const gamers = fake.createServerGroup('Gamers');
    const { cldbid } = fake.addDbClient({ nickname: 'Alice' });
    fake.addGroupMembers(gamers, [cldbid]);

    const seen = await target.inspectAccount(cldbid, { groupIds: [pilots, '999'], nickname: 'Alice Pilot' });
    expect(seen).toEqual({
      present: true,
      nickname: 'Alice',
      holds: [{ id: gamers, name: 'Gamers' }],
      refusals: { '999': 'the server group no longer exists on the server' },
      nicknameRefusal: null,
    });

    const stale = await target.inspectAccount('4242', { groupIds: [pilots], nickname: null });
    expect(stale).toMatchObject({
      present: false,
      holds: [],
      refusals: { [pilots]: 'no such client on the server (the link is stale: relink it)' },
    });
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { SkipReason } from '../../../src/sync/discord/index.ts';
import { batch, PATCH_MEMBER, rolesOf, startHarness, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('Discord target: apply', () => {
  it('sends one PATCH per changed member with the full role list, keeping unmanaged roles', async () => {
    h = await startHarness();
    const g = h.fake.guild;
    const gamers = g.addRole({ name: 'Gamers' }); // not Roster's
    const old = g.addRole({ name: 'Old' });
    const one = g.addMember({ roles: [gamers.id] }).user.id;
    const two = g.addMember().user.id;
    const three = g.addMember({ roles: [gamers.id, old.id], nick: 'Three' }).user.id;
    const untouched = g.addMember({ roles: [gamers.id, old.id] }).user.id;
    const pilots = await h.target.createGroup('Pilots');
    const fcs = await h.target.createGroup('FCs');

    const seen = await h.target.observe([pilots.id, fcs.id, old.id]);
    expect(seen.members.get(old.id)).toEqual(new Set([three, untouched]));
    expect(seen.members.get(pilots.id)?.size).toBe(0);
    expect(seen.nicknames.get(three)).toBe('Three');
    expect(seen.nicknames.get(one)).toBeNull();

    const reason = 'Roster run run-1: group "Pilots" – sync & drift';
    const work = batch({
      reason,
      adds: [
        { groupId: pilots.id, accountIds: [one, two, three] },
        { groupId: fcs.id, accountIds: [one] },
      ],
      removes: [{ groupId: old.id, accountIds: [three] }],
      nicknames: [{ accountId: one, nickname: '[ABC] One' }],
    });
    h.fake.clearRecords();
    const report = await h.target.apply(work);

    expect(report).toEqual({ added: 4, removed: 1, nicknamesChanged: 1, skipped: [], errors: [] });
    expect(h.fake.count(PATCH_MEMBER)).toBe(3);
    expect(h.fake.requests.every((r) => r.route === PATCH_MEMBER)).toBe(true);
    expect(rolesOf(h.fake, one)).toEqual([gamers.id, pilots.id, fcs.id].toSorted());
    expect(rolesOf(h.fake, two)).toEqual([pilots.id]);
    expect(rolesOf(h.fake, three)).toEqual([gamers.id, pilots.id].toSorted());
    expect(rolesOf(h.fake, untouched)).toEqual([gamers.id, old.id].toSorted());
    const patchOne = h.fake.requests.find((r) => r.path.endsWith(one));
    expect(patchOne?.body).toEqual({ roles: [gamers.id, pilots.id, fcs.id], nick: '[ABC] One' });
    for (const r of h.fake.requests) expect(r.headers['x-audit-log-reason']).toBe(encodeURIComponent(reason));

    // Converged: the same batch against a fresh observation issues nothing.
    await h.target.observe([pilots.id, fcs.id, old.id]);
    h.fake.clearRecords();
    expect(await h.target.apply(work)).toEqual({
      added: 0,
      removed: 0,
      nicknamesChanged: 0,
      skipped: [],
      errors: [],
    });
    expect(h.fake.count(PATCH_MEMBER)).toBe(0);
  });

  it('reports the hierarchy and the owner as skipped and applies the rest (Discord rules)', async () => {
    h = await startHarness();
    const g = h.fake.guild;
    const pilots = g.addRole({ name: 'Pilots' });
    const directors = g.addRole({ name: 'Directors', position: g.botTopPosition() + 1 });
    const admin = g.addMember({ roles: [directors.id] }).user.id;
    const pilot = g.addMember().user.id;
    const stranger = '1234567890123456789';
    await h.target.observe([pilots.id, directors.id]);
    const report = await h.target.apply(
      batch({
        adds: [
          { groupId: pilots.id, accountIds: [admin, pilot, g.ownerId, stranger] },
          { groupId: directors.id, accountIds: [pilot] },
        ],
        nicknames: [
          { accountId: admin, nickname: '[ABC] Admin' },
          { accountId: g.ownerId, nickname: '[ABC] Owner' },
          { accountId: pilot, nickname: '[ABC] Pilot' },
        ],
      }),
    );
    expect(report.errors).toEqual([]);
    expect(report.added).toBe(3);
    expect(report.nicknamesChanged).toBe(1);
    expect(report.skipped).toEqual(
      expect.arrayContaining([
        { accountId: pilot, groupId: directors.id, reason: SkipReason.roleAboveBot },
        { accountId: stranger, groupId: pilots.id, reason: SkipReason.notAMember },
        { accountId: admin, reason: SkipReason.memberAboveBot },
        { accountId: g.ownerId, reason: SkipReason.ownerNickname },
      ]),
    );
    expect(report.skipped).toHaveLength(4);
    expect(rolesOf(h.fake, admin)).toEqual([directors.id, pilots.id].toSorted());
    expect(h.fake.guild.members.get(pilot)).toMatchObject({ roles: [pilots.id], nick: '[ABC] Pilot' });
    expect(h.fake.guild.members.get(g.ownerId)?.nick).toBeNull();
  });

  it('turns 50013 and 10007 answers into skips when Discord refuses what the snapshot allowed', async () => {
    h = await startHarness({ fake: { hierarchy: 'strict' } });
    const g = h.fake.guild;
    const pilots = g.addRole({ name: 'Pilots' });
    const directors = g.addRole({ name: 'Directors', position: g.botTopPosition() + 1 });
    const admin = g.addMember({ roles: [directors.id] }).user.id;
    const leaver = g.addMember().user.id;
    const pilot = g.addMember().user.id;
    await h.target.observe([pilots.id]);
    g.removeMember(leaver);
    const report = await h.target.apply(
      batch({ adds: [{ groupId: pilots.id, accountIds: [admin, g.ownerId, leaver, pilot] }] }),
    );
    expect(report.errors).toEqual([]);
    expect(report.added).toBe(1);
    expect(report.skipped).toEqual(
      expect.arrayContaining([
        { accountId: admin, groupId: pilots.id, reason: SkipReason.missingPermissions },
        { accountId: g.ownerId, groupId: pilots.id, reason: SkipReason.missingPermissions },
        { accountId: leaver, groupId: pilots.id, reason: SkipReason.unknownMember },
      ]),
    );
    expect(rolesOf(h.fake, pilot)).toEqual([pilots.id]);
    expect(rolesOf(h.fake, admin)).toEqual([directors.id]);
  });

  it('still applies the roles when Discord refuses the nickname', async () => {
    h = await startHarness();
    const pilots = h.fake.guild.addRole({ name: 'Pilots' });
    const pilot = h.fake.guild.addMember().user.id;
    await h.target.observe([pilots.id]);
    const report = await h.target.apply(
      batch({
        adds: [{ groupId: pilots.id, accountIds: [pilot] }],
        nicknames: [{ accountId: pilot, nickname: 'x'.repeat(40) }],
      }),
    );
    expect(report).toMatchObject({ added: 1, nicknamesChanged: 0, errors: [] });
    expect(report.skipped).toEqual([{ accountId: pilot, reason: SkipReason.invalidNickname }]);
    expect(rolesOf(h.fake, pilot)).toEqual([pilots.id]);
    expect(h.fake.count(PATCH_MEMBER)).toBe(2);
  });

  it('leaves nicknames alone when setNicknames is off', async () => {
    h = await startHarness({ target: { setNicknames: false } });
    const pilots = h.fake.guild.addRole({ name: 'Pilots' });
    const pilot = h.fake.guild.addMember({ nick: 'mine' }).user.id;
    await h.target.observe([pilots.id]);
    const report = await h.target.apply(
      batch({
        adds: [{ groupId: pilots.id, accountIds: [pilot] }],
        nicknames: [{ accountId: pilot, nickname: 'theirs' }],
      }),
    );
    expect(report).toMatchObject({ added: 1, nicknamesChanged: 0, skipped: [] });
    expect(h.fake.requests.find((r) => r.route === PATCH_MEMBER)?.body).toEqual({ roles: [pilots.id] });
    expect(h.fake.guild.members.get(pilot)?.nick).toBe('mine');
  });

  it('observes by itself when apply comes first, and reverts hand-made drift', async () => {
    h = await startHarness();
    const g = h.fake.guild;
    const pilots = g.addRole({ name: 'Pilots' });
    const keep = g.addRole({ name: 'Keep' });
    const drifted = g.addMember({ roles: [pilots.id, keep.id] }).user.id;
    const report = await h.target.apply(batch({ removes: [{ groupId: pilots.id, accountIds: [drifted] }] }));
    expect(report).toMatchObject({ removed: 1, errors: [] });
    expect(rolesOf(h.fake, drifted)).toEqual([keep.id]);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loginDecision, mayLogin } from '../../src/domain/index.ts';
import { alliance, coalition, corporation, directory, group, user } from '../support/facts.ts';

type Flag = boolean | null;

/** A user in corporation 1 (alliance 10, coalition k through the alliance, coalition d directly) and two groups. */
function world(flags: {
  user?: Flag;
  corporation?: Flag;
  alliance?: Flag;
  coalitionViaAlliance?: Flag;
  coalitionDirect?: Flag;
  manualGroup?: Flag;
  autoGroup?: Flag;
  characterId?: number;
}) {
  const u = user('u', {
    corporationId: 1,
    authorizedToLogin: flags.user ?? null,
    ...(flags.characterId === undefined ? {} : { characterId: flags.characterId }),
  });
  const dir = directory({
    users: [u],
    corporations: [
      corporation(1, { allianceId: 10, authorizedToLogin: flags.corporation ?? null }),
      corporation(2),
    ],
    alliances: [
      alliance(10, { authorizedToLogin: flags.alliance ?? null }),
      alliance(20, { authorizedToLogin: false }),
    ],
    coalitions: [
      coalition('k', { allianceIds: [10], authorizedToLogin: flags.coalitionViaAlliance ?? null }),
      coalition('d', { corporationIds: [1], authorizedToLogin: flags.coalitionDirect ?? null }),
      // Coalitions the user is not in never count.
      coalition('x', { allianceIds: [20], corporationIds: [2], authorizedToLogin: false }),
    ],
    groups: [
      group('manual', { authorizedToLogin: flags.manualGroup ?? null }),
      group('auto', { kind: 'auto', authorizedToLogin: flags.autoGroup ?? null }),
      group('other', { authorizedToLogin: false }),
    ],
    memberships: { u: ['manual', 'auto'] },
  });
  return { u, dir };
}

describe('login cascade', () => {
  it('denies when every flag is null', () => {
    const { u, dir } = world({});
    expect(loginDecision(u, dir)).toEqual({ allowed: false, reason: 'not-authorized' });
  });

  it.each([
    ['user', { user: true }],
    ['corporation', { corporation: true }],
    ['alliance', { alliance: true }],
    ['coalition through the alliance', { coalitionViaAlliance: true }],
    ['coalition with the corporation as a direct member', { coalitionDirect: true }],
    ['manual group', { manualGroup: true }],
  ])('allows through a true on the %s', (_, flags) => {
    const { u, dir } = world(flags);
    expect(loginDecision(u, dir)).toEqual({ allowed: true, reason: 'allowed' });
  });

  it.each([
    ['user', { user: false, corporation: true }, 'user'],
    ['corporation', { corporation: false, user: true }, 'corporation C1'],
    ['alliance', { alliance: false, user: true, corporation: true }, 'alliance A10'],
    ['coalition through the alliance', { coalitionViaAlliance: false, user: true }, 'coalition Coalition k'],
    ['coalition with a direct member', { coalitionDirect: false, alliance: true }, 'coalition Coalition d'],
    ['manual group', { manualGroup: false, user: true, corporation: true, alliance: true }, 'group manual'],
  ])('denies through any false, on the %s, whatever says true', (_, flags, by) => {
    const { u, dir } = world(flags);
    expect(loginDecision(u, dir)).toEqual({ allowed: false, reason: 'denied', by });
  });

  it('counts only manual groups: an autogroup flag neither allows nor denies', () => {
    expect(mayLogin(...args(world({ autoGroup: true })))).toBe(false);
    expect(mayLogin(...args(world({ autoGroup: false, user: true })))).toBe(true);
  });

  it('always allows root', () => {
    const { u, dir } = world({
      characterId: 0,
      user: false,
      corporation: false,
      alliance: false,
      coalitionDirect: false,
      manualGroup: false,
    });
    expect(loginDecision(u, dir)).toEqual({ allowed: true, reason: 'root' });
    const bare = user('root', { characterId: 0 });
    expect(mayLogin(bare, directory({ users: [bare] }))).toBe(true);
  });

  it('ignores groups the user is not in and corporations unknown to the directory', () => {
    const lost = user('lost', { corporationId: 999, authorizedToLogin: true });
    expect(
      mayLogin(lost, directory({ users: [lost], groups: [group('g', { authorizedToLogin: false })] })),
    ).toBe(true);
  });

  it('follows "any false denies, else any true allows, else deny" for every combination (property)', () => {
    const flag = fc.constantFrom<Flag>(true, false, null);
    fc.assert(
      fc.property(
        fc.record({
          user: flag,
          corporation: flag,
          alliance: flag,
          coalitionViaAlliance: flag,
          coalitionDirect: flag,
          manualGroup: flag,
          autoGroup: flag,
        }),
        (flags) => {
          const counted = [
            flags.user,
            flags.corporation,
            flags.alliance,
            flags.coalitionViaAlliance,
            flags.coalitionDirect,
            flags.manualGroup,
          ];
          const expected = counted.includes(false) ? false : counted.includes(true);
          const decision = loginDecision(...args(world(flags)));
          expect(decision.allowed).toBe(expected);
          expect(decision.reason).toBe(
            expected ? 'allowed' : counted.includes(false) ? 'denied' : 'not-authorized',
          );
        },
      ),
    );
  });
});

const args = (w: ReturnType<typeof world>) => [w.u, w.dir] as const;

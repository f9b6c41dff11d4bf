import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ADMIN,
  CEO_FLOOR,
  EXECUTOR_CEO_FLOOR,
  GUEST,
  SUPERUSER,
  clearanceChangeRefusal,
  levelAfterOfficeChange,
  may,
  officeFloor,
  scopeRules,
  type Actor,
  type Affiliation,
  type Scope,
} from '../../src/domain/index.ts';

const levels = [-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const distances = [0, 1, 3, 5, 7] as const;
type Distance = (typeof distances)[number];

const actorAffiliation: Affiliation = {
  userId: 'actor',
  corporationId: 1,
  allianceId: 10,
  coalitionIds: ['k'],
};
/** A target at each distance from the actor. */
const targetAt: Record<Distance, Affiliation> = {
  0: actorAffiliation,
  1: { userId: 't1', corporationId: 1, allianceId: 10, coalitionIds: ['k'] },
  3: { userId: 't3', corporationId: 2, allianceId: 10, coalitionIds: ['k'] },
  5: { userId: 't5', corporationId: 3, allianceId: 20, coalitionIds: ['k', 'j'] },
  7: { userId: 't7', corporationId: 4, allianceId: 30, coalitionIds: ['other'] },
};

/** The documented table: 1 read corp, 2 write corp, 3/4 alliance, 5/6 coalition, 7/8 everyone; own data at 0. */
const minimumLevel: Record<'read' | 'write', Record<Distance, number>> = {
  read: { 0: 0, 1: 1, 3: 3, 5: 5, 7: 7 },
  write: { 0: 0, 1: 2, 3: 4, 5: 6, 7: 8 },
};

const actor = (clearanceLevel: number, affiliation: Affiliation = actorAffiliation): Actor => ({
  userId: affiliation.userId ?? 'actor',
  characterId: 90_000_001,
  clearanceLevel,
  affiliation,
});

const scopes = Object.keys(scopeRules) as Scope[];

describe('may()', () => {
  it('knows the kind of every scope (the table covers relative, absolute, owner and leader scopes)', () => {
    const kinds = new Set(scopes.map((s) => scopeRules[s].kind));
    expect(kinds).toEqual(new Set(['relative', 'absolute', 'owner', 'leader']));
  });

  describe.each(scopes.filter((s) => scopeRules[s].kind === 'relative'))('relative scope %s', (scope) => {
    const access = (scopeRules[scope] as { access: 'read' | 'write' }).access;
    it.each(distances)('at distance %i follows the documented level table for levels -1..10', (d) => {
      for (const level of levels) {
        const expected = level !== GUEST && level >= minimumLevel[access][d];
        expect(may(actor(level), scope, { affiliation: targetAt[d] }), `level ${level}`).toBe(expected);
      }
    });

    it('without a target affiliation needs the level over everyone', () => {
      for (const level of levels) {
        expect(may(actor(level), scope), `level ${level}`).toBe(level >= minimumLevel[access][7]);
      }
    });
  });

  describe.each(scopes.filter((s) => scopeRules[s].kind === 'absolute'))('absolute scope %s', (scope) => {
    const min = (scopeRules[scope] as { min: number }).min;
    it('needs its minimum level, whatever the target', () => {
      for (const level of levels) {
        for (const d of distances) {
          expect(may(actor(level), scope, { affiliation: targetAt[d] }), `level ${level} distance ${d}`).toBe(
            level !== GUEST && level >= min,
          );
        }
      }
    });
  });

  describe.each(scopes.filter((s) => scopeRules[s].kind === 'owner'))('owner scope %s', (scope) => {
    const min = (scopeRules[scope] as { min: number }).min;
    it("allows the target's owner at any non-guest level, others from the minimum level", () => {
      for (const level of levels) {
        const a = actor(level);
        expect(may(a, scope, { ownerId: 'actor' }), `owner at ${level}`).toBe(level !== GUEST);
        expect(may(a, scope, { ownerId: 'someone-else' }), `other at ${level}`).toBe(level >= min);
        expect(may(a, scope, { ownerId: null }), `no owner at ${level}`).toBe(level >= min);
        expect(may(a, scope), `no target at ${level}`).toBe(level >= min);
      }
    });
  });

  describe.each(scopes.filter((s) => scopeRules[s].kind === 'leader'))('leader scope %s', (scope) => {
    const min = (scopeRules[scope] as { min: number }).min;
    it("allows the group's owner and leaders at any non-guest level, others from the minimum level", () => {
      for (const level of levels) {
        const a = actor(level);
        expect(may(a, scope, { leads: true }), `leader at ${level}`).toBe(level !== GUEST);
        expect(may(a, scope, { ownerId: 'actor', leads: false }), `owner at ${level}`).toBe(level !== GUEST);
        expect(may(a, scope, { ownerId: 'someone-else', leads: false }), `other at ${level}`).toBe(
          level >= min,
        );
        expect(may(a, scope), `no target at ${level}`).toBe(level >= min);
      }
    });
  });

  it('gives guests no right at all, not even over their own data or a group they own', () => {
    const guest = actor(GUEST);
    for (const scope of scopes) {
      for (const d of distances) {
        expect(
          may(guest, scope, { affiliation: targetAt[d], ownerId: 'actor', leads: true }),
          `${scope} at ${d}`,
        ).toBe(false);
      }
      expect(may(guest, scope), scope).toBe(false);
    }
  });

  it('never grants a guest anything (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...scopes),
        fc.constantFrom(...distances),
        fc.option(fc.constantFrom('actor', 'x')),
        (scope, d, ownerId) => !may(actor(GUEST), scope, { affiliation: targetAt[d], ownerId }),
      ),
    );
  });

  it('is monotonic in the level: whatever a level may, every higher level may too (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...scopes),
        fc.constantFrom(...distances),
        fc.integer({ min: -1, max: 9 }),
        fc.boolean(),
        (scope, d, level, owns) => {
          const target = { affiliation: targetAt[d], ownerId: owns ? 'actor' : 'other' };
          return !may(actor(level), scope, target) || may(actor(level + 1), scope, target);
        },
      ),
    );
  });
});

describe('clearanceChangeRefusal()', () => {
  const target = (d: Distance, clearanceLevel: number, characterId = 91_000_000 + d) => ({
    userId: targetAt[d].userId!,
    characterId,
    clearanceLevel,
    affiliation: targetAt[d],
  });

  it('refuses changing one’s own level, even for a superuser', () => {
    expect(clearanceChangeRefusal(actor(SUPERUSER), target(0, SUPERUSER), 9)).toBe('own-level');
    expect(clearanceChangeRefusal(actor(5), target(0, 5), 4)).toBe('own-level');
    expect(clearanceChangeRefusal(actor(5), target(0, 5), 5)).toBe('own-level');
  });

  it('refuses setting a level at or above one’s own, below superuser', () => {
    expect(clearanceChangeRefusal(actor(4), target(1, 0), 5)).toBe('level-not-below');
    expect(clearanceChangeRefusal(actor(9), target(7, 0), 10)).toBe('level-not-below');
    expect(clearanceChangeRefusal(actor(4), target(1, 0), 4)).toBe('level-not-below');
    expect(clearanceChangeRefusal(actor(5), target(5, 0), 5)).toBe('level-not-below');
    expect(clearanceChangeRefusal(actor(4), target(1, 0), 3)).toBeNull();
  });

  /**
   * The rule for every level (same corporation, so reach is only what level 2 needs): the highest
   * level an actor may set, and the highest level of a user it may change. Below superuser both are
   * strictly below one's own; the superuser sets anything on anyone (root and oneself aside).
   */
  const highest: Record<number, { set: number; on: number } | null> = {
    [-1]: null,
    0: null,
    1: null, // writing over one's corporation needs level 2
    2: { set: 1, on: 1 },
    3: { set: 2, on: 2 },
    4: { set: 3, on: 3 },
    5: { set: 4, on: 4 },
    6: { set: 5, on: 5 },
    7: { set: 6, on: 6 },
    8: { set: 7, on: 7 },
    9: { set: 8, on: 8 },
    10: { set: 10, on: 10 },
  };
  it.each(levels)('level %i sets only what the table says, on only whom it says', (actorLevel) => {
    const row = highest[actorLevel] ?? null;
    for (const targetLevel of levels) {
      for (const level of levels) {
        const allowed = row !== null && level <= row.set && targetLevel <= row.on;
        expect(
          clearanceChangeRefusal(actor(actorLevel), target(1, targetLevel), level) === null,
          `level ${actorLevel} setting ${targetLevel} -> ${level}`,
        ).toBe(allowed);
      }
    }
  });

  it('checks raising and lowering the same way: whoever may set a -> b may set b -> a', () => {
    for (const actorLevel of levels) {
      for (const a of levels) {
        for (const b of levels) {
          const up = clearanceChangeRefusal(actor(actorLevel), target(1, a), b) === null;
          const down = clearanceChangeRefusal(actor(actorLevel), target(1, b), a) === null;
          expect(up, `level ${actorLevel}: ${a} -> ${b} vs ${b} -> ${a}`).toBe(down);
        }
      }
    }
  });

  it('lets nobody below superuser make a peer: the user changed stays within reach', () => {
    for (const actorLevel of levels.filter((l) => l < SUPERUSER)) {
      for (const targetLevel of levels) {
        for (const level of levels) {
          if (clearanceChangeRefusal(actor(actorLevel), target(1, targetLevel), level) !== null) continue;
          // After the change the same actor can still undo it.
          expect(clearanceChangeRefusal(actor(actorLevel), target(1, level), targetLevel)).toBeNull();
        }
      }
    }
  });

  it('refuses touching a target at or above one’s own level, unless superuser', () => {
    expect(clearanceChangeRefusal(actor(4), target(1, 4), 3)).toBe('target-not-below');
    expect(clearanceChangeRefusal(actor(4), target(1, 6), 3)).toBe('target-not-below');
    expect(clearanceChangeRefusal(actor(9), target(7, 9), 0)).toBe('target-not-below');
    expect(clearanceChangeRefusal(actor(4), target(1, 3), 0)).toBeNull();
    expect(clearanceChangeRefusal(actor(SUPERUSER), target(7, SUPERUSER), 9)).toBeNull();
    expect(clearanceChangeRefusal(actor(SUPERUSER), target(7, SUPERUSER), GUEST)).toBeNull();
  });

  it('keeps root at 10, even against a superuser', () => {
    for (const level of levels) {
      expect(clearanceChangeRefusal(actor(SUPERUSER), target(7, SUPERUSER, 0), level)).toBe('root-is-fixed');
    }
  });

  it('refuses levels out of -1..10 and non-integers', () => {
    for (const level of [-2, 11, 2.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(clearanceChangeRefusal(actor(SUPERUSER), target(7, 0), level), String(level)).toBe(
        'out-of-range',
      );
    }
    expect(clearanceChangeRefusal(actor(SUPERUSER), target(7, 0), GUEST)).toBeNull();
    expect(clearanceChangeRefusal(actor(SUPERUSER), target(7, 0), SUPERUSER)).toBeNull();
  });

  it('refuses targets out of the actor’s write reach', () => {
    // Level 2 writes over its corporation only, level 4 over its alliance, 6 its coalition, 8 everyone.
    expect(clearanceChangeRefusal(actor(2), target(1, 0), 1)).toBeNull();
    expect(clearanceChangeRefusal(actor(2), target(3, 0), 1)).toBe('not-in-reach');
    expect(clearanceChangeRefusal(actor(3), target(3, 0), 1)).toBe('not-in-reach');
    expect(clearanceChangeRefusal(actor(4), target(3, 0), 1)).toBeNull();
    expect(clearanceChangeRefusal(actor(5), target(5, 0), 1)).toBe('not-in-reach');
    expect(clearanceChangeRefusal(actor(6), target(5, 0), 1)).toBeNull();
    expect(clearanceChangeRefusal(actor(7), target(7, 0), 1)).toBe('not-in-reach');
    expect(clearanceChangeRefusal(actor(8), target(7, 0), 1)).toBeNull();
    expect(clearanceChangeRefusal(actor(1), target(1, GUEST), 0)).toBe('not-in-reach');
  });

  it('allows a change only when every rule holds (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1, max: 10 }),
        fc.constantFrom(...distances),
        fc.integer({ min: -1, max: 10 }),
        fc.integer({ min: -3, max: 12 }),
        fc.boolean(),
        (actorLevel, d, targetLevel, level, isRoot) => {
          const t = target(d, targetLevel, isRoot ? 0 : 91_000_000 + d);
          const refusal = clearanceChangeRefusal(actor(actorLevel), t, level);
          const allowed =
            level >= GUEST &&
            level <= SUPERUSER &&
            d !== 0 &&
            !isRoot &&
            ((level < actorLevel && targetLevel < actorLevel) || actorLevel === SUPERUSER) &&
            actorLevel >= minimumLevel.write[d];
          expect(refusal === null).toBe(allowed);
          if (actorLevel === GUEST) expect(refusal).not.toBeNull();
        },
      ),
    );
  });
});

describe('office floors', () => {
  it('gives a corporation CEO 2 and an alliance executor’s CEO 4', () => {
    expect(CEO_FLOOR).toBe(2);
    expect(EXECUTOR_CEO_FLOOR).toBe(4);
    expect(officeFloor(false, false)).toBe(0);
    expect(officeFloor(true, false)).toBe(2);
    expect(officeFloor(true, true)).toBe(4);
    expect(officeFloor(false, true)).toBe(4);
  });

  it('raises a level to the new floor', () => {
    expect(levelAfterOfficeChange(0, 0, 2)).toBe(2);
    expect(levelAfterOfficeChange(1, 0, 4)).toBe(4);
    expect(levelAfterOfficeChange(2, 2, 4)).toBe(4);
    expect(levelAfterOfficeChange(6, 0, 4)).toBe(6);
  });

  it('drops a level that was only the lost office’s floor', () => {
    expect(levelAfterOfficeChange(2, 2, 0)).toBe(0);
    expect(levelAfterOfficeChange(4, 4, 2)).toBe(2);
    expect(levelAfterOfficeChange(4, 4, 0)).toBe(0);
    // A level someone set above the floor stays.
    expect(levelAfterOfficeChange(5, 4, 0)).toBe(5);
    expect(levelAfterOfficeChange(3, 2, 0)).toBe(3);
  });

  it('never lowers a level of 9 or more, nor touches guests', () => {
    for (const level of [ADMIN, SUPERUSER]) {
      for (const [oldFloor, newFloor] of [
        [4, 0],
        [2, 0],
        [4, 2],
        [0, 4],
      ] as const) {
        expect(levelAfterOfficeChange(level, oldFloor, newFloor)).toBe(level);
      }
    }
    expect(levelAfterOfficeChange(GUEST, 4, 0)).toBe(GUEST);
  });

  it('keeps every level of 0..8 at or above its new floor, and never above what it was or the floor (property)', () => {
    const floor = fc.constantFrom(0, CEO_FLOOR, EXECUTOR_CEO_FLOOR);
    fc.assert(
      fc.property(fc.integer({ min: -1, max: 10 }), floor, floor, (current, oldFloor, newFloor) => {
        const next = levelAfterOfficeChange(current, oldFloor, newFloor);
        if (current >= ADMIN || current === GUEST) return next === current;
        if (next < newFloor) return false;
        if (next > Math.max(current, newFloor)) return false;
        // Gaining (or keeping) an office never lowers a level.
        if (newFloor >= oldFloor && next < current) return false;
        return next >= 0;
      }),
    );
  });
});

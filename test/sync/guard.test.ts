import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { guard } from '../../src/sync/guard.ts';
import type { Plan } from '../../src/sync/plan.ts';

function planRemoving(removals: number, managedMemberships: number, adds = 0): Plan {
  const ids = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  return {
    platform: 'teamspeak',
    target: 'main',
    creates: [],
    adopts: [],
    renames: [],
    adds: adds ? [{ mappingId: 'm1', platformGroupId: '1', accountIds: ids(adds, 'n') }] : [],
    // Split over two groups: the guard counts memberships, not groups.
    removes: removals
      ? [
          { mappingId: 'm1', platformGroupId: '1', accountIds: ids(Math.ceil(removals / 2), 'a') },
          { mappingId: 'm2', platformGroupId: '2', accountIds: ids(Math.floor(removals / 2), 'b') },
        ].filter((d) => d.accountIds.length)
      : [],
    heldRemovals: [],
    nicknames: [],
    absentAccounts: 0,
    drift: { added: 0, removed: 0 },
    managedMemberships,
    pendingRemovals: new Map(),
  };
}

describe('blast-radius guard', () => {
  it('allows a run that removes nothing, whatever it adds', () => {
    expect(
      guard(planRemoving(0, 0, 5000), { maxRemovals: 0, maxRemovalShare: 0, guardMinRemovals: 0 }),
    ).toEqual({
      allowed: true,
    });
  });

  it('allows exactly maxRemovals and refuses one more', () => {
    const options = { maxRemovals: 10, maxRemovalShare: 1, guardMinRemovals: 0 };
    expect(guard(planRemoving(10, 1000), options)).toEqual({ allowed: true });
    const refused = guard(planRemoving(11, 1000), options);
    expect(refused.allowed).toBe(false);
    expect(!refused.allowed && refused.reason).toMatch(
      /remove 11 memberships, more than sync\.maxRemovals \(10\)/,
    );
  });

  it('allows exactly maxRemovalShare and refuses beyond it', () => {
    const options = { maxRemovals: 1_000_000, maxRemovalShare: 0.25, guardMinRemovals: 0 };
    expect(guard(planRemoving(25, 100), options)).toEqual({ allowed: true });
    expect(guard(planRemoving(1, 4), options)).toEqual({ allowed: true });
    const refused = guard(planRemoving(26, 100), options);
    expect(refused.allowed).toBe(false);
    expect(!refused.allowed && refused.reason).toMatch(
      /26 of 100 managed memberships \(26%\), more than sync\.maxRemovalShare \(25%\)/,
    );
    expect(guard(planRemoving(2, 4), options).allowed).toBe(false);
  });

  it('refuses a mass removal that empties a server', () => {
    expect(guard(planRemoving(400, 400), { maxRemovals: 1000, maxRemovalShare: 0.25 }).allowed).toBe(false);
  });

  it('never trips the share rule below guardMinRemovals (default 10); maxRemovals still applies', () => {
    // First contact: an adopted group with one member the directory does not know is 100 % of it.
    expect(guard(planRemoving(1, 1), { maxRemovals: 1000, maxRemovalShare: 0.25 })).toEqual({
      allowed: true,
    });
    expect(guard(planRemoving(9, 9), { maxRemovals: 1000, maxRemovalShare: 0.25 })).toEqual({
      allowed: true,
    });
    expect(guard(planRemoving(10, 10), { maxRemovals: 1000, maxRemovalShare: 0.25 }).allowed).toBe(false);
    expect(guard(planRemoving(3, 3), { maxRemovals: 2, maxRemovalShare: 1 }).allowed).toBe(false);
    expect(
      guard(planRemoving(3, 3), { maxRemovals: 1000, maxRemovalShare: 0.25, guardMinRemovals: 3 }).allowed,
    ).toBe(false);
  });

  it('allows a run if and only if it is within both limits (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 30 }),
        (removals, extra, maxRemovals, sharePercent, guardMinRemovals) => {
          const managed = removals + extra;
          const maxRemovalShare = sharePercent / 100;
          const verdict = guard(planRemoving(removals, managed), {
            maxRemovals,
            maxRemovalShare,
            guardMinRemovals,
          });
          const expected =
            removals === 0 ||
            (removals <= maxRemovals &&
              (removals < guardMinRemovals || removals * 100 <= sharePercent * managed));
          expect(verdict.allowed).toBe(expected);
        },
      ),
    );
  });
});

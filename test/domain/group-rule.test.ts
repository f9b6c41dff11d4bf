import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clauseAt, failingClause, matchesRule, parseRule, type GroupRule } from '../../src/domain/index.ts';
import { alliance, coalition, corporation, directory, group, user } from '../support/facts.ts';
import { directoryArbitrary, ruleArbitrary } from '../support/rule-arbitraries.ts';

describe('parseRule', () => {
  it('accepts every clause, nested', () => {
    const rule = {
      all: [
        { any: [{ corporation: [1] }, { alliance: [10] }, { coalition: ['k'] }] },
        { clearance: { min: 0, max: 8 } },
        { not: { guest: true } },
        { mayLogin: true },
        { memberOf: ['g'] },
        { daysInCorporation: 30 },
      ],
    };
    expect(parseRule(rule)).toEqual({ ok: true, rule });
  });

  it.each([
    [{ all: [{ guest: false }, { clearance: { min: 12 } }] }, 'all[1].clearance', /10/],
    [{ all: [{ guest: false }, { any: [] }] }, 'all[1].any', /non-empty list/],
    [{ corporation: [1], alliance: [2] }, 'the rule', /exactly one key/],
    [{ all: [{ clearence: { min: 1 } }] }, 'all[0]', /unknown clause "clearence"/],
    [{ not: { clearance: { min: 5, max: 2 } } }, 'not.clearance', /min is above max/],
    [{ clearance: {} }, 'clearance', /give min, max or both/],
    [{ corporation: ['98000001'] }, 'corporation', /number/],
    ['corp:ABC', 'the rule', /an object with one key/],
  ])('refuses %j naming clause %s', (input, path, problem) => {
    const parsed = parseRule(input);
    expect(parsed).toMatchObject({ ok: false, path });
    expect(parsed.ok ? '' : parsed.problem).toMatch(problem);
  });

  it('refuses rules nested too deep or too large', () => {
    let deep: unknown = { guest: false };
    for (let i = 0; i < 10; i++) deep = { not: deep };
    expect(parseRule(deep)).toMatchObject({ ok: false, problem: expect.stringMatching(/nests at most/) });
    expect(parseRule({ any: Array.from({ length: 300 }, () => ({ guest: false })) })).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/at most 200 clauses/),
    });
  });
});

describe('rule evaluation', () => {
  const now = new Date('2026-12-01T00:00:00Z');
  const dir = directory({
    users: [
      user('a', {
        corporationId: 1,
        clearanceLevel: 3,
        authorizedToLogin: true,
        corporationSince: new Date('2026-01-01'),
      }),
      user('b', { corporationId: 2, clearanceLevel: 0 }),
      user('g', { corporationId: 1, clearanceLevel: -1 }),
    ],
    corporations: [corporation(1, { allianceId: 10 }), corporation(2)],
    alliances: [alliance(10)],
    coalitions: [coalition('k', { allianceIds: [10] })],
    groups: [group('fc')],
    memberships: { b: ['fc'] },
  });

  it('reads the directory facts each clause names', () => {
    const m = (rule: GroupRule, id: string) => matchesRule(rule, dir.users.get(id)!, { dir, now });
    expect(m({ alliance: [10] }, 'a')).toBe(true);
    expect(m({ coalition: ['k'] }, 'b')).toBe(false);
    expect(m({ mayLogin: true }, 'a')).toBe(true);
    expect(m({ mayLogin: true }, 'b')).toBe(false);
    expect(m({ memberOf: ['fc'] }, 'b')).toBe(true);
    expect(m({ daysInCorporation: 300 }, 'a')).toBe(true);
    expect(m({ daysInCorporation: 1 }, 'b')).toBe(false);
    expect(m({ guest: true }, 'g')).toBe(true);
  });

  it('explains a failure by the clause and a reason', () => {
    const rule: GroupRule = {
      all: [{ corporation: [1] }, { not: { guest: true } }, { clearance: { min: 2 } }],
    };
    expect(failingClause(rule, dir.users.get('b')!, { dir, now })).toEqual({
      path: 'all[0].corporation',
      reason: 'corporation 2 is not one of 1',
    });
    expect(failingClause(rule, dir.users.get('g')!, { dir, now })).toEqual({
      path: 'all[1].not',
      reason: 'matches what "not" excludes',
    });
    expect(failingClause({ daysInCorporation: 5 }, dir.users.get('b')!, { dir, now })?.reason).toBe(
      'time in corporation is not known',
    );
  });
});

// --- property: explain names a clause the non-member fails --------------------------------------

describe('explain (property)', () => {
  it('names, for every non-member, a clause of the rule that the user fails on its own; members get none', () => {
    const now = new Date(Date.UTC(2026, 11, 1));
    fc.assert(
      fc.property(directoryArbitrary, ruleArbitrary, (dir, rule) => {
        expect(parseRule(rule)).toEqual({ ok: true, rule });
        for (const u of dir.users.values()) {
          const failed = failingClause(rule, u, { dir, now });
          if (matchesRule(rule, u, { dir, now })) {
            expect(failed).toBeNull();
            continue;
          }
          expect(failed).not.toBeNull();
          const clause = clauseAt(rule, failed!.path);
          expect(clause, failed!.path).not.toBeNull();
          expect(matchesRule(clause!, u, { dir, now })).toBe(false);
          expect(failed!.reason.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});

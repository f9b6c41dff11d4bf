import { describe, expect, it } from 'vitest';
import { deriveAutogroups, type Directory, type UserFacts } from '../../src/domain/index.ts';
import { alliance, coalition, corporation, directory, group, user } from '../support/facts.ts';

/**
 * Corporations AAA and BBB in alliance ALLY (in coalition NORTH); CCC alone but a direct member of
 * NORTH; DDD in alliance OTHR (not in a coalition); EEE with nobody in it.
 */
function world(users: readonly UserFacts[]): Directory {
  return directory({
    corporations: [
      corporation(1, { ticker: 'AAA', name: 'Alpha', allianceId: 10, authorizedToLogin: true }),
      corporation(2, { ticker: 'BBB', name: 'Bravo', allianceId: 10 }),
      corporation(3, { ticker: 'CCC', name: 'Charlie' }),
      corporation(4, { ticker: 'DDD', name: 'Delta', allianceId: 20 }),
      corporation(5, { ticker: 'EEE', name: 'Echo' }),
    ],
    alliances: [alliance(10, { ticker: 'ALLY', authorizedToLogin: true }), alliance(20, { ticker: 'OTHR' })],
    coalitions: [
      coalition('north-id', { ticker: 'NORTH', name: 'The North', allianceIds: [10], corporationIds: [3] }),
    ],
    groups: [group('g-banned', { authorizedToLogin: false })],
    users,
    memberships: { banned: ['g-banned'] },
  });
}

const baseUsers = [
  user('root', { characterId: 0, clearanceLevel: 10 }),
  user('a1', { corporationId: 1 }),
  user('a-guest', { corporationId: 1, clearanceLevel: -1 }),
  user('b1', { corporationId: 2, clearanceLevel: 10 }),
  user('c1', { corporationId: 3, authorizedToLogin: true }),
  user('d1', { corporationId: 4 }),
  user('d-guest', { corporationId: 4, clearanceLevel: -1, authorizedToLogin: true }),
  user('nocorp', { corporationId: null, authorizedToLogin: true }),
  user('banned', { corporationId: 1 }),
];

const byName = (dir: Directory) =>
  Object.fromEntries(deriveAutogroups(dir).map((g) => [g.name, [...g.memberIds].sort()]));

describe('deriveAutogroups', () => {
  it('names every autogroup by the documented scheme, with a stable key', () => {
    const specs = deriveAutogroups(world(baseUsers));
    expect(specs.map((g) => [g.key, g.name])).toEqual([
      ['corporation:1', 'corp:AAA'],
      ['corporation:2', 'corp:BBB'],
      ['corporation:3', 'corp:CCC'],
      ['corporation:4', 'corp:DDD'],
      ['corporation:5', 'corp:EEE'],
      ['alliance:10', 'alliance:ALLY'],
      ['alliance:20', 'alliance:OTHR'],
      ['coalition:north-id', 'coalition:NORTH'],
      ['builtin:superusers', 'superusers'],
      ['builtin:members', 'members'],
      ['builtin:guests', 'guests'],
    ]);
    expect(specs.find((g) => g.key === 'corporation:1')!.description).toBe('Members of Alpha');
  });

  it('puts non-guest users in their corporation, alliance and coalitions (directly too), and builds the built-ins', () => {
    expect(byName(world(baseUsers))).toEqual({
      'corp:AAA': ['a1', 'banned'],
      'corp:BBB': ['b1'],
      'corp:CCC': ['c1'],
      'corp:DDD': ['d1'],
      'corp:EEE': [],
      'alliance:ALLY': ['a1', 'b1', 'banned'],
      'alliance:OTHR': ['d1'],
      'coalition:NORTH': ['a1', 'b1', 'banned', 'c1'],
      superusers: ['b1', 'root'],
      // Everyone who may log in: AAA and ALLY say yes, c1 and nocorp themselves; banned's group says no.
      // Guests who may log in are in "guests", not in "members" nor in any corporation autogroup.
      members: ['a1', 'b1', 'c1', 'nocorp', 'root'],
      guests: ['a-guest', 'd-guest'],
    });
  });

  it('excludes guests from every corporation, alliance and coalition group', () => {
    const specs = deriveAutogroups(world(baseUsers));
    for (const spec of specs.filter((s) => !s.key.startsWith('builtin:'))) {
      expect(spec.memberIds.has('a-guest')).toBe(false);
      expect(spec.memberIds.has('d-guest')).toBe(false);
    }
  });

  it('moves a member who changes corporation, leaving nothing behind', () => {
    const moved = baseUsers.map((u) =>
      u.id === 'a1' ? { ...u, corporationId: 4 } : u.id === 'd1' ? { ...u, corporationId: 3 } : u,
    );
    const groups = byName(world(moved));
    expect(groups['corp:AAA']).toEqual(['banned']);
    expect(groups['corp:DDD']).toEqual(['a1']);
    expect(groups['corp:CCC']).toEqual(['c1', 'd1']);
    expect(groups['alliance:ALLY']).toEqual(['b1', 'banned']);
    expect(groups['alliance:OTHR']).toEqual(['a1']);
    expect(groups['coalition:NORTH']).toEqual(['b1', 'banned', 'c1', 'd1']);
    // a1 lost the login it had through AAA/ALLY.
    expect(groups['members']).not.toContain('a1');
  });

  it('keeps names unique when corporations share a ticker: the oldest keeps it, whatever the order', () => {
    const corps = [
      corporation(98_000_200, { ticker: 'DUP', allianceId: 10 }),
      corporation(98_000_100, { ticker: 'DUP' }),
      corporation(1_000_001, { ticker: 'DUP' }),
    ];
    for (const order of [corps, [...corps].reverse()]) {
      const specs = deriveAutogroups(
        directory({ corporations: order, alliances: [alliance(10, { ticker: 'DUP' })] }),
      );
      const names = Object.fromEntries(specs.map((g) => [g.key, g.name]));
      expect(names).toMatchObject({
        'corporation:1000001': 'corp:DUP',
        'corporation:98000100': 'corp:DUP (98000100)',
        'corporation:98000200': 'corp:DUP (98000200)',
        'alliance:10': 'alliance:DUP',
      });
      expect(new Set(specs.map((g) => g.name)).size).toBe(specs.length);
    }
  });

  it('ignores a user whose corporation the directory does not know', () => {
    const groups = byName(world([user('x', { corporationId: 999, authorizedToLogin: true })]));
    for (const [name, members] of Object.entries(groups)) {
      expect(members, name).toEqual(name === 'members' ? ['x'] : []);
    }
  });

  it('keeps a guest who may not log in out of "guests" too', () => {
    const groups = byName(
      world([user('g', { corporationId: 4, clearanceLevel: -1, authorizedToLogin: false })]),
    );
    for (const [name, members] of Object.entries(groups)) {
      expect(members, name).toEqual([]);
    }
  });
});

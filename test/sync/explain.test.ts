import { describe, expect, it } from 'vitest';
import { explainUser } from '../../src/sync/explain.ts';
import type { MappingFacts } from '../../src/sync/desired.ts';
import { corporation, directory, group, user } from '../support/facts.ts';

const mapping = (id: string, groupId: string, platformGroupId: string | null = null): MappingFacts => ({
  id,
  groupId,
  platformGroupId,
  displayName: null,
  mode: 'managed',
});

/** Pilot "a" of corporation 1 (authorized), in groups fc and logi; pilot "b" denied; pilot "c" unlinked. */
function scene(overrides: { corpLogin?: boolean | null } = {}) {
  const dir = directory({
    corporations: [corporation(1, { ticker: 'ABC', authorizedToLogin: overrides.corpLogin ?? true })],
    users: [
      user('a', { corporationId: 1 }),
      user('b', { corporationId: 1, authorizedToLogin: false }),
      user('c', { corporationId: 1 }),
    ],
    groups: [group('fc'), group('logi'), group('scouts')],
    memberships: { a: ['fc', 'logi'], b: ['fc'], c: ['fc'] },
  });
  const mappings = [mapping('m1', 'fc', '11'), mapping('m2', 'logi', '12'), mapping('m3', 'scouts', '13')];
  const accountOf = new Map([
    ['a', '101'],
    ['b', '102'],
  ]);
  const membersOf = new Map([
    ['fc', ['a', 'b', 'c']],
    ['logi', ['a']],
  ]);
  return { dir, mappings, accountOf, membersOf };
}

const reasons = (groups: ReturnType<typeof explainUser>) =>
  Object.fromEntries(groups.map((g) => [g.groupName, [g.shouldHave, g.reason]]));

describe('explain: why does a user (not) have a platform group', () => {
  it('says member for the groups a linked, authorized user should have, and not-a-member for the others', () => {
    const s = scene();
    const result = explainUser('a', 'teamspeak', s.dir, s.mappings, s.accountOf, s.membersOf, new Map(), 0);
    expect(reasons(result)).toEqual({
      fc: [true, 'member'],
      logi: [true, 'member'],
      scouts: [false, 'not-a-member'],
    });
  });

  it('names what denies the login', () => {
    const s = scene();
    const fc = explainUser('b', 'teamspeak', s.dir, s.mappings, s.accountOf, s.membersOf, new Map(), 0).find(
      (g) => g.groupName === 'fc',
    )!;
    expect(fc).toMatchObject({ shouldHave: false, reason: 'login-not-authorized' });
    expect(fc.detail).toBe('login denied by user');
    const denied = scene({ corpLogin: false });
    const viaCorp = explainUser(
      'a',
      'teamspeak',
      denied.dir,
      denied.mappings,
      denied.accountOf,
      denied.membersOf,
      new Map(),
      0,
    );
    expect(viaCorp[0]!.detail).toBe('login denied by corporation ABC');
  });

  it('says not-linked when the user has no account on the target', () => {
    const s = scene();
    const fc = explainUser('c', 'discord', s.dir, s.mappings, s.accountOf, s.membersOf, new Map(), 0)[0]!;
    expect(fc).toMatchObject({ groupName: 'fc', shouldHave: false, reason: 'not-linked' });
  });

  it('says removal-held, with the date, while a planned removal waits out the grace period', () => {
    const s = scene();
    const since = new Date(Date.now() - 5 * 60_000);
    const pending = new Map([['11/102', since]]);
    const fc = explainUser(
      'b',
      'teamspeak',
      s.dir,
      s.mappings,
      s.accountOf,
      s.membersOf,
      pending,
      60 * 60_000,
    )[0]!;
    expect(fc.reason).toBe('removal-held');
    expect(fc.detail).toContain(new Date(since.getTime() + 60 * 60_000).toISOString());
    const elapsed = explainUser(
      'b',
      'teamspeak',
      s.dir,
      s.mappings,
      s.accountOf,
      s.membersOf,
      pending,
      60_000,
    )[0]!;
    expect(elapsed.reason).toBe('login-not-authorized');
  });
});

describe('explain: rule-built groups', () => {
  it('names the clause of the rule the user fails', () => {
    const dir = directory({
      corporations: [corporation(1, { authorizedToLogin: true })],
      users: [user('a', { corporationId: 1, clearanceLevel: 1 })],
      groups: [
        group('seniors', { kind: 'rule', rule: { all: [{ guest: false }, { clearance: { min: 3 } }] } }),
      ],
    });
    const [seniors] = explainUser(
      'a',
      'discord',
      dir,
      [mapping('m1', 'seniors', '21')],
      new Map([['a', '101']]),
      new Map(),
      new Map(),
      0,
    );
    expect(seniors).toMatchObject({
      reason: 'not-a-member',
      detail: 'not a member of seniors: clearance 1 is below 3 (rule clause all[1].clearance)',
    });
  });
});

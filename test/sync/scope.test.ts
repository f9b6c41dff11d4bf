import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plan, removalKey, type DesiredGroup, type Plan, type PlanInput } from '../../src/sync/plan.ts';
import {
  mergeScopes,
  rebuildScope,
  scopePlanInput,
  USERS_SCOPED_AT_MOST,
  scopePredicate,
  targetScope,
  usersScope,
  type TargetScope,
} from '../../src/sync/scope.ts';

const accounts = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'];
const members = fc.subarray(accounts);
const now = new Date('2026-01-01T00:00:00Z');

/** Tracked, live groups (what a scoped run works on), with removal clocks and a last-applied snapshot. */
const scenario = fc
  .record({
    groups: fc.array(
      fc.record({
        mode: fc.constantFrom<DesiredGroup['mode']>('managed', 'grantOnly'),
        wanted: members,
        onPlatform: members,
        lastApplied: members,
        pending: fc.subarray(accounts),
        pendingAgeMinutes: fc.integer({ min: 0, max: 20 }),
      }),
      { minLength: 1, maxLength: 5 },
    ),
    nicknames: fc.subarray(accounts),
    scopedGroups: fc.array(fc.nat(4), { maxLength: 3 }),
    scopedAccounts: fc.subarray(accounts),
    present: fc.option(members, { nil: null }),
  })
  .map((s) => {
    const desired = s.groups.map((g, i): DesiredGroup => ({
      mappingId: `m${i}`,
      groupId: `g${i}`,
      groupName: `group-${i}`,
      displayName: `Group ${i}`,
      platformGroupId: `p${i}`,
      mode: g.mode,
      members: new Set(g.wanted),
    }));
    const pendingRemovals = new Map<string, Date>();
    s.groups.forEach((g, i) => {
      for (const a of g.pending)
        pendingRemovals.set(removalKey(`p${i}`, a), new Date(now.getTime() - g.pendingAgeMinutes * 60_000));
    });
    const input: PlanInput = {
      platform: 'teamspeak',
      target: 'main',
      desired,
      platformGroups: desired.map((d) => ({ id: d.platformGroupId!, name: d.displayName })),
      observed: new Map(s.groups.map((g, i) => [`p${i}`, new Set(g.onPlatform)])),
      presentAccounts: s.present === null ? null : new Set(s.present),
      desiredNicknames: new Map(accounts.map((a) => [a, `[T] ${a}`])),
      observedNicknames: new Map(s.nicknames.map((a) => [a, a])),
      pendingRemovals,
      now,
      removalGraceMs: 10 * 60_000,
      lastApplied: new Map(s.groups.map((g, i) => [`p${i}`, new Set(g.lastApplied)])),
    };
    const scope: TargetScope = {
      mappingIds: new Set(s.scopedGroups.filter((i) => i < desired.length).map((i) => `m${i}`)),
      accounts: new Set(s.scopedAccounts),
    };
    return { input, scope };
  });

const pairs = (deltas: Plan['adds']) =>
  deltas.flatMap((d) => d.accountIds.map((a) => `${d.platformGroupId}/${a}`)).sort();

describe('scopePlanInput (properties)', () => {
  it('plans nothing outside the scope', () => {
    fc.assert(
      fc.property(scenario, ({ input, scope }) => {
        const inScope = scopePredicate(scope, input.desired);
        const p = plan(scopePlanInput(input, scope));
        for (const delta of [...p.adds, ...p.removes])
          for (const a of delta.accountIds) expect(inScope(delta.platformGroupId!, a)).toBe(true);
        for (const h of p.heldRemovals) expect(inScope(h.platformGroupId, h.accountId)).toBe(true);
        for (const key of p.pendingRemovals.keys()) {
          const [g, a] = key.split('/') as [string, string];
          expect(inScope(g, a)).toBe(true);
        }
        const nicknameScope = new Set(scope.accounts);
        for (const g of input.desired)
          if (scope.mappingIds.has(g.mappingId)) for (const m of g.members) nicknameScope.add(m);
        for (const n of p.nicknames) expect(nicknameScope.has(n.accountId)).toBe(true);
      }),
    );
  });

  it('plans inside the scope exactly what a full run plans there', () => {
    fc.assert(
      fc.property(scenario, ({ input, scope }) => {
        const inScope = scopePredicate(scope, input.desired);
        const keep = (pair: string) => {
          const [g, a] = pair.split('/') as [string, string];
          return inScope(g, a);
        };
        const full = plan(input);
        const scoped = plan(scopePlanInput(input, scope));
        expect(pairs(scoped.adds)).toEqual(pairs(full.adds).filter(keep));
        expect(pairs(scoped.removes)).toEqual(pairs(full.removes).filter(keep));
        const held = (p: Plan) => p.heldRemovals.map((h) => `${h.platformGroupId}/${h.accountId}`).sort();
        expect(held(scoped)).toEqual(held(full).filter(keep));
        expect([...scoped.pendingRemovals].sort()).toEqual(
          [...full.pendingRemovals].filter(([k]) => keep(k)).sort(),
        );
        expect(scoped.creates).toEqual(full.creates);
        expect(scoped.renames).toEqual(full.renames);
      }),
    );
  });
});

describe('targetScope', () => {
  const mappings = [
    { id: 'm1', groupId: 'g1' },
    { id: 'm2', groupId: 'g2' },
  ];
  const accountOf = new Map([
    ['u1', '11'],
    ['u2', '12'],
  ]);

  it('maps groups to this target’s mappings and users to their accounts here; unlinked users and unmapped groups fall out', () => {
    const scope = mergeScopes(
      { groups: ['g2', 'g9'], users: [], accounts: [] },
      mergeScopes(usersScope(['u1', 'u3']), {
        groups: [],
        users: [],
        accounts: [
          { platform: 'teamspeak', target: 'main', accountId: '40' },
          { platform: 'teamspeak', target: 'other', accountId: '41' },
          { platform: 'discord', target: null, accountId: '42' },
        ],
      }),
    );
    const t = targetScope(scope, 'teamspeak', 'main', mappings, accountOf);
    expect([...t.mappingIds]).toEqual(['m2']);
    expect([...t.accounts].sort()).toEqual(['11', '40']);
  });

  it('merges without duplicates', () => {
    const a = {
      groups: ['g1'],
      users: ['u1'],
      accounts: [{ platform: 'discord' as const, target: null, accountId: '9' }],
    };
    expect(mergeScopes(a, a)).toEqual(a);
  });
});

describe('rebuildScope', () => {
  const rebuild = { renamed: 0, deleted: [], changedUserIds: ['u1', 'u2'] };
  it('scopes to the users who joined or left an autogroup; nothing moved is an empty scope', () => {
    expect(rebuildScope(rebuild)).toEqual(usersScope(['u1', 'u2']));
    expect(rebuildScope({ ...rebuild, changedUserIds: [] })).toEqual(usersScope([]));
  });
  it('runs full after a rename or a removal, or when too many users moved', () => {
    expect(rebuildScope({ ...rebuild, renamed: 1 })).toBeNull();
    expect(rebuildScope({ ...rebuild, deleted: [{}] })).toBeNull();
    const many = Array.from({ length: USERS_SCOPED_AT_MOST + 1 }, (_, i) => `u${i}`);
    expect(rebuildScope({ ...rebuild, changedUserIds: many })).toBeNull();
    expect(rebuildScope({ ...rebuild, changedUserIds: many.slice(1) })).not.toBeNull();
  });
});

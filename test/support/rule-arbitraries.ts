import fc from 'fast-check';
import type { Directory, GroupRule } from '../../src/domain/index.ts';
import { alliance, coalition, corporation, directory, group, user } from './facts.ts';

/** Random rules and directories over a few corporations, alliances, coalitions and groups. */

export const corpIds = [1, 2, 3, 4];
export const allianceIds = [10, 20];
export const groupIds = ['g1', 'g2', 'g3'];

const leafOver = (memberOfIds: readonly string[]): fc.Arbitrary<GroupRule> =>
  fc.oneof(
    fc.subarray(corpIds, { minLength: 1 }).map((corporation) => ({ corporation })),
    fc.subarray(allianceIds, { minLength: 1 }).map((alliance) => ({ alliance })),
    fc.subarray(['k1', 'k2'], { minLength: 1 }).map((coalition) => ({ coalition })),
    fc
      .tuple(fc.integer({ min: -1, max: 10 }), fc.integer({ min: -1, max: 10 }))
      .map(([x, y]) => ({ clearance: { min: Math.min(x, y), max: Math.max(x, y) } })),
    fc.boolean().map((guest) => ({ guest })),
    fc.boolean().map((mayLogin) => ({ mayLogin })),
    fc.subarray([...memberOfIds], { minLength: 1 }).map((memberOf) => ({ memberOf })),
    fc.integer({ min: 0, max: 400 }).map((daysInCorporation) => ({ daysInCorporation })),
  );

/** Rules whose memberOf clauses name some of `memberOfIds` (default: the manual groups g1..g3). */
export const ruleOver = (memberOfIds: readonly string[] = groupIds): fc.Arbitrary<GroupRule> =>
  fc.letrec<{ rule: GroupRule }>((tie) => ({
    rule: fc.oneof(
      { maxDepth: 3, depthIdentifier: 'rule' },
      leafOver(memberOfIds),
      fc.array(tie('rule'), { minLength: 1, maxLength: 3 }).map((all) => ({ all })),
      fc.array(tie('rule'), { minLength: 1, maxLength: 3 }).map((any) => ({ any })),
      tie('rule').map((not) => ({ not })),
    ),
  })).rule;

export const ruleArbitrary: fc.Arbitrary<GroupRule> = ruleOver();

export const RULE_NOW = new Date(Date.UTC(2026, 11, 1));

export interface RandomUser {
  readonly corporationId: number | null;
  readonly clearanceLevel: number;
  readonly authorizedToLogin: boolean | null;
  /** Days in the corporation, where known. */
  readonly days: number | null;
  /** Manual groups (of g1..g3) the user is in. */
  readonly groups: readonly string[];
}

export const randomUsers: fc.Arbitrary<RandomUser[]> = fc.array(
  fc.record({
    corporationId: fc.option(fc.constantFrom(...corpIds), { nil: null }),
    clearanceLevel: fc.integer({ min: -1, max: 10 }),
    authorizedToLogin: fc.option(fc.boolean(), { nil: null }),
    days: fc.option(fc.integer({ min: 0, max: 400 }), { nil: null }),
    groups: fc.subarray(groupIds),
  }),
  { maxLength: 12 },
);

/** Alliances of coalition k1 and corporations of coalition k2. */
export const randomCoalitions = fc.record({ k1: fc.subarray(allianceIds), k2: fc.subarray(corpIds) });

/** Corporations 1 and 2 are in alliance 10, 3 in 20, 4 in none. */
export const allianceOfCorporation = (id: number): number | null => (id <= 2 ? 10 : id === 3 ? 20 : null);

export function randomDirectory(
  users: readonly RandomUser[],
  coalitions: { k1: readonly number[]; k2: readonly number[] },
  extraGroups: readonly string[] = [],
): Directory {
  return directory({
    users: users.map((u, i) =>
      user(`u${i}`, {
        corporationId: u.corporationId,
        clearanceLevel: u.clearanceLevel,
        authorizedToLogin: u.authorizedToLogin,
        corporationSince: u.days === null ? null : new Date(RULE_NOW.getTime() - u.days * 86_400_000),
      }),
    ),
    corporations: corpIds.map((id) => corporation(id, { allianceId: allianceOfCorporation(id) })),
    alliances: allianceIds.map((id) => alliance(id)),
    coalitions: [
      coalition('k1', { allianceIds: [...coalitions.k1] }),
      coalition('k2', { corporationIds: [...coalitions.k2] }),
    ],
    groups: [...groupIds.map((id) => group(id)), ...extraGroups.map((id) => group(id, { kind: 'rule' }))],
    memberships: Object.fromEntries(users.map((u, i) => [`u${i}`, u.groups])),
  });
}

export const directoryArbitrary: fc.Arbitrary<Directory> = fc
  .tuple(randomUsers, randomCoalitions)
  .map(([users, coalitions]) => randomDirectory(users, coalitions));

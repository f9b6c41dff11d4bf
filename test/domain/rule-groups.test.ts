import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildRuleGroups,
  groupsReadBy,
  matchesRule,
  ruleCycle,
  ruleGroupOrder,
  type RuleGroupSpec,
} from '../../src/domain/index.ts';
import {
  RULE_NOW,
  groupIds,
  randomCoalitions,
  randomDirectory,
  randomUsers,
  ruleOver,
} from '../support/rule-arbitraries.ts';

const ruleGroupIds = ['r1', 'r2', 'r3'];
/** Rules of r1..r3 that may read the manual groups and each other (circles included). */
const specsArbitrary: fc.Arbitrary<RuleGroupSpec[]> = fc
  .tuple(...ruleGroupIds.map(() => ruleOver([...groupIds, ...ruleGroupIds])))
  .map((rules) => rules.map((rule, i) => ({ id: ruleGroupIds[i]!, rule })));

describe('ruleGroupOrder and ruleCycle', () => {
  it('builds a group after those it reads, and refuses a circle naming it', () => {
    const specs: RuleGroupSpec[] = [
      { id: 'r1', rule: { memberOf: ['r2'] } },
      { id: 'r2', rule: { all: [{ memberOf: ['g1'] }, { memberOf: ['r3'] }] } },
      { id: 'r3', rule: { guest: false } },
    ];
    expect(ruleGroupOrder(specs).order.map((s) => s.id)).toEqual(['r3', 'r2', 'r1']);
    expect(ruleCycle(specs, 'r3', { memberOf: ['r1'] })).toEqual(['r3', 'r1', 'r2', 'r3']);
    expect(ruleCycle(specs, 'r3', { memberOf: ['r3'] })).toEqual(['r3', 'r3']);
    expect(ruleCycle(specs, 'r3', { memberOf: ['g1'] })).toBeNull();
    const circle = [...specs.slice(0, 2), { id: 'r3', rule: { memberOf: ['r1'] } }];
    expect(ruleGroupOrder(circle)).toEqual({ order: [], cyclic: ['r1', 'r2', 'r3'] });
  });
});

describe('buildRuleGroups (property)', () => {
  it('rebuilds each group to exactly the users its rule matches, reading the groups built before it', () => {
    fc.assert(
      fc.property(randomUsers, randomCoalitions, specsArbitrary, (users, coalitions, specs) => {
        const dir = randomDirectory(users, coalitions, ruleGroupIds);
        // Stale memberships of the rule groups, which the rebuild must not read.
        const stale = new Map([...dir.users.keys()].map((id) => [id, new Set([...ruleGroupIds])]));
        for (const [id, set] of dir.groupsOfUser) for (const g of set) stale.get(id)!.add(g);
        const build = buildRuleGroups(specs, dir, stale, RULE_NOW);
        const { order, cyclic } = ruleGroupOrder(specs);
        // The order puts every group after the rule groups it reads; the rest are on circles.
        const position = new Map(order.map((s, i) => [s.id, i]));
        for (const s of order)
          for (const dep of groupsReadBy(s.rule))
            if (ruleGroupIds.includes(dep)) expect(position.get(dep)).toBeLessThan(position.get(s.id)!);
        expect([...order.map((s) => s.id), ...cyclic].sort()).toEqual(ruleGroupIds);
        expect(cyclic.length === 0).toBe(specs.every((s) => ruleCycle(specs, s.id, s.rule) === null));
        for (const s of order) {
          for (const user of dir.users.values()) {
            const expected = matchesRule(s.rule, user, {
              dir,
              groupsOfUser: build.groupsOfUser,
              now: RULE_NOW,
            });
            expect(build.members.get(s.id)!.has(user.id), `${s.id} ${user.id}`).toBe(expected);
            expect(build.groupsOfUser.get(user.id)!.has(s.id)).toBe(expected);
          }
        }
        // Groups on a circle keep what they had.
        for (const id of cyclic) {
          expect(build.members.has(id)).toBe(false);
          for (const userId of dir.users.keys()) expect(build.groupsOfUser.get(userId)!.has(id)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

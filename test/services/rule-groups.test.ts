import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { clauseAt, matchesRule, ruleGroupOrder, type RuleGroupSpec } from '../../src/domain/index.ts';
import { explainRuleGroup } from '../../src/services/rule-groups.ts';
import { rebuildAutogroups } from '../../src/services/autogroups.ts';
import { bootstrap } from '../../src/services/bootstrap.ts';
import { loadDirectory } from '../../src/store/directory.ts';
import {
  Alliance,
  Coalition,
  Corporation,
  Group,
  GroupMember,
  User,
} from '../../src/store/entities/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import {
  RULE_NOW,
  allianceIds,
  allianceOfCorporation,
  corpIds,
  groupIds,
  randomCoalitions,
  randomUsers,
  ruleOver,
} from '../support/rule-arbitraries.ts';
import { addAlliance, addCoalition, addCorporation, addGroup, addMember, addUser } from '../support/rows.ts';

const ruleGroupIds = ['r1', 'r2', 'r3'];
const specsArbitrary: fc.Arbitrary<RuleGroupSpec[]> = fc
  .tuple(...ruleGroupIds.map(() => ruleOver([...groupIds, ...ruleGroupIds])))
  .map((rules) => rules.map((rule, i) => ({ id: ruleGroupIds[i]!, rule })));

/**
 * The rebuild on a real database, for random directories and rules (rules reading manual groups
 * and each other): afterwards each rule-built group holds exactly the users its rule matches, and
 * explain names, for every non-member, a clause of the rule that the user fails.
 */
describe('rule-built groups rebuilt on PostgreSQL (property)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: RULE_NOW });
    t = await createTestDatabase();
    await bootstrap(t.db.fork());
  });
  afterAll(async () => {
    vi.useRealTimers();
    await t?.dispose();
  });

  it('rebuilt membership equals the rule’s answer; explain names a failing clause for every non-member', async () => {
    await fc.assert(
      fc.asyncProperty(randomUsers, randomCoalitions, specsArbitrary, async (users, coalitions, specs) => {
        const em = t.db.fork();
        await em.nativeDelete(GroupMember, {});
        await em.nativeDelete(Group, {});
        await em.nativeDelete(User, { characterId: { $ne: 0 } });
        await em.nativeDelete(Coalition, {});
        await em.nativeDelete(Corporation, {});
        await em.nativeDelete(Alliance, {});
        for (const id of allianceIds) addAlliance(em, id);
        for (const id of corpIds) addCorporation(em, id, { allianceId: allianceOfCorporation(id) });
        addCoalition(em, 'K1', { id: 'k1', allianceIds: [...coalitions.k1] });
        addCoalition(em, 'K2', { id: 'k2', corporationIds: [...coalitions.k2] });
        for (const id of groupIds) addGroup(em, id, [], { id });
        for (const s of specs)
          addGroup(em, s.id, [], {
            id: s.id,
            kind: 'rule',
            rule: s.rule as unknown as Record<string, unknown>,
          });
        users.forEach((u, i) => {
          addUser(em, `u${i}`, {
            id: `u${i}`,
            corporationId: u.corporationId,
            clearanceLevel: u.clearanceLevel,
            authorizedToLogin: u.authorizedToLogin,
            corporationSince: u.days === null ? null : new Date(RULE_NOW.getTime() - u.days * 86_400_000),
          });
          for (const g of u.groups) addMember(em, g, `u${i}`);
        });
        await em.flush();

        const rebuilt = await rebuildAutogroups(t.db.fork());
        const { cyclic } = ruleGroupOrder(specs);
        expect([...rebuilt.ruleGroups.cyclic].sort()).toEqual([...cyclic].sort());

        const check = t.db.fork();
        const dir = await loadDirectory(check);
        for (const s of specs) {
          if (cyclic.includes(s.id)) continue;
          for (const user of dir.users.values()) {
            const member = dir.groupsOfUser.get(user.id)?.has(s.id) ?? false;
            expect(member, `${s.id} ${user.id}`).toBe(matchesRule(s.rule, user, { dir, now: RULE_NOW }));
            const { explanation } = await explainRuleGroup(check, s.id, user.id);
            expect(explanation.member).toBe(member);
            expect(explanation.matches).toBe(member);
            if (member) continue;
            const clause = clauseAt(s.rule, explanation.failing!.path);
            expect(clause, explanation.failing!.path).not.toBeNull();
            expect(matchesRule(clause!, user, { dir, now: RULE_NOW })).toBe(false);
          }
        }
      }),
      { numRuns: 25 },
    );
  });
});

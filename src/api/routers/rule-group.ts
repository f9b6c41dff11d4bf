import { z } from 'zod';
import * as ruleGroups from '../../services/rule-groups.ts';
import { useCaseOf } from '../effects.ts';
import { requireScope, router, scoped, scopedOver } from '../trpc.ts';

/**
 * Rule-built groups: created by anyone who may create a group (`group.create`, the creator owns
 * it), their rule changed by the owner or an admin (`group.configure`), explained to whoever may
 * read the user. Saving a rule rebuilds at once and asks every target to sync (the use cases do).
 */

const id = z.string().min(1).max(64);
const rule = z
  .unknown()
  .refine((v) => v !== undefined, 'a rule is required')
  .describe(
    'The membership rule (JSON): clauses corporation, alliance, coalition, clearance, guest, mayLogin, memberOf, daysInCorporation, combined with all, any, not; see docs/GROUPS.md',
  );

export const ruleGroupRouter = router({
  create: scoped('group.create')
    .input(
      z.strictObject({
        name: z.string().min(1).max(100),
        description: z.string().max(2000).default(''),
        rule,
      }),
    )
    .mutation(({ ctx, input }) => ruleGroups.createRuleGroup(useCaseOf(ctx), ctx.actor, input)),
  get: scoped('directory.read')
    .input(z.strictObject({ id }))
    .query(({ ctx, input }) => ruleGroups.getRuleGroup(ctx.deps.db.fork(), input.id)),
  setRule: scopedOver('group.configure', 'self')
    .input(z.strictObject({ id, rule }))
    .mutation(({ ctx, input }) => ruleGroups.setRule(useCaseOf(ctx), ctx.actor, input.id, input.rule)),
  explain: scopedOver('user.read', 'self')
    .input(z.strictObject({ id, userId: id }))
    .query(async ({ ctx, input }) => {
      const result = await ruleGroups.explainRuleGroup(ctx.deps.db.fork(), input.id, input.userId);
      requireScope(ctx.actor, 'user.read', { affiliation: result.affiliation });
      return result.explanation;
    }),
});

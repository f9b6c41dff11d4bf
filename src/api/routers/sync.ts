import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { pageInput } from '../../services/pagination.ts';
import { lastRuns, listRuns } from '../../services/sync-runs.ts';
import { explain, explainOnPlatform } from '../../sync/explain.ts';
import { requireScope, router, scoped, scopedOver } from '../trpc.ts';
import type { Context } from '../context.ts';

const platform = z.enum(['teamspeak', 'discord']);
const targetRef = z.strictObject({ platform, target: z.string().min(1).max(64) });

function requireTarget(ctx: Context, input: z.infer<typeof targetRef>) {
  if (!ctx.deps.reconciler.target(input.platform, input.target)) {
    throw new TRPCError({
      code: 'NOT_FOUND',
      message: `no ${input.platform} target named "${input.target}" is configured`,
    });
  }
}

/**
 * Runs now; when another run holds the target (which may have read the directory before this
 * request), a sync is queued: the job retries until the holder is done or its lease lapsed.
 */
async function runOrQueue(
  ctx: Context,
  input: z.infer<typeof targetRef>,
  options: { trigger: string; force?: boolean },
) {
  const result = await ctx.deps.reconciler.run(input.platform, input.target, options);
  if (result.status === 'busy')
    await ctx.deps.jobs.requestSync(input.platform, input.target, options.trigger);
  return result;
}

export const syncRouter = router({
  plan: scoped('sync.read')
    .input(targetRef)
    .query(async ({ ctx, input }) => {
      requireTarget(ctx, input);
      return ctx.deps.reconciler.run(input.platform, input.target, {
        dryRun: true,
        trigger: `api:${ctx.actor.userId}`,
      });
    }),
  run: scoped('sync.run')
    .input(targetRef)
    .mutation(async ({ ctx, input }) => {
      requireTarget(ctx, input);
      return runOrQueue(ctx, input, { trigger: `api:${ctx.actor.userId}` });
    }),
  force: scoped('sync.force')
    .input(targetRef)
    .mutation(async ({ ctx, input }) => {
      requireTarget(ctx, input);
      return runOrQueue(ctx, input, { force: true, trigger: `force:${ctx.actor.userId}` });
    }),
  runs: scoped('sync.read')
    .input(pageInput.extend({ platform: platform.optional(), target: z.string().max(64).optional() }))
    .query(async ({ ctx, input }) => {
      return listRuns(ctx.deps.db.fork(), input);
    }),
  status: scoped('sync.read').query(async ({ ctx }) => {
    const em = ctx.deps.db.fork();
    return Promise.all(
      ctx.deps.reconciler.targets().map(async (t) => {
        const { last, lastApplied } = await lastRuns(em, t);
        return {
          platform: t.platform,
          target: t.name,
          ...t.status(),
          lastRun: last,
          lastAppliedAt: lastApplied?.finishedAt ?? null,
        };
      }),
    );
  }),
  explain: scopedOver('user.read', 'self')
    .input(targetRef.extend({ userId: z.string().min(1).max(64) }))
    .query(async ({ ctx, input }) => {
      requireTarget(ctx, input);
      const em = ctx.deps.db.fork();
      const graceMs = ctx.deps.config.sync.removalGraceMinutes * 60_000;
      const result = await explain(em, input.userId, input.platform, input.target, graceMs);
      requireScope(ctx.actor, 'user.read', { affiliation: result.affiliation });
      // The directory's answer, then the platform's: what the account holds now, what it will refuse.
      return explainOnPlatform(result, ctx.deps.reconciler.target(input.platform, input.target)!);
    }),
});

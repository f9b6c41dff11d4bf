import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { pageInput } from '../../services/pagination.ts';
import { findRun, lastRuns, listRuns } from '../../services/sync-runs.ts';
import { explain, explainOnPlatform } from '../../sync/explain.ts';
import { newId } from '../../crypto.ts';
import { deleteRetiredGroup } from '../../services/retired-groups.ts';
import { useCaseOf } from '../effects.ts';
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

/**
 * Starts a run and answers once it has started (its id, to follow with sync.progress) or found
 * the target busy (then a sync is queued, as sync.run does, and the busy result is the answer).
 */
async function startRun(ctx: Context, input: z.infer<typeof targetRef>, trigger: string) {
  const runId = newId();
  const { reconciler } = ctx.deps;
  let onStarted: ((e: { runId: string }) => void) | undefined;
  const started = new Promise<null>((resolve) => {
    onStarted = (e) => {
      if (e.runId === runId) resolve(null);
    };
    reconciler.on('sync:started', onStarted);
  });
  const running = reconciler.run(input.platform, input.target, { trigger, runId });
  // The run goes on after this answer: its end is logged and recorded by the engine.
  running.catch((error: unknown) => ctx.log.error({ err: error, runId }, 'sync run failed'));
  try {
    const first = await Promise.race([running, started]);
    if (first?.status === 'busy') {
      await ctx.deps.jobs.requestSync(input.platform, input.target, trigger);
      return { runId: first.runId, started: false as const, result: first };
    }
    return { runId, started: true as const, result: first };
  } finally {
    reconciler.off('sync:started', onStarted!);
  }
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
  /** sync.run without waiting: the run's id at once (follow it with sync.progress). */
  start: scoped('sync.run')
    .input(targetRef)
    .mutation(async ({ ctx, input }) => {
      requireTarget(ctx, input);
      return startRun(ctx, input, `api:${ctx.actor.userId}`);
    }),
  /**
   * A run's progress while it runs in this daemon (phase, calls done out of planned, ETA), its
   * result once it is done; a run of another daemon or from before a restart shows its record.
   */
  progress: scoped('sync.read')
    .input(z.strictObject({ runId: z.string().min(1).max(64) }))
    .query(async ({ ctx, input }) => {
      const progress = ctx.deps.reconciler.progress(input.runId);
      if (progress) return { state: 'running' as const, progress, result: null, record: null };
      const result = ctx.deps.reconciler.result(input.runId) ?? null;
      const record = result ? null : await findRun(ctx.deps.db.fork(), input.runId);
      if (!result && !record)
        throw new TRPCError({ code: 'NOT_FOUND', message: `no sync run ${input.runId}` });
      const state = record?.status === 'running' ? ('running' as const) : ('finished' as const);
      return { state, progress: null, result, record };
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
      const page = await listRuns(ctx.deps.db.fork(), input);
      // A run in progress in this daemon shows where it is (phase, calls done out of planned, ETA).
      return {
        ...page,
        items: page.items.map((r) => ({
          ...r,
          progress: r.status === 'running' ? (ctx.deps.reconciler.progress(r.id) ?? null) : null,
        })),
      };
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
  /**
   * Deletes on the platform a group Roster managed until its autogroup was removed (its source is
   * gone): the rebuild leaves such groups in place unless an operator asks for this. Refused for a
   * group a mapping manages now, or one no removed autogroup was mapped to.
   */
  deleteRetiredGroup: scoped('sync.force')
    .input(targetRef.extend({ platformGroupId: z.string().min(1).max(64) }))
    .mutation(async ({ ctx, input }) => {
      requireTarget(ctx, input);
      const target = ctx.deps.reconciler.target(input.platform, input.target)!;
      const { autogroup } = await deleteRetiredGroup(useCaseOf(ctx), target, input.platformGroupId);
      return { deleted: true as const, platformGroupId: input.platformGroupId, autogroup };
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

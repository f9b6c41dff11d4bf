import { z } from 'zod';
import { redactSecrets } from '../../logger.ts';
import { publicProcedure, router, scoped } from '../trpc.ts';

export const systemRouter = router({
  health: publicProcedure.query(({ ctx }) => ({
    status: 'ok' as const,
    version: ctx.deps.version,
    uptimeSeconds: Math.round((Date.now() - ctx.deps.startedAt.getTime()) / 1000),
  })),
  version: scoped('directory.read').query(({ ctx }) => ({
    version: ctx.deps.version,
    node: process.version,
    database: ctx.deps.db.kind,
  })),
  config: scoped('system.read').query(({ ctx }) => redactSecrets(ctx.deps.config)),
  jobs: scoped('system.read').query(({ ctx }) => ctx.deps.jobs.list()),
  triggerJob: scoped('system.jobs')
    .input(
      z.strictObject({
        name: z.enum(['reconcile', 'esi.affiliations', 'esi.refresh', 'autogroups.rebuild', 'cleanup']),
      }),
    )
    .mutation(async ({ ctx, input }) => ({
      jobId: await ctx.deps.jobs.trigger(input.name, { trigger: `api:${ctx.actor.userId}` }),
    })),
});

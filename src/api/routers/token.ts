import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { ApiToken } from '../../store/entities/index.ts';
import { createToken, describeToken, revokeToken } from '../../services/tokens.ts';
import { requireScope, router, scoped } from '../trpc.ts';
import { auditChange } from '../effects.ts';

export const tokenRouter = router({
  list: scoped('token.own').query(async ({ ctx }) => {
    const rows = await ctx.deps.db
      .fork()
      .find(ApiToken, { userId: ctx.actor.userId }, { orderBy: { createdAt: 'desc' } });
    return rows.map(describeToken);
  }),
  create: scoped('token.own')
    .input(
      z.strictObject({
        kind: z.enum(['application', 'user']).default('user'),
        comment: z.string().max(200).default(''),
        /** Lifetime; application tokens may be unlimited (null). */
        ttlSeconds: z
          .number()
          .int()
          .min(60)
          .max(400 * 86_400)
          .nullable()
          .default(30 * 86_400),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      if (input.kind === 'application') requireScope(ctx.actor, 'token.application');
      if (input.kind === 'user' && input.ttlSeconds === null) {
        throw new TRPCError({ code: 'BAD_REQUEST', message: 'user tokens expire: give ttlSeconds' });
      }
      const em = ctx.deps.db.fork();
      const created = await createToken(em, { userId: ctx.actor.userId, ...input });
      auditChange(ctx, em, {
        action: 'token.create',
        subject: `token:${created.id}`,
        after: { kind: input.kind, comment: input.comment },
      });
      await em.flush();
      return created;
    }),
  revoke: scoped('token.own')
    .input(z.strictObject({ id: z.string().min(1).max(64) }))
    .mutation(async ({ ctx, input }) => {
      const em = ctx.deps.db.fork();
      const token = await em.findOne(ApiToken, { id: input.id });
      // Someone else's token is reported as missing, not forbidden: ids are not to be probed.
      if (!token || (token.userId !== ctx.actor.userId && ctx.actor.clearanceLevel < 10)) {
        throw new TRPCError({ code: 'NOT_FOUND', message: `token ${input.id} not found` });
      }
      const revoked = await revokeToken(em, input.id);
      auditChange(ctx, em, {
        action: 'token.revoke',
        subject: `token:${input.id}`,
      });
      await em.flush();
      return describeToken(revoked);
    }),
});

import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { issueToken, listCredentials, withdrawCredential } from '../../services/auth/tokens.ts';
import { useCaseOf } from '../effects.ts';
import { requireScope, router, scoped } from '../trpc.ts';

export const tokenRouter = router({
  /** One's API tokens and live browser sessions (kind `session`). */
  list: scoped('token.own').query(async ({ ctx }) => listCredentials(ctx.deps.db.fork(), ctx.actor.userId)),
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
    .mutation(({ ctx, input }) => {
      if (input.kind === 'application') requireScope(ctx.actor, 'token.application');
      if (input.kind === 'user' && input.ttlSeconds === null) {
        throw new TRPCError({ code: 'BAD_REQUEST', message: 'user tokens expire: give ttlSeconds' });
      }
      return issueToken(useCaseOf(ctx), { userId: ctx.actor.userId, ...input });
    }),
  revoke: scoped('token.own')
    .input(z.strictObject({ id: z.string().min(1).max(64) }))
    .mutation(async ({ ctx, input }) => {
      // An API token or a browser session; someone else's is reported as missing, not forbidden.
      const revoked = await withdrawCredential(useCaseOf(ctx), ctx.actor, input.id);
      if (!revoked) throw new TRPCError({ code: 'NOT_FOUND', message: `token ${input.id} not found` });
      return revoked;
    }),
});

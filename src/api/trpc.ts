import { initTRPC, TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import { may, type Scope, type ScopeTarget } from '../domain/index.ts';
import { ConflictError, InvalidReferenceError, NotFoundError, RuleViolationError } from '../store/errors.ts';
import type { AuthedActor, Context } from './context.ts';

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error, ctx }) {
    // Internals never leave the daemon: an unexpected error shows only the request id to look up.
    const internal = error.code === 'INTERNAL_SERVER_ERROR';
    return {
      ...shape,
      message: internal ? `internal error; the daemon's log has the details under request id ${ctx?.requestId ?? '?'}` : shape.message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        requestId: ctx?.requestId ?? null,
        issues: error.cause instanceof ZodError ? error.cause.issues.map((i) => ({ path: i.path.map(String), message: i.message })) : undefined,
      },
    };
  },
});

export const router = t.router;
export const middleware = t.middleware;

/** Store and domain errors become tRPC errors with a code and a message a person understands. */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    const code =
      cause instanceof NotFoundError
        ? 'NOT_FOUND'
        : cause instanceof ConflictError
          ? 'CONFLICT'
          : cause instanceof InvalidReferenceError || cause instanceof RuleViolationError
            ? 'BAD_REQUEST'
            : null;
    if (code) throw new TRPCError({ code, message: (cause as Error).message, cause });
  }
  return result;
});

export const publicProcedure = t.procedure.use(mapErrors);

export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.limiter.blocked(ctx.ip) && !ctx.actor) {
    throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: 'too many failed authentications from this address; wait a minute' });
  }
  if (!ctx.actor) {
    throw new TRPCError({ code: 'UNAUTHORIZED', message: ctx.authProblem ?? 'a bearer token is required (Authorization: Bearer <token>)' });
  }
  return next({ ctx: { ...ctx, actor: ctx.actor } });
});

/** Throws FORBIDDEN unless the actor holds the scope over the target. */
export function requireScope(actor: AuthedActor, scope: Scope, target?: ScopeTarget): void {
  if (!may(actor, scope, target)) {
    throw new TRPCError({ code: 'FORBIDDEN', message: `clearance ${actor.clearanceLevel} does not grant "${scope}" here` });
  }
}

/** A procedure that requires one absolute scope before it runs. */
export const scoped = (scope: Scope) =>
  authedProcedure.use(({ ctx, next }) => {
    requireScope(ctx.actor, scope);
    return next();
  });

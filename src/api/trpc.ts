import { initTRPC, TRPCError } from '@trpc/server';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { ZodError } from 'zod';
import type { Scope, ScopeTarget } from '../domain/index.ts';
import {
  ConflictError,
  ForbiddenError,
  InvalidReferenceError,
  NotFoundError,
  RuleViolationError,
} from '../domain/errors.ts';
import { requireMay } from '../services/rights.ts';
import type { AuthedActor, Context } from './context.ts';

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error, ctx }) {
    // Internals never leave the daemon: an unexpected error shows only the request id to look up.
    const internal = error.code === 'INTERNAL_SERVER_ERROR';
    return {
      ...shape,
      message: internal
        ? `internal error; the daemon's log has the details under request id ${ctx?.requestId ?? '?'}`
        : shape.message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        requestId: ctx?.requestId ?? null,
        issues:
          error.cause instanceof ZodError
            ? error.cause.issues.map((i) => ({ path: i.path.map(String), message: i.message }))
            : undefined,
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
          : cause instanceof ForbiddenError
            ? 'FORBIDDEN'
            : cause instanceof InvalidReferenceError || cause instanceof RuleViolationError
              ? 'BAD_REQUEST'
              : null;
    if (code) throw new TRPCError({ code, message: (cause as Error).message, cause });
    // A unique index caught a race the service's own check missed: still the client's conflict, not ours.
    if (cause instanceof UniqueConstraintViolationException) {
      throw new TRPCError({
        code: 'CONFLICT',
        message: 'that value is already taken (another request stored it first)',
        cause,
      });
    }
  }
  return result;
});

/** True when a string anywhere in the value holds U+0000, which PostgreSQL text cannot store. */
function holdsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 64 || value === null || typeof value !== 'object') return false;
  const values: unknown[] = Array.isArray(value) ? value : [...Object.keys(value), ...Object.values(value)];
  return values.some((v) => holdsNul(v, depth + 1));
}

/** Refuses NUL characters in any input up front, for every procedure (present and future). */
const rejectNul = t.middleware(async ({ getRawInput, next }) => {
  if (holdsNul(await getRawInput()))
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'text may not contain NUL (\\u0000) characters' });
  return next();
});

export const publicProcedure = t.procedure.use(mapErrors).use(rejectNul);

export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.limiter.blocked(ctx.ip) && !ctx.actor) {
    throw new TRPCError({
      code: 'TOO_MANY_REQUESTS',
      message: 'too many failed authentications from this address; wait a minute',
    });
  }
  if (!ctx.actor) {
    throw new TRPCError({
      code: 'UNAUTHORIZED',
      message: ctx.authProblem ?? 'a bearer token is required (Authorization: Bearer <token>)',
    });
  }
  return next({ ctx: { ...ctx, actor: ctx.actor } });
});

/** Throws FORBIDDEN unless the actor holds the scope over the target (services/rights.ts). */
export function requireScope(actor: AuthedActor, scope: Scope, target?: ScopeTarget): void {
  requireMay(actor, scope, target);
}

/** A procedure that requires one absolute scope before it runs. */
export const scoped = (scope: Scope) =>
  authedProcedure.use(({ ctx, next }) => {
    requireScope(ctx.actor, scope);
    return next();
  });

/**
 * The nearest target a procedure can act on: oneself (or one's own group), another user of one's
 * corporation (procedures that never act on oneself), or one's alliance.
 */
export type Nearest = 'self' | 'corporation' | 'alliance';

function nearestTarget(actor: AuthedActor, nearest: Nearest): ScopeTarget {
  const own = actor.affiliation;
  switch (nearest) {
    case 'self':
      return { affiliation: own, ownerId: actor.userId };
    case 'corporation':
      return { affiliation: { ...own, userId: null } };
    case 'alliance':
      return { affiliation: { ...own, userId: null, corporationId: null } };
  }
}

/**
 * A procedure over a target it must look up first (a user, a group, a corporation or alliance).
 * Before any lookup the actor must hold `scope` over the nearest target the procedure can reach,
 * so that whoever holds it over nothing hears FORBIDDEN, never whether the id or target exists;
 * the precise check follows the lookup, in the procedure.
 */
export const scopedOver = (scope: Scope, nearest: Nearest) =>
  authedProcedure.use(({ ctx, next }) => {
    requireScope(ctx.actor, scope, nearestTarget(ctx.actor, nearest));
    return next();
  });

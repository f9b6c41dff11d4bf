import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { LinkError, type LinkFailure } from '../../services/links/errors.ts';
import type { Context } from '../context.ts';
import { middleware, scoped } from '../trpc.ts';

const codes = {
  'no-challenge': 'PRECONDITION_FAILED',
  expired: 'BAD_REQUEST',
  used: 'BAD_REQUEST',
  pending: 'PRECONDITION_FAILED',
  foreign: 'BAD_REQUEST',
  'not-found': 'NOT_FOUND',
  ambiguous: 'PRECONDITION_FAILED',
  'not-configured': 'PRECONDITION_FAILED',
  refused: 'BAD_REQUEST',
  unavailable: 'SERVICE_UNAVAILABLE',
} as const satisfies Record<LinkFailure, TRPCError['code']>;

/** A refused link step becomes a tRPC error with its message. */
const mapLinkErrors = middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof LinkError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: codes[cause.reason], message: cause.message, cause });
  }
  return result;
});

/** One's own links (scope `link.own`). */
export const linkProcedure = scoped('link.own').use(mapLinkErrors);

/** Links an admin records on a user's behalf (scope `user.link`). */
export const adminLinkProcedure = scoped('user.link').use(mapLinkErrors);

export const targetName = z.string().min(1).max(64);

/** The target's config entry, or NOT_FOUND naming what is configured. */
export function configuredTarget<P extends 'teamspeak' | 'discord'>(
  ctx: Context,
  platform: P,
  name: string,
): Context['deps']['config'][P]['targets'][number] {
  const targets: Context['deps']['config'][P]['targets'] = ctx.deps.config[platform].targets;
  const found = targets.find((t) => t.name === name);
  if (!found) {
    const known = targets.map((t) => t.name).join(', ') || 'none';
    throw new TRPCError({
      code: 'NOT_FOUND',
      message: `no ${platform} target named "${name}" is configured (configured: ${known})`,
    });
  }
  return found;
}

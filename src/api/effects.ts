import { TRPCError } from '@trpc/server';
import type { ChangeAuthor, UseCaseContext } from '../services/use-case.ts';
import type { DirectoryEsi } from '../services/directory-esi.ts';
import type { Context } from './context.ts';

/** Calls ESI through the DirectoryEsi hook; its failures become BAD_GATEWAY, logged under the request id. */
export async function askEsi<T>(ctx: Context, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    ctx.log.warn({ err: error, what }, 'ESI call failed');
    throw new TRPCError({
      code: 'BAD_GATEWAY',
      message: `ESI did not answer for ${what}; try again later (request id ${ctx.requestId})`,
    });
  }
}

/**
 * The daemon's ESI as the use cases read it, each call's failure a BAD_GATEWAY; null when this
 * daemon does not read ESI (then `track` takes the facts as input).
 */
export function esiOf(ctx: Context): DirectoryEsi | null {
  const esi = ctx.deps.directoryEsi;
  if (!esi) return null;
  return {
    fetchCorporation: (id) => askEsi(ctx, `corporation ${id}`, () => esi.fetchCorporation(id)),
    fetchAlliance: (id) => askEsi(ctx, `alliance ${id}`, () => esi.fetchAlliance(id)),
    fetchCorporationRefresh: (em, id) =>
      askEsi(ctx, `corporation ${id}`, () => esi.fetchCorporationRefresh(em, id)),
    fetchAllianceRefresh: (em, id) => askEsi(ctx, `alliance ${id}`, () => esi.fetchAllianceRefresh(em, id)),
    resolveCharacters: (input) => askEsi(ctx, 'characters', () => esi.resolveCharacters(input)),
  };
}

/**
 * The daemon's ESI for a use case that cannot do without it (adding users by id or name):
 * PRECONDITION_FAILED when this daemon does not read ESI.
 */
export function requireEsi(ctx: Context): DirectoryEsi {
  const esi = esiOf(ctx);
  if (!esi)
    throw new TRPCError({
      code: 'PRECONDITION_FAILED',
      message: 'this daemon does not read ESI, so it cannot look characters up',
    });
  return esi;
}

/** What a control-plane request calls its use cases with: the database, the caller as author, the notifier. */
export function useCaseOf(ctx: Context & { readonly actor: { readonly userId: string } }): UseCaseContext {
  return { db: ctx.deps.db, author: authorOf(ctx), notifier: ctx.deps.notifier };
}

/** Who a control-plane request's use cases audit as the author: the calling user, under its request id. */
function authorOf(ctx: {
  readonly actor: { readonly userId: string };
  readonly requestId: string;
}): ChangeAuthor {
  return { actorId: ctx.actor.userId, requestId: ctx.requestId };
}

import { TRPCError } from '@trpc/server';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { rebuildAutogroups } from '../store/autogroups.ts';
import type { Context } from './context.ts';

/** Platform membership may have changed: every target syncs soon (the job system debounces). */
export async function requestSyncAll(ctx: Context, trigger: string): Promise<void> {
  await Promise.all([
    ctx.deps.jobs.requestSync('teamspeak', null, trigger),
    ctx.deps.jobs.requestSync('discord', null, trigger),
  ]);
}

let rebuilding: Promise<unknown> = Promise.resolve();

/**
 * Rebuilds the autogroups, one rebuild at a time in this process. A rebuild elsewhere (the
 * autogroups job, another daemon) can still create the same autogroup first: the unique index
 * refuses ours, and the rebuild, idempotent, runs again on what is now there.
 */
function rebuildSerially(em: EntityManager): Promise<unknown> {
  const run = rebuilding.then(async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await rebuildAutogroups(em.fork());
      } catch (error) {
        if (!(error instanceof UniqueConstraintViolationException) || attempt >= 3) throw error;
      }
    }
  });
  rebuilding = run.catch(() => undefined);
  return run;
}

/** Login flags, levels or affiliations changed: autogroups are rebuilt now, and every target syncs soon. */
export async function directoryChanged(ctx: Context, em: EntityManager, trigger: string): Promise<void> {
  await rebuildSerially(em);
  await requestSyncAll(ctx, trigger);
}

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

import type { EntityManager } from '@mikro-orm/core';
import { SyncRun } from '../store/entities/index.ts';
import type { Platform } from '../sync/target.ts';
import { findPage } from './pagination.ts';

/** Recorded sync runs, newest first (run ids are time-ordered), of one platform or target when asked. */
export function listRuns(
  em: EntityManager,
  query: {
    cursor?: string | null | undefined;
    limit: number;
    platform?: Platform | undefined;
    target?: string | undefined;
  },
) {
  const where = {
    ...(query.platform ? { platform: query.platform } : {}),
    ...(query.target ? { target: query.target } : {}),
  };
  return findPage(em, SyncRun, where, query, 'desc');
}

/** A target's last run that was not a dry run, and its last applied one. */
export async function lastRuns(em: EntityManager, target: { platform: Platform; name: string }) {
  const [last, lastApplied] = await Promise.all([
    em.findOne(
      SyncRun,
      { platform: target.platform, target: target.name, dryRun: false },
      { orderBy: { startedAt: 'desc' } },
    ),
    em.findOne(
      SyncRun,
      { platform: target.platform, target: target.name, status: 'applied' },
      { orderBy: { startedAt: 'desc' } },
    ),
  ]);
  return { last, lastApplied };
}

/** One recorded run, or null. */
export const findRun = (em: EntityManager, runId: string) => em.findOne(SyncRun, { id: runId });

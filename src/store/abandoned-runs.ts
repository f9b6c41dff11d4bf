import type { EntityManager } from '@mikro-orm/core';
import { SyncRun } from './entities/index.ts';
import { liveLeases } from './lease.ts';

/** The lease a daemon keeps while any of its runs is in progress: its runs live as long as it does. */
export const presenceLeaseId = (holder: string) => `daemon:${holder}`;

export interface AbandonedRun {
  readonly id: string;
  readonly platform: string;
  readonly target: string;
  readonly holder: string | null;
  readonly reason: string;
}

/**
 * Closes as `abandoned` the runs left `running` by a daemon that is gone: one whose presence lease
 * lapsed (it died, or lost the database, and stopped renewing), or one that kept none (runs written
 * before runs named their daemon). Each close is guarded on `running`, so a run that finishes at the
 * same moment keeps its own outcome.
 */
export async function closeAbandonedRuns(
  em: EntityManager,
  now: Date,
  closedBy: string,
): Promise<AbandonedRun[]> {
  const running = await em.find(
    SyncRun,
    { status: 'running' },
    { fields: ['id', 'platform', 'target', 'holder', 'startedAt'], disableIdentityMap: true },
  );
  if (running.length === 0) return [];
  const holders = [...new Set(running.flatMap((r) => (r.holder ? [r.holder] : [])))];
  const alive = await liveLeases(em, holders.map(presenceLeaseId), now);
  const closed: AbandonedRun[] = [];
  for (const run of running) {
    if (run.holder && alive.has(presenceLeaseId(run.holder))) continue;
    const reason = run.holder
      ? `abandoned: daemon ${run.holder} stopped renewing its lease during the run (it died or lost the database); closed by ${closedBy}`
      : `abandoned: recorded by a daemon that named no lease holder and is gone; closed by ${closedBy}`;
    const updated = await em.nativeUpdate(
      SyncRun,
      { id: run.id, status: 'running' },
      { status: 'abandoned', finishedAt: now, errors: [reason] },
    );
    if (updated > 0)
      closed.push({
        id: run.id,
        platform: run.platform,
        target: run.target,
        holder: run.holder ?? null,
        reason,
      });
  }
  return closed;
}

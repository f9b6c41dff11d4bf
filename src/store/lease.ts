import type { EntityManager } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Lease } from './entities/index.ts';

/**
 * Takes a named lease with one guarded write (free, expired, or already ours), so two daemons on
 * one database never do the same work at once. Works on PostgreSQL and MongoDB alike.
 */
export async function acquireLease(
  em: EntityManager,
  id: string,
  holder: string,
  ttlMs: number,
): Promise<boolean> {
  const now = new Date();
  const until = new Date(now.getTime() + ttlMs);
  const taken = await em.nativeUpdate(
    Lease,
    { id, $or: [{ until: { $lt: now } }, { holder }] },
    { holder, until },
  );
  if (taken > 0) return true;
  try {
    await em.insert(Lease, { id, holder, until });
    return true;
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) return false;
    throw error;
  }
}

export async function releaseLease(em: EntityManager, id: string, holder: string): Promise<void> {
  await em.nativeUpdate(Lease, { id, holder }, { until: new Date(0) });
}

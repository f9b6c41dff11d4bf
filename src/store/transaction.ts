import type { EntityManager } from '@mikro-orm/core';

/**
 * Runs `work` in a transaction where the database has them. MongoDB transactions need a replica
 * set; Roster opens MongoDB with implicit transactions off and runs the work directly there: every
 * multi-step write it does (bootstrap, autogroup rebuild, deletions) is idempotent and re-run by
 * the next start or job, so a crash in between leaves nothing a later run does not finish.
 */
export async function inTransaction<T>(
  em: EntityManager,
  work: (tx: EntityManager) => Promise<T>,
): Promise<T> {
  if (em.config.get('implicitTransactions') === false) {
    const result = await work(em);
    await em.flush();
    return result;
  }
  return em.transactional(work);
}

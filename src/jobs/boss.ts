import { PgBoss, fromPglite } from 'pg-boss';
import type { PGlite } from '@electric-sql/pglite';

export interface BossOptions {
  /** PostgreSQL URL; when empty the embedded PGlite instance is used. */
  readonly connectionString: string;
  readonly pglite: PGlite | null;
  readonly schema: string;
  /**
   * How often pg-boss's supervisor fails jobs whose worker stopped its heartbeat (and refreshes the
   * queue counts); default 60 s, pg-boss's own.
   */
  readonly superviseSeconds?: number;
}

/** pg-boss on a PostgreSQL server, or on the embedded PGlite that also holds the directory. */
export function createBoss(options: BossOptions): PgBoss {
  const supervise = options.superviseSeconds
    ? { superviseIntervalSeconds: options.superviseSeconds, monitorIntervalSeconds: options.superviseSeconds }
    : {};
  if (options.connectionString) {
    return new PgBoss({
      connectionString: options.connectionString,
      schema: options.schema,
      max: 4,
      ...supervise,
    });
  }
  if (!options.pglite) throw new Error('jobs: no PostgreSQL URL and no embedded database to run pg-boss on');
  return new PgBoss({
    db: fromPglite(options.pglite),
    backend: 'pglite',
    schema: options.schema,
    ...supervise,
  });
}

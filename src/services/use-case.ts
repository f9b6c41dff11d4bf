import type { EntityManager } from '@mikro-orm/core';
import { newAuditEntry, type AuditRecord } from '../store/records.ts';
import { inTransaction } from '../store/transaction.ts';
import type { Notifier } from './notifier.ts';

/** Where a use case opens its unit of work: the daemon's Database, or a test's. */
export interface UnitsOfWork {
  fork(): EntityManager;
}

/** Who makes a change, as its audit entries name them. */
export interface ChangeAuthor {
  /** The user acting; null for the daemon itself (jobs, start-up). */
  readonly actorId: string | null;
  /** The control-plane request it came in, when it came in one. */
  readonly requestId: string | null;
}

/**
 * What a use case is called with: where it opens its unit of work, who makes the change (its
 * audit entries name them), and whom it tells what the change causes once it committed. The
 * control plane builds it per request (api/effects.ts useCaseOf), the portal per signed-in
 * member, a job with the daemon as the author.
 */
export interface UseCaseContext {
  readonly db: UnitsOfWork;
  readonly author: ChangeAuthor;
  readonly notifier: Notifier;
}

/** What a use case whose change causes nothing elsewhere (a token, a session) is called with. */
export type AuditedContext = Pick<UseCaseContext, 'db' | 'author'>;

/** An audit entry of a change, its author added by writeChange. */
export type ChangeRecord = Omit<AuditRecord, 'actorId' | 'requestId'>;

/** Queues the audit entry that describes a change, in the change's own transaction. */
export type Audit = (record: ChangeRecord) => void;

/**
 * One use case's writes and the audit entries that describe them, committed together or not at
 * all: `work` changes the directory through `tx` and records what it did with `audit`; both go
 * to the database in one transaction. A crash, a refused write or a failing audit row between
 * the two leaves neither (services/audit.ts promises exactly that). On MongoDB, which Roster runs
 * without transactions, it is one flush at the end, and the use cases are idempotent steps.
 *
 * What the change causes elsewhere (a sync, a rebuild) the use case tells its Notifier after this
 * returns, so nothing acts on a change that might still roll back.
 */
export function writeChange<T>(
  db: UnitsOfWork,
  author: ChangeAuthor,
  work: (tx: EntityManager, audit: Audit) => Promise<T>,
): Promise<T> {
  return inTransaction(db.fork(), (tx) =>
    work(tx, (record) =>
      newAuditEntry(tx, { ...record, actorId: author.actorId, requestId: author.requestId }),
    ),
  );
}

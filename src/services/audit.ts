import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { AuditEntry } from '../store/entities/index.ts';
import { newAuditEntry, type AuditRecord } from '../store/records.ts';
import { RuleViolationError } from '../domain/errors.ts';
import { iso } from './format.ts';

export type { AuditRecord };

/** Queues an audit entry in the unit of work, so it is written with the change it describes. */
export function audit(em: EntityManager, record: AuditRecord): void {
  newAuditEntry(em, record);
}

export interface AuditQuery {
  readonly cursor?: string | null | undefined;
  readonly limit: number;
  readonly actorId?: string | undefined;
  readonly action?: string | undefined;
  readonly subject?: string | undefined;
}

/** Newest first; the cursor is `<ISO time>|<id>` of the last entry, so equal times page correctly. */
export async function listAudit(em: EntityManager, query: AuditQuery) {
  const and: FilterQuery<AuditEntry>[] = [];
  if (query.actorId !== undefined) and.push({ actorId: query.actorId });
  if (query.action !== undefined) and.push({ action: query.action });
  if (query.subject !== undefined) and.push({ subject: query.subject });
  if (query.cursor) {
    // Only what nextCursor gives: a four-digit year keeps the time within what the databases store.
    const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\|(.+)$/.exec(query.cursor);
    const at = new Date(match?.[1] ?? Number.NaN);
    if (!match || Number.isNaN(at.getTime()))
      throw new RuleViolationError('malformed cursor: pass back the nextCursor of the previous page');
    and.push({ $or: [{ at: { $lt: at } }, { at, id: { $lt: match[2]! } }] });
  }
  const rows = await em.find(AuditEntry, and.length ? { $and: and } : {}, {
    orderBy: { at: 'desc', id: 'desc' },
    limit: query.limit + 1,
  });
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  return {
    items: items.map((e) => ({
      id: e.id,
      at: iso(e.at),
      actorId: e.actorId ?? null,
      action: e.action,
      subject: e.subject,
      before: e.before ?? null,
      after: e.after ?? null,
      requestId: e.requestId ?? null,
    })),
    nextCursor: rows.length > query.limit && last ? `${iso(last.at)}|${last.id}` : null,
  };
}

import type { EntityManager } from '@mikro-orm/core';
import { AuditEntry } from '../store/entities/index.ts';
import { newId } from '../store/errors.ts';

export interface AuditRecord {
  readonly actorId: string | null;
  readonly action: string;
  readonly subject: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly requestId?: string | null;
}

/** Queues an audit entry in the unit of work, so it is written with the change it describes. */
export function audit(em: EntityManager, record: AuditRecord): void {
  em.create(AuditEntry, {
    id: newId(),
    at: new Date(),
    actorId: record.actorId,
    action: record.action,
    subject: record.subject,
    before: record.before === undefined ? null : stripSecrets(record.before),
    after: record.after === undefined ? null : stripSecrets(record.after),
    requestId: record.requestId ?? null,
  });
}

function stripSecrets(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (key, v: unknown) => (['refreshToken', 'secretHash', 'secret'].includes(key) ? undefined : v)),
  );
}

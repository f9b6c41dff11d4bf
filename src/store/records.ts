import type { EntityManager } from '@mikro-orm/core';
import { Alliance, AuditEntry, Corporation, User } from './entities/index.ts';
import { newId } from '../crypto.ts';

/**
 * New directory records with the defaults a fresh one has (no links, no tokens, no login flag,
 * no mandatory scopes), so every creator (login, ESI jobs, guests, bootstrap, tests, demo)
 * states only what it knows.
 */
export function newUser(
  em: EntityManager,
  fields: Pick<User, 'characterId' | 'characterName'> &
    Partial<Pick<User, 'id' | 'corporationId' | 'clearanceLevel' | 'authorizedToLogin' | 'discordUserId'>>,
): User {
  return em.create(User, {
    id: newId(),
    corporationId: null,
    clearanceLevel: 0,
    authorizedToLogin: null,
    discordUserId: null,
    esiScopes: [],
    refreshToken: null,
    refreshTokenValid: null,
    lastLoginAt: null,
    ...fields,
  });
}

export function newCorporation(
  em: EntityManager,
  fields: Pick<Corporation, 'corporationId' | 'name' | 'ticker'> &
    Partial<
      Pick<
        Corporation,
        | 'ceoCharacterId'
        | 'allianceId'
        | 'authorizedToLogin'
        | 'mandatoryEsiScopes'
        | 'tracked'
        | 'refreshedAt'
      >
    >,
): Corporation {
  return em.create(Corporation, {
    id: newId(),
    ceoCharacterId: null,
    allianceId: null,
    authorizedToLogin: null,
    mandatoryEsiScopes: [],
    tracked: false,
    refreshedAt: null,
    ...fields,
  });
}

export function newAlliance(
  em: EntityManager,
  fields: Pick<Alliance, 'allianceId' | 'name' | 'ticker'> &
    Partial<
      Pick<
        Alliance,
        'executorCorporationId' | 'authorizedToLogin' | 'mandatoryEsiScopes' | 'tracked' | 'refreshedAt'
      >
    >,
): Alliance {
  return em.create(Alliance, {
    id: newId(),
    executorCorporationId: null,
    authorizedToLogin: null,
    mandatoryEsiScopes: [],
    tracked: false,
    refreshedAt: null,
    ...fields,
  });
}
export interface AuditRecord {
  readonly actorId: string | null;
  readonly action: string;
  readonly subject: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly requestId?: string | null;
}

/** Queues an audit entry in the unit of work, so it is written with the change it describes. */
export function newAuditEntry(em: EntityManager, record: AuditRecord): AuditEntry {
  return em.create(AuditEntry, {
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
    JSON.stringify(value, (key, v: unknown) =>
      ['refreshToken', 'secretHash', 'secret'].includes(key) ? undefined : v,
    ),
  );
}

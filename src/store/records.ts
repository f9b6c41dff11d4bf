import type { EntityManager } from '@mikro-orm/core';
import { Alliance, Corporation, User } from './entities/index.ts';
import { newId } from './errors.ts';

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

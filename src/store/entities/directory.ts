import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { createdAt, eveId, idProperty, loginFlag, scopeList, updatedAt } from './common.ts';

export const User = defineEntity({
  name: 'User',
  tableName: 'users',
  // Nullable and unique: MongoDB needs a partial index, or every user without Discord would clash on null.
  uniques: [
    {
      name: 'users_discord_user_id_unique',
      properties: ['discordUserId'],
      options: { partialFilterExpression: { discordUserId: { $type: 'string' } } },
    },
  ],
  properties: {
    id: idProperty(),
    characterId: eveId().unique(),
    characterName: p.string().length(100),
    corporationId: eveId().nullable().index(),
    /** When the user was first seen in their current corporation (null: not known). */
    corporationSince: p.datetime().nullable().default(null),
    clearanceLevel: p.integer(),
    authorizedToLogin: loginFlag(),
    discordUserId: p.string().length(32).nullable(),
    /** Scopes the character granted at its last login. */
    esiScopes: scopeList(),
    /** EVE SSO refresh token, AES-256-GCM encrypted with `sso.encryptionKey`. */
    refreshToken: p.text().nullable().hidden(),
    refreshTokenValid: p.boolean().nullable(),
    lastLoginAt: p.datetime().nullable(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type User = InferEntity<typeof User>;

export const Corporation = defineEntity({
  name: 'Corporation',
  tableName: 'corporations',
  properties: {
    id: idProperty(),
    corporationId: eveId().unique(),
    name: p.string().length(100),
    ticker: p.string().length(10),
    ceoCharacterId: eveId().nullable(),
    allianceId: eveId().nullable().index(),
    authorizedToLogin: loginFlag(),
    mandatoryEsiScopes: scopeList(),
    /** Kept refreshed from ESI by the jobs. */
    tracked: p.boolean(),
    refreshedAt: p.datetime().nullable(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type Corporation = InferEntity<typeof Corporation>;

export const Alliance = defineEntity({
  name: 'Alliance',
  tableName: 'alliances',
  properties: {
    id: idProperty(),
    allianceId: eveId().unique(),
    name: p.string().length(100),
    ticker: p.string().length(10),
    executorCorporationId: eveId().nullable(),
    authorizedToLogin: loginFlag(),
    mandatoryEsiScopes: scopeList(),
    tracked: p.boolean(),
    refreshedAt: p.datetime().nullable(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type Alliance = InferEntity<typeof Alliance>;

export const Coalition = defineEntity({
  name: 'Coalition',
  tableName: 'coalitions',
  properties: {
    id: idProperty(),
    name: p.string().length(100).unique(),
    ticker: p.string().length(10).unique(),
    description: p.text(),
    allianceIds: p.json<number[]>(),
    /** Corporations that belong directly, not through an alliance. */
    corporationIds: p.json<number[]>(),
    authorizedToLogin: loginFlag(),
    mandatoryEsiScopes: scopeList(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type Coalition = InferEntity<typeof Coalition>;

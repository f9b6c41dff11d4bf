import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { createdAt, idProperty } from './common.ts';

/** A TeamSpeak identity linked to a user, per virtual server (client database ids differ per server). */
export const TeamspeakLink = defineEntity({
  name: 'TeamspeakLink',
  tableName: 'teamspeak_links',
  uniques: [
    { properties: ['target', 'clientDbId'] },
    { properties: ['target', 'uniqueId'] },
    { properties: ['userId', 'target'] },
  ],
  properties: {
    id: idProperty(),
    userId: p.string().length(64),
    target: p.string().length(64),
    clientDbId: p.string().length(20),
    uniqueId: p.string().length(64),
    createdAt: createdAt(),
  },
});
export type TeamspeakLink = InferEntity<typeof TeamspeakLink>;

/**
 * A single-use secret with an expiry: a TeamSpeak nickname challenge, a Discord link code, an
 * OAuth state. Only its SHA-256 is stored.
 */
export const Challenge = defineEntity({
  name: 'Challenge',
  tableName: 'challenges',
  indexes: [{ properties: ['userId', 'kind'] }],
  properties: {
    id: idProperty(),
    kind: p.enum(['teamspeak-nickname', 'discord-code', 'discord-oauth', 'sso-login'] as const),
    secretHash: p.string().length(64).unique(),
    userId: p.string().length(64).nullable(),
    target: p.string().length(64).nullable(),
    /** Extra context (for a TeamSpeak challenge the nickname itself, which is not secret once shown). */
    data: p.json<Record<string, unknown>>(),
    expiresAt: p.datetime(),
    usedAt: p.datetime().nullable(),
    createdAt: createdAt(),
  },
});
export type Challenge = InferEntity<typeof Challenge>;

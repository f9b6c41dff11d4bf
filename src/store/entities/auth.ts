import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { createdAt, idProperty } from './common.ts';

/** A bearer token; only its SHA-256 is stored. */
export const ApiToken = defineEntity({
  name: 'ApiToken',
  tableName: 'api_tokens',
  properties: {
    id: idProperty(),
    secretHash: p.string().length(64).unique(),
    userId: p.string().length(64).index(),
    kind: p.enum(['application', 'user'] as const),
    comment: p.string().length(200),
    expiresAt: p.datetime().nullable(),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
    createdAt: createdAt(),
  },
});
export type ApiToken = InferEntity<typeof ApiToken>;

export const AuditEntry = defineEntity({
  name: 'AuditEntry',
  tableName: 'audit_log',
  indexes: [{ properties: ['at'] }],
  properties: {
    id: idProperty(),
    at: p.datetime(),
    actorId: p.string().length(64).nullable(),
    action: p.string().length(100),
    subject: p.string().length(200),
    before: p.json<unknown>().nullable(),
    after: p.json<unknown>().nullable(),
    requestId: p.string().length(64).nullable(),
  },
});
export type AuditEntry = InferEntity<typeof AuditEntry>;

/**
 * A browser session of the member portal: the cookie holds a random secret, the row only its
 * SHA-256. Ends at `expiresAt`, on log out, on `token revoke <id>`, or when its user may no
 * longer log in.
 */
export const BrowserSession = defineEntity({
  name: 'BrowserSession',
  tableName: 'browser_sessions',
  properties: {
    id: idProperty(),
    secretHash: p.string().length(64).unique(),
    userId: p.string().length(64).index(),
    expiresAt: p.datetime(),
    lastSeenAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
    createdAt: createdAt(),
  },
});
export type BrowserSession = InferEntity<typeof BrowserSession>;

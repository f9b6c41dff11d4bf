/**
 * Browser sessions of the member portal. The cookie carries a random secret; the store keeps
 * its SHA-256 and an expiry. Every state-changing form carries the session's CSRF token, derived
 * from the secret (so it needs no storage and dies with the session) and compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { BrowserSession, User } from '../../store/entities/index.ts';
import { newId } from '../../crypto.ts';
import { credentialRefusal, revokeAllAccess } from '../access.ts';
import { writeChange, type AuditedContext } from '../use-case.ts';
import { hashSecret, prefixedToken } from './secrets.ts';

const PREFIX = 'rss_';

export interface StartedSession {
  readonly id: string;
  /** Goes into the cookie only; the store keeps its hash. */
  readonly secret: string;
  readonly expiresAt: Date;
}

/** Writes a session row (the caller flushes, with its audit entry). */
export function createSession(
  em: EntityManager,
  input: { userId: string; ttlSeconds: number },
  now = new Date(),
): StartedSession {
  const secret = prefixedToken(PREFIX);
  const session = em.create(BrowserSession, {
    id: newId(),
    secretHash: hashSecret(secret),
    userId: input.userId,
    expiresAt: new Date(now.getTime() + input.ttlSeconds * 1000),
    lastSeenAt: null,
    revokedAt: null,
  });
  return { id: session.id, secret, expiresAt: session.expiresAt };
}

/** The session's CSRF token: a one-way function of its secret, so a page never shows the secret. */
export const csrfTokenOf = (secret: string): string =>
  createHash('sha256').update(`roster-csrf:${secret}`).digest('base64url');

export function csrfTokenMatches(secret: string, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented.length > 100) return false;
  const expected = Buffer.from(csrfTokenOf(secret));
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export type SessionCheck =
  { ok: true; session: BrowserSession; user: User; csrfToken: string } | { ok: false; reason: string };

/**
 * Resolves the cookie's secret. Unknown, expired or ended sessions are refused; a user who may
 * no longer log in loses every session and API token here, at once.
 */
export async function resolveSession(
  em: EntityManager,
  secret: string,
  now = new Date(),
): Promise<SessionCheck> {
  if (!secret.startsWith(PREFIX) || secret.length > 200) return { ok: false, reason: 'malformed session' };
  const session = await em.findOne(BrowserSession, { secretHash: hashSecret(secret) });
  if (!session) return { ok: false, reason: 'unknown session' };
  if (session.revokedAt) return { ok: false, reason: 'session ended' };
  if (session.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'session expired' };
  const user = await em.findOne(User, { id: session.userId });
  if (!user) {
    await revokeAllAccess(em, session.userId, now);
    return { ok: false, reason: 'the user no longer exists' };
  }
  const refusal = await credentialRefusal(em, user);
  if (refusal) {
    await revokeAllAccess(em, user.id, now);
    return { ok: false, reason: refusal };
  }
  if (!session.lastSeenAt || now.getTime() - session.lastSeenAt.getTime() > 60_000) {
    await em.nativeUpdate(BrowserSession, { id: session.id }, { lastSeenAt: now });
  }
  return { ok: true, session, user, csrfToken: csrfTokenOf(secret) };
}

/** Log out: ends the session the secret names (idempotent; an unknown secret is no error). */
export async function endSession(
  em: EntityManager,
  secret: string,
  now = new Date(),
): Promise<string | null> {
  const session = await em.findOne(BrowserSession, { secretHash: hashSecret(secret), revokedAt: null });
  if (!session) return null;
  session.revokedAt = now;
  await em.flush();
  return session.id;
}

/**
 * A user logs out: the session the secret names ends and the logout is audited (with the session
 * it ended, null when it had ended already), in one transaction.
 */
export function logout(
  app: AuditedContext,
  session: { readonly userId: string; readonly secret: string },
): Promise<string | null> {
  return writeChange(app.db, app.author, async (tx, audit) => {
    const ended = await endSession(tx, session.secret);
    audit({ action: 'auth.logout', subject: `user:${session.userId}`, after: { sessionId: ended } });
    return ended;
  });
}

export async function listSessions(em: EntityManager, userId: string, now = new Date()) {
  const rows = await em.find(
    BrowserSession,
    { userId, revokedAt: null, expiresAt: { $gt: now } },
    { orderBy: { createdAt: 'desc' } },
  );
  return rows.map((s) => ({
    id: s.id,
    createdAt: s.createdAt,
    expiresAt: s.expiresAt,
    lastSeenAt: s.lastSeenAt ?? null,
  }));
}

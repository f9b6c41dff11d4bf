import type { EntityManager } from '@mikro-orm/core';
import { ApiToken, BrowserSession, User } from '../../store/entities/index.ts';
import { NotFoundError } from '../../domain/errors.ts';
import { newId } from '../../crypto.ts';
import { credentialRefusal, revokeAllAccess } from '../access.ts';
import { writeChange, type AuditedContext } from '../use-case.ts';
import { hashSecret, prefixedToken } from './secrets.ts';

const PREFIX = 'rst_';

export interface CreatedToken {
  readonly id: string;
  /** Shown once; only its hash is stored. */
  readonly secret: string;
  readonly expiresAt: Date | null;
}

export interface NewToken {
  readonly userId: string;
  readonly kind: 'application' | 'user';
  readonly comment: string;
  readonly ttlSeconds: number | null;
}

/** Writes an API token in the caller's unit of work (unaudited: issueToken audits it). */
export async function createToken(em: EntityManager, input: NewToken): Promise<CreatedToken> {
  if (!(await em.findOne(User, { id: input.userId }, { fields: ['id'] })))
    throw new NotFoundError('user', input.userId);
  const secret = prefixedToken(PREFIX);
  const expiresAt = input.ttlSeconds === null ? null : new Date(Date.now() + input.ttlSeconds * 1000);
  const token = em.create(ApiToken, {
    id: newId(),
    secretHash: hashSecret(secret),
    userId: input.userId,
    kind: input.kind,
    comment: input.comment,
    expiresAt,
    lastUsedAt: null,
    revokedAt: null,
  });
  await em.flush();
  return { id: token.id, secret, expiresAt };
}

export type TokenCheck = { ok: true; token: ApiToken; user: User } | { ok: false; reason: string };

/** Resolves a presented secret; expired, revoked or unknown tokens are refused with a reason. */
export async function verifyToken(em: EntityManager, secret: string, now = new Date()): Promise<TokenCheck> {
  if (!secret.startsWith(PREFIX) || secret.length > 200) return { ok: false, reason: 'malformed token' };
  const token = await em.findOne(ApiToken, { secretHash: hashSecret(secret) });
  if (!token) return { ok: false, reason: 'unknown token' };
  if (token.revokedAt) return { ok: false, reason: 'token revoked' };
  if (token.expiresAt && token.expiresAt.getTime() <= now.getTime())
    return { ok: false, reason: 'token expired' };
  const user = await em.findOne(User, { id: token.userId });
  if (!user) {
    await revokeAllAccess(em, token.userId, now);
    return { ok: false, reason: 'token owner no longer exists' };
  }
  // A user who may no longer log in loses every token and session here, at once.
  const refusal = await credentialRefusal(em, user);
  if (refusal) {
    await revokeAllAccess(em, user.id, now);
    return { ok: false, reason: refusal };
  }
  // Last use is advisory: one write a minute at most per token.
  if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > 60_000) {
    await em.nativeUpdate(ApiToken, { id: token.id }, { lastUsedAt: now });
  }
  return { ok: true, token, user };
}

export async function revokeToken(em: EntityManager, id: string): Promise<ApiToken> {
  const token = await em.findOne(ApiToken, { id });
  if (!token) throw new NotFoundError('token', id);
  if (!token.revokedAt) {
    token.revokedAt = new Date();
    await em.flush();
  }
  return token;
}

/**
 * `token revoke <id>`: an API token or a browser session of the actor (any one's for a
 * superuser). Null when there is none the actor may see: ids are not to be probed.
 */
export async function revokeCredential(
  em: EntityManager,
  actor: { userId: string; clearanceLevel: number },
  id: string,
  now = new Date(),
): Promise<CredentialView | null> {
  const mine = (userId: string) => userId === actor.userId || actor.clearanceLevel >= 10;
  const token = await em.findOne(ApiToken, { id });
  if (token) return mine(token.userId) ? describeToken(await revokeToken(em, id)) : null;
  const session = await em.findOne(BrowserSession, { id });
  if (!session || !mine(session.userId)) return null;
  session.revokedAt ??= now;
  await em.flush();
  return describeSession(session);
}

/**
 * Issues an API token to a user, audited as `token.create` in the same transaction; `via` names a
 * way in other than the control plane or the portal (the CLI's root token).
 */
export function issueToken(app: AuditedContext, input: NewToken, via?: string): Promise<CreatedToken> {
  return writeChange(app.db, app.author, async (tx, audit) => {
    const created = await createToken(tx, input);
    audit({
      action: 'token.create',
      subject: `token:${created.id}`,
      after: { kind: input.kind, comment: input.comment, ...(via === undefined ? {} : { via }) },
    });
    return created;
  });
}

/**
 * Revokes an API token or a browser session the actor may see (revokeCredential), audited as
 * `token.revoke` in the same transaction; null (and nothing audited) when there is none.
 */
export function withdrawCredential(
  app: AuditedContext,
  actor: { userId: string; clearanceLevel: number },
  id: string,
): Promise<CredentialView | null> {
  return writeChange(app.db, app.author, async (tx, audit) => {
    const revoked = await revokeCredential(tx, actor, id);
    if (revoked) audit({ action: 'token.revoke', subject: `token:${id}` });
    return revoked;
  });
}

/** One's API tokens and live browser sessions, newest first. */
export async function listCredentials(em: EntityManager, userId: string, now = new Date()) {
  const [tokens, sessions] = await Promise.all([
    em.find(ApiToken, { userId }, { orderBy: { createdAt: 'desc' } }),
    em.find(
      BrowserSession,
      { userId, revokedAt: null, expiresAt: { $gt: now } },
      { orderBy: { createdAt: 'desc' } },
    ),
  ]);
  return [...tokens.map(describeToken), ...sessions.map(describeSession)].sort(
    (a, b) => b.createdAt.getTime() - a.createdAt.getTime(),
  );
}

export type CredentialView = ReturnType<typeof describeToken> | ReturnType<typeof describeSession>;

function describeSession(s: BrowserSession) {
  return {
    id: s.id,
    userId: s.userId,
    kind: 'session' as const,
    comment: 'browser session',
    expiresAt: s.expiresAt as Date | null,
    lastUsedAt: s.lastSeenAt ?? null,
    revokedAt: s.revokedAt ?? null,
    createdAt: s.createdAt,
  };
}

export function describeToken(t: ApiToken) {
  return {
    id: t.id,
    userId: t.userId,
    kind: t.kind,
    comment: t.comment,
    expiresAt: t.expiresAt ?? null,
    lastUsedAt: t.lastUsedAt ?? null,
    revokedAt: t.revokedAt ?? null,
    createdAt: t.createdAt,
  };
}

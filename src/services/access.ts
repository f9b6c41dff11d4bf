/**
 * Who may still hold credentials (API tokens, browser sessions): the login cascade, re-read at
 * every use. A user whose login is denied, or who got in through EVE SSO and no longer may log
 * in, loses every session and token at once. Users who never logged in through EVE SSO and are
 * merely not authorized (service accounts an admin made a token for) keep theirs, as before.
 */
import type { EntityManager } from '@mikro-orm/core';
import { loginDecision, type LoginDecision } from '../domain/index.ts';
import { affiliatedFacts, directoryAround } from './login-facts.ts';
import { ApiToken, BrowserSession, type User } from '../store/entities/index.ts';
import { toUserFacts } from '../store/directory.ts';

/** The login cascade for a stored user, from the store alone (no ESI call). */
export async function loginDecisionOf(em: EntityManager, user: User): Promise<LoginDecision> {
  const facts = toUserFacts(user);
  const dir = await directoryAround(em, facts, await affiliatedFacts(em, null, facts.corporationId));
  return loginDecision(facts, dir);
}

/** The decision in words, for people ("denied by corporation ABC"). */
export function describeLoginDecision(decision: LoginDecision): string {
  switch (decision.reason) {
    case 'root':
      return 'allowed (root is always allowed)';
    case 'allowed':
      return 'allowed';
    case 'denied':
      return `denied by ${decision.by ?? 'the directory'}`;
    case 'not-authorized':
      return 'not authorized: none of your character, corporation, alliance, coalitions or groups is allowed to log in';
  }
}

/** Why the user may hold no credential now, or null when they may. */
export async function credentialRefusal(em: EntityManager, user: User): Promise<string | null> {
  const decision = await loginDecisionOf(em, user);
  if (decision.allowed) return null;
  if (decision.reason === 'not-authorized' && !user.lastLoginAt) return null;
  return `login no longer allowed: ${describeLoginDecision(decision)}`;
}

/** Ends every browser session and revokes every API token of the user, in one flush each. */
export async function revokeAllAccess(
  em: EntityManager,
  userId: string,
  now = new Date(),
): Promise<{ tokens: number; sessions: number }> {
  const tokens = await em.nativeUpdate(ApiToken, { userId, revokedAt: null }, { revokedAt: now });
  const sessions = await em.nativeUpdate(BrowserSession, { userId, revokedAt: null }, { revokedAt: now });
  return { tokens, sessions };
}

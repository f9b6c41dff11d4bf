/**
 * Single-use challenges: a secret handed to one person (an EVE SSO login state, a Discord OAuth
 * state or link code, a TeamSpeak link nickname), stored as its hash with an expiry, and spent
 * exactly once. Every flow issues and claims them here; what a refusal means to a person (a login
 * error, a LinkError) is the flow's to say.
 */
import type { EntityManager } from '@mikro-orm/core';
import { newId } from '../../crypto.ts';
import { Challenge } from '../../store/entities/index.ts';
import { hashSecret } from './secrets.ts';

export type ChallengeKind = Challenge['kind'];

/**
 * The stored hash, namespaced by kind so equal strings of two flows never meet. Login states are
 * hashed bare, as they were before the link flows brought the namespace: pending states survive
 * an upgrade.
 */
export const challengeHash = (kind: ChallengeKind, secret: string): string =>
  hashSecret(kind === 'sso-login' ? secret : `${kind}:${secret}`);

/** Writes a challenge for `secret` (its hash only), in the caller's unit of work (it flushes). */
export function issueChallenge(
  em: EntityManager,
  input: {
    kind: ChallengeKind;
    secret: string;
    userId: string | null;
    target: string | null;
    data?: Record<string, unknown>;
    ttlSeconds: number;
  },
  now: Date,
): Challenge {
  return em.create(Challenge, {
    id: newId(),
    kind: input.kind,
    secretHash: challengeHash(input.kind, input.secret),
    userId: input.userId,
    target: input.target,
    data: { ...input.data },
    expiresAt: new Date(now.getTime() + input.ttlSeconds * 1000),
    usedAt: null,
  });
}

/** Whether a challenge can still be claimed; used before expired, as "used" is the truer answer. */
export function challengeState(challenge: Challenge, now: Date): 'usable' | 'used' | 'expired' {
  if (challenge.usedAt) return 'used';
  if (challenge.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'usable';
}

export const findChallenge = (em: EntityManager, kind: ChallengeKind, secret: string) =>
  em.findOne(Challenge, { kind, secretHash: challengeHash(kind, secret) });

export type Claim =
  | { readonly ok: true; readonly challenge: Challenge }
  | { readonly ok: false; readonly reason: 'unknown' }
  | { readonly ok: false; readonly reason: 'used' | 'expired'; readonly challenge: Challenge };

/**
 * Claims the challenge of this kind and secret: unknown, used or expired ones are refused with the
 * reason; a usable one is spent by one guarded write, so of two concurrent claims exactly one wins.
 */
export async function claimChallenge(
  em: EntityManager,
  kind: ChallengeKind,
  secret: string,
  now: Date,
): Promise<Claim> {
  const challenge = await findChallenge(em, kind, secret);
  if (!challenge) return { ok: false, reason: 'unknown' };
  const state = challengeState(challenge, now);
  if (state !== 'usable') return { ok: false, reason: state, challenge };
  if ((await spendChallenges(em, [challenge.id], now)) !== 1) return { ok: false, reason: 'used', challenge };
  return { ok: true, challenge };
}

/**
 * Marks challenges used with one conditional write (`usedAt` still null), on PostgreSQL and MongoDB
 * alike; returns how many this call spent (fewer than asked: another claim won some).
 */
export const spendChallenges = (em: EntityManager, ids: readonly string[], now: Date): Promise<number> =>
  em.nativeUpdate(Challenge, { id: { $in: [...ids] }, usedAt: null }, { usedAt: now });

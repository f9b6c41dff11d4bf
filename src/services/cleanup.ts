import type { EntityManager } from '@mikro-orm/core';
import { ApiToken, Challenge } from '../store/entities/index.ts';

/** Removes expired challenges (link codes, states) and tokens expired or revoked over 30 days ago. */
export async function cleanupExpired(em: EntityManager, now = new Date()) {
  const monthAgo = new Date(now.getTime() - 30 * 86_400_000);
  const challenges = await em.nativeDelete(Challenge, { expiresAt: { $lt: now } });
  const tokens = await em.nativeDelete(ApiToken, {
    $or: [{ expiresAt: { $lt: monthAgo } }, { revokedAt: { $lt: monthAgo } }],
  });
  return { challenges, tokens };
}

import type { EntityManager } from '@mikro-orm/core';
import { GroupMember } from '../store/entities/index.ts';
import { newAuditEntry } from '../store/records.ts';

/**
 * Removes the memberships whose end date has passed (a trial, an event), inside the rebuild's
 * transaction: one audit entry per group, written with the removal. Until then they already
 * counted for nothing (loadDirectory and the sync read only current ones).
 */
export async function removeExpiredMemberships(tx: EntityManager, now: Date): Promise<string[]> {
  const expired = await tx.find(
    GroupMember,
    { expiresAt: { $ne: null, $lte: now } },
    { orderBy: { groupId: 'asc', userId: 'asc' } },
  );
  if (expired.length === 0) return [];
  const byGroup = new Map<string, GroupMember[]>();
  for (const m of expired) byGroup.set(m.groupId, [...(byGroup.get(m.groupId) ?? []), m]);
  for (const [groupId, rows] of byGroup)
    newAuditEntry(tx, {
      actorId: null,
      action: 'membership.expire',
      subject: `group:${groupId}`,
      before: {
        members: rows.map((m) => ({ userId: m.userId, expiresAt: m.expiresAt?.toISOString() ?? null })),
      },
    });
  await tx.nativeDelete(GroupMember, { id: { $in: expired.map((m) => m.id) } });
  await tx.flush();
  return [...new Set(expired.map((m) => m.userId))];
}

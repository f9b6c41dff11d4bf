import type { EntityManager } from '@mikro-orm/core';
import {
  loginDecision,
  planRemovals,
  type Directory,
  type Losing,
  type RemovalPlan,
} from '../domain/index.ts';
import { Group, GroupMember, GroupNotice } from '../store/entities/index.ts';
import { newId } from '../crypto.ts';
import { newAuditEntry } from '../store/records.ts';

const HOUR_MS = 3_600_000;

/**
 * Decides the removals of one rebuild with the groups' graces (domain/removal-notice.ts):
 * members failing a rule-built group's rule (`ruleLosing`), memberships whose end date comes
 * within the grace, and members of a group with a grace who may no longer log in. Writes the
 * notices to give (audited, delivered by sync/notices.ts) and withdraws those that no longer
 * apply, in the rebuild's transaction. Returns the plan; the caller applies the removals.
 */
export async function decideRemovals(
  tx: EntityManager,
  dir: Directory,
  groupsOfUser: ReadonlyMap<string, ReadonlySet<string>>,
  ruleLosing: readonly Losing[],
  now: Date,
): Promise<RemovalPlan> {
  const graced = await tx.find(
    Group,
    { removalGraceHours: { $ne: null } },
    { fields: ['id', 'name', 'removalGraceHours'] },
  );
  const grace = new Map(graced.map((g) => [g.id, (g.removalGraceHours ?? 0) * HOUR_MS]));
  const notices = await tx.find(GroupNotice, {});
  if (grace.size === 0 && notices.length === 0) return planRemovals(ruleLosing, () => null, [], now);

  const longest = Math.max(0, ...grace.values());
  const ending = grace.size
    ? await tx.find(
        GroupMember,
        {
          groupId: { $in: [...grace.keys()] },
          expiresAt: { $ne: null, $lte: new Date(now.getTime() + longest) },
        },
        { fields: ['groupId', 'userId', 'expiresAt'] },
      )
    : [];
  const expiry = ending
    .filter((m) => m.expiresAt!.getTime() <= now.getTime() + grace.get(m.groupId)!)
    .map((m): Losing => ({
      groupId: m.groupId,
      userId: m.userId,
      reason: 'expiry',
      detail: `the membership ends ${m.expiresAt!.toISOString()}`,
      dueAt: m.expiresAt!,
    }));
  const login: Losing[] = [];
  for (const [userId, mine] of groupsOfUser) {
    const user = dir.users.get(userId);
    if (!user) continue;
    const graceGroups = [...mine].filter((g) => grace.has(g));
    if (!graceGroups.length) continue;
    const decision = loginDecision(user, dir);
    if (decision.allowed) continue;
    const detail =
      decision.by === 'user'
        ? 'login denied on their own account'
        : decision.by
          ? `login denied by ${decision.by}`
          : 'login not authorized';
    for (const groupId of graceGroups) login.push({ groupId, userId, reason: 'login', detail, dueAt: now });
  }
  const plan = planRemovals(
    [...ruleLosing, ...expiry, ...login],
    (groupId) => grace.get(groupId) ?? null,
    notices,
    now,
  );

  const nameOf = new Map(graced.map((g) => [g.id, g.name]));
  for (const n of plan.notify) {
    tx.create(GroupNotice, { id: newId(), ...n, deliveredTo: [] });
    newAuditEntry(tx, {
      actorId: null,
      action: 'membership.notice',
      subject: `group:${n.groupId}`,
      after: {
        userId: n.userId,
        group: nameOf.get(n.groupId),
        reason: n.reason,
        detail: n.detail,
        removeAt: n.removeAt.toISOString(),
      },
    });
  }
  if (plan.clear.length) {
    const ids = notices.filter((n) => plan.clear.includes(n)).map((n) => n.id);
    await tx.nativeDelete(GroupNotice, { id: { $in: ids } });
  }
  // A notice whose removal is done (a rule or an end date) goes with the membership.
  const done = plan.remove.filter((r) => r.reason !== 'login');
  const doneIds = notices
    .filter((n) => done.some((r) => r.groupId === n.groupId && r.userId === n.userId))
    .map((n) => n.id);
  if (doneIds.length) await tx.nativeDelete(GroupNotice, { id: { $in: doneIds } });
  await tx.flush();
  return plan;
}

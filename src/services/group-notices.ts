import type { EntityManager } from '@mikro-orm/core';
import { GroupNotice } from '../store/entities/index.ts';
import { RuleViolationError } from '../domain/errors.ts';
import { iso } from './format.ts';
import { loadAccess, requireOverGroup, type Caller } from './group-access.ts';
import { writeChange, type UseCaseContext } from './use-case.ts';

/** The longest grace a group may give: a year. */
export const MAX_GRACE_HOURS = 8760;

/**
 * The owner (or an admin) sets a group's grace: members about to lose it (its rule, an end date,
 * a lost login) get a notice and keep it this many hours; null: no notice, removal at once.
 */
export function setRemovalGrace(
  app: UseCaseContext,
  caller: Caller,
  groupId: string,
  graceHours: number | null,
) {
  return writeChange(app.db, app.author, async (em, audit) => {
    const access = await loadAccess(em, groupId);
    await requireOverGroup(em, caller, 'group.configure', access);
    const { group } = access;
    if (group.kind === 'auto')
      throw new RuleViolationError(`"${group.name}" is an autogroup: it gives no notice before removal`);
    if (
      graceHours !== null &&
      (!Number.isInteger(graceHours) || graceHours < 1 || graceHours > MAX_GRACE_HOURS)
    )
      throw new RuleViolationError(`graceHours must be a whole number from 1 to ${MAX_GRACE_HOURS}, or null`);
    const before = group.removalGraceHours ?? null;
    group.removalGraceHours = graceHours;
    audit({
      action: 'group.setRemovalGrace',
      subject: `group:${groupId}`,
      before: { removalGraceHours: before },
      after: { removalGraceHours: graceHours },
    });
    return { id: groupId, name: group.name, removalGraceHours: graceHours };
  });
}

/** The notices one has been given: which group one is about to lose, why, and until when. */
export async function myNotices(em: EntityManager, caller: Caller) {
  const rows = await em.find(GroupNotice, { userId: caller.userId }, { orderBy: { removeAt: 'asc' } });
  return rows.map((n) => ({
    groupId: n.groupId,
    reason: n.reason,
    detail: n.detail,
    removeAt: iso(n.removeAt),
  }));
}

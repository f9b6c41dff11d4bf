import type { EntityManager } from '@mikro-orm/core';
import { ConflictError, NotFoundError } from '../domain/errors.ts';
import { AuditEntry, GroupMapping } from '../store/entities/index.ts';
import type { PlatformTarget } from '../sync/target.ts';
import { writeChange, type UseCaseContext } from './use-case.ts';

interface EndedMapping {
  readonly platform: string;
  readonly target: string;
  readonly platformGroupId: string | null;
}

/**
 * Deletes, on an operator's request only, a platform group Roster managed until the rebuild
 * removed its autogroup (the source corporation, alliance or coalition is gone) and left the group
 * in place. Roster never deletes a group it did not manage: the group must be one a removed
 * autogroup's audit entry names, and no mapping may manage it now. Returns the autogroup it served;
 * the deletion is audited as `platform.deleteGroup`.
 *
 * The platform call is not held inside a database transaction (it is a network call, and no
 * rollback undoes it): the audit entry is written right after the platform confirms.
 */
export async function deleteRetiredGroup(
  app: UseCaseContext,
  target: PlatformTarget,
  platformGroupId: string,
): Promise<{ readonly autogroup: string }> {
  const { autogroup } = await retiredGroup(app.db.fork(), target, platformGroupId);
  await target.deleteGroup(platformGroupId);
  await writeChange(app.db, app.author, async (_tx, audit) =>
    audit({
      action: 'platform.deleteGroup',
      subject: `${target.platform}:${target.name}:${platformGroupId}`,
      after: { deleted: true, autogroup },
    }),
  );
  return { autogroup };
}

/** The removed autogroup a platform group served, when Roster may delete it; refused otherwise. */
async function retiredGroup(
  em: EntityManager,
  target: PlatformTarget,
  platformGroupId: string,
): Promise<{ readonly autogroup: string }> {
  const where = `${target.platform} target "${target.name}"`;
  const managed = await em.findOne(GroupMapping, {
    platform: target.platform,
    target: target.name,
    platformGroupId,
  });
  if (managed)
    throw new ConflictError(
      `group ${platformGroupId} on ${where} is mapped (mapping ${managed.id}): Roster manages it; unmap it first`,
    );
  const removals = await em.find(AuditEntry, { action: 'autogroup.delete' }, { orderBy: { at: 'desc' } });
  const served = removals.find((entry) => {
    const before = entry.before as { endedMappings?: readonly EndedMapping[] } | null;
    return (before?.endedMappings ?? []).some(
      (m) =>
        m.platform === target.platform && m.target === target.name && m.platformGroupId === platformGroupId,
    );
  });
  if (!served)
    // No removed autogroup was mapped to it: not Roster's to delete.
    throw new NotFoundError('retired platform group', `${platformGroupId} on ${where}`);
  return { autogroup: (served.before as { name?: string }).name ?? served.subject };
}

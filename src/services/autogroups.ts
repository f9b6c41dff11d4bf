import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { deriveAutogroups, type AutogroupSpec } from '../domain/index.ts';
import { loadDirectory } from '../store/directory.ts';
import { Group, GroupMapping, GroupMember } from '../store/entities/index.ts';
import { newId } from '../crypto.ts';
import { removeExpiredMemberships } from './expiry.ts';
import { newAuditEntry } from '../store/records.ts';
import { decideRemovals } from './removals.ts';
import { applyRuleGroups, planRuleGroups, type RuleGroupRebuild } from './rule-group-rebuild.ts';
import { inTransaction } from '../store/transaction.ts';
import { rebuildScope, type DirectoryScope } from '../sync/scope.ts';
import type { Logger } from '../logger.ts';

/** An autogroup whose source (corporation, alliance, coalition) is gone, removed by a rebuild. */
export interface DeletedAutogroup {
  readonly name: string;
  readonly key: string;
  /** Memberships removed with it. */
  readonly members: number;
  /** Its mappings, ended: Roster no longer manages these platform groups, and left them in place. */
  readonly endedMappings: readonly { platform: string; target: string; platformGroupId: string | null }[];
}

export interface AutogroupRebuild {
  readonly created: number;
  readonly renamed: number;
  readonly added: number;
  readonly removed: number;
  readonly deleted: readonly DeletedAutogroup[];
  /** Rule-built groups, rebuilt after the autogroups (their rules may read autogroups). */
  readonly ruleGroups: RuleGroupRebuild;
  /** Memberships removed because their end date passed. */
  readonly expired: number;
  /** Users who joined or left an autogroup or a rule-built group, or whose membership expired. */
  readonly changedUserIds: readonly string[];
  /** Notices given by this rebuild, and removals waiting out a notice (services/removals.ts). */
  readonly notices: { readonly given: number; readonly held: number };
}

/** What the audit entry of a removed autogroup says about the platform groups it was mapped to. */
export const LEFT_IN_PLACE =
  'the platform groups it was mapped to are left in place, no longer managed: delete them on the platform, or have Roster delete one with rosterctl sync deleteRetiredGroup --platform P --target T --platformGroupId ID';

/**
 * The one rebuild of derived membership: autogroups, then rule-built groups, then memberships
 * past their end date go; where a group gives a grace, a removal waits out a notice instead. Each is rebuilt from the directory (not patched): members who left are
 * removed.
 * The autogroups are found by their stable key, so a ticker change renames the group in place.
 * An autogroup whose source is gone is removed with its members and mappings (audited), so that a
 * re-created coalition or a new corporation with the same ticker starts afresh under the name.
 */
export async function rebuildAutogroups(em: EntityManager): Promise<AutogroupRebuild> {
  // The daemon rebuilds in one job at a time (JobControl.requestRebuild), but a rebuild at
  // start-up or in another daemon's can still create the same autogroup first: the unique index
  // refuses ours, and the rebuild, idempotent, runs again on what is now there.
  for (let attempt = 1; ; attempt++) {
    try {
      return await rebuildOnce(em.fork());
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException) || attempt >= 3) throw error;
    }
  }
}

/**
 * The rebuild the autogroups.rebuild job (and start-up) runs: rebuilds, logs every autogroup
 * whose source is gone (its platform groups stay in place, unmanaged), and answers what the
 * targets must sync: the users it moved, or null for everything (it renamed or removed a group).
 */
export async function rebuildDerivedMembership(
  em: EntityManager,
  logger: Pick<Logger, 'warn'>,
): Promise<DirectoryScope | null> {
  const rebuilt = await rebuildAutogroups(em);
  for (const gone of rebuilt.deleted) {
    logger.warn(
      { autogroup: gone.name, key: gone.key, endedMappings: gone.endedMappings },
      `autogroup ${gone.name} removed (its source is gone) and its mappings ended; ${LEFT_IN_PLACE}`,
    );
  }
  return rebuildScope(rebuilt);
}

/**
 * The rebuild inside the caller's transaction: an import that maps autogroups writes them, their
 * members and its mappings all or nothing. A concurrent rebuild elsewhere can make it fail on the
 * unique index; the import is then run again.
 */
export function rebuildAutogroupsWithin(tx: EntityManager): Promise<AutogroupRebuild> {
  return rebuildOnce(tx);
}

/**
 * A built-in name a manual group already holds (it predates the built-in: manual groups may no
 * longer take these names) goes to the built-in as `name (built-in)`; the manual group keeps it.
 */
async function withFreeNames(tx: EntityManager, specs: AutogroupSpec[]): Promise<AutogroupSpec[]> {
  const builtins = specs.filter((s) => s.key.startsWith('builtin:')).map((s) => s.name);
  const taken = new Set(
    (await tx.find(Group, { kind: 'manual', name: { $in: builtins } }, { fields: ['name'] })).map(
      (g) => g.name,
    ),
  );
  return taken.size
    ? specs.map((s) =>
        taken.has(s.name) && s.key.startsWith('builtin:') ? { ...s, name: `${s.name} (built-in)` } : s,
      )
    : specs;
}

async function rebuildOnce(em: EntityManager): Promise<AutogroupRebuild> {
  return inTransaction(em, async (tx) => {
    const dir = await loadDirectory(tx);
    const wanted = await withFreeNames(tx, deriveAutogroups(dir));
    const wantedKeys = new Set(wanted.map((s) => s.key));
    const all = await tx.find(Group, { kind: 'auto' });
    const deleted = await deleteOrphans(
      tx,
      all.filter((g) => !wantedKeys.has(g.autoKey ?? '')),
    );
    const existing = all.filter((g) => wantedKeys.has(g.autoKey ?? ''));
    const byKey = new Map(existing.map((g) => [g.autoKey ?? '', g]));
    // Renames first (a name may move from one group to another), then creations.
    const renames: { group: Group; name: string; description: string }[] = [];
    for (const spec of wanted) {
      const group = byKey.get(spec.key);
      if (group && (group.name !== spec.name || group.description !== spec.description)) {
        renames.push({ group, name: spec.name, description: spec.description });
      }
    }
    const moving = renames.filter((r) => r.group.name !== r.name);
    if (moving.length > 1) {
      // Through names no group has (autogroup names contain ':' and never start with '~'), so
      // that names swapped between groups never meet the unique index halfway.
      for (const r of moving) r.group.name = `~${r.name}`;
      await tx.flush();
    }
    for (const r of renames) {
      r.group.name = r.name;
      r.group.description = r.description;
    }
    await tx.flush();
    const renamed = moving.length;

    let created = 0;
    for (const spec of wanted) {
      if (byKey.has(spec.key)) continue;
      byKey.set(
        spec.key,
        tx.create(Group, {
          id: newId(),
          name: spec.name,
          description: spec.description,
          ownerId: null,
          kind: 'auto',
          autoKey: spec.key,
          authorizedToLogin: null,
        }),
      );
      created++;
    }
    await tx.flush();

    const autoIds = [...byKey.values()].map((g) => g.id);
    const current = await tx.find(
      GroupMember,
      { groupId: { $in: autoIds } },
      { fields: ['id', 'groupId', 'userId'] },
    );
    const currentPairs = new Map(current.map((m) => [`${m.groupId}/${m.userId}`, m]));
    const wantedPairs = new Set<string>();
    const changed = new Set<string>();
    let added = 0;
    for (const spec of wanted) {
      const groupId = byKey.get(spec.key)!.id;
      for (const userId of spec.memberIds) {
        const pair = `${groupId}/${userId}`;
        wantedPairs.add(pair);
        if (!currentPairs.has(pair)) {
          tx.create(GroupMember, { id: newId(), groupId, userId });
          changed.add(userId);
          added++;
        }
      }
    }
    const staleRows = current.filter((m) => !wantedPairs.has(`${m.groupId}/${m.userId}`));
    for (const m of staleRows) changed.add(m.userId);
    const stale = staleRows.map((m) => m.id);
    if (stale.length) await tx.nativeDelete(GroupMember, { id: { $in: stale } });
    await tx.flush();

    // Rules read the autogroups as just rebuilt, and the other memberships as loaded.
    const now = new Date();
    const autoGroupIds = new Set([...all.map((g) => g.id), ...autoIds]);
    const groupsOfUser = new Map<string, Set<string>>();
    for (const [userId, mine] of dir.groupsOfUser)
      groupsOfUser.set(userId, new Set([...mine].filter((g) => !autoGroupIds.has(g))));
    for (const pair of wantedPairs) {
      const [groupId, userId] = pair.split('/') as [string, string];
      let mine = groupsOfUser.get(userId);
      if (!mine) groupsOfUser.set(userId, (mine = new Set()));
      mine.add(groupId);
    }
    const rules = await planRuleGroups(tx, dir, groupsOfUser, now);
    // Removals wait out a group's grace, with a notice; then they happen here.
    const removals = await decideRemovals(tx, dir, rules.build.groupsOfUser, rules.losing, now);
    const held = new Set(removals.hold.map((h) => `${h.groupId}/${h.userId}`));
    const ruleGroups = await applyRuleGroups(tx, rules, held);
    const expired = await removeExpiredMemberships(tx, now);
    for (const userId of [...ruleGroups.changedUserIds, ...expired]) changed.add(userId);
    return {
      created,
      renamed,
      added,
      removed: stale.length,
      deleted,
      ruleGroups,
      expired: expired.length,
      changedUserIds: [...changed],
      notices: { given: removals.notify.length, held: removals.hold.length },
    };
  });
}

/** Removes autogroups whose source is gone, with their members and mappings, each audited. */
async function deleteOrphans(tx: EntityManager, orphans: Group[]): Promise<DeletedAutogroup[]> {
  if (orphans.length === 0) return [];
  const ids = orphans.map((g) => g.id);
  const mappings = await tx.find(GroupMapping, { groupId: { $in: ids } }, { orderBy: { id: 'asc' } });
  const members = await tx.find(GroupMember, { groupId: { $in: ids } }, { fields: ['id', 'groupId'] });
  const deleted = orphans.map((group) => ({
    id: group.id,
    removal: {
      name: group.name,
      key: group.autoKey ?? '',
      members: members.filter((m) => m.groupId === group.id).length,
      endedMappings: mappings
        .filter((m) => m.groupId === group.id)
        .map((m) => ({ platform: m.platform, target: m.target, platformGroupId: m.platformGroupId ?? null })),
    },
  }));
  await tx.nativeDelete(GroupMember, { groupId: { $in: ids } });
  await tx.nativeDelete(GroupMapping, { groupId: { $in: ids } });
  await tx.nativeDelete(Group, { id: { $in: ids } });
  for (const { id, removal } of deleted) {
    newAuditEntry(tx, {
      actorId: null,
      action: 'autogroup.delete',
      subject: `group:${id}`,
      before: removal,
      after: { reason: `its source (${removal.key}) is gone`, platformGroups: LEFT_IN_PLACE },
    });
  }
  await tx.flush();
  return deleted.map((d) => d.removal);
}

import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { autogroupKeyId, deriveAutogroups } from '../domain/index.ts';
import { loadDirectory } from './directory.ts';
import { Group, GroupMember } from './entities/index.ts';
import { newId } from './errors.ts';
import { inTransaction } from './transaction.ts';

export interface AutogroupRebuild {
  readonly created: number;
  readonly renamed: number;
  readonly added: number;
  readonly removed: number;
  /** Autogroups whose source (corporation, alliance, coalition) is gone; they are emptied, not deleted, so mappings survive. */
  readonly orphaned: number;
}

/**
 * Rebuilds every autogroup from the directory (not patched): members who left are removed.
 * The autogroups are found by their stable key, so a ticker change renames the group in place.
 * Names stay unique: an orphan whose name a living autogroup needs becomes `name (id)`.
 */
export function rebuildAutogroups(em: EntityManager): Promise<AutogroupRebuild> {
  const run = rebuilding.then(async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await rebuildOnce(em.fork());
      } catch (error) {
        if (!(error instanceof UniqueConstraintViolationException) || attempt >= 3) throw error;
      }
    }
  });
  rebuilding = run.catch(() => undefined);
  return run;
}

/**
 * Rebuilds run one at a time in this process (the API, the jobs and logins all ask for them). A
 * rebuild in another daemon can still create the same autogroup first: the unique index refuses
 * ours, and the rebuild, idempotent, runs again on what is now there.
 */
let rebuilding: Promise<unknown> = Promise.resolve();

async function rebuildOnce(em: EntityManager): Promise<AutogroupRebuild> {
  return inTransaction(em, async (tx) => {
    const dir = await loadDirectory(tx);
    const wanted = deriveAutogroups(dir);
    const existing = await tx.find(Group, { kind: 'auto' });
    const byKey = new Map(existing.map((g) => [g.autoKey ?? '', g]));
    const wantedKeys = new Set(wanted.map((s) => s.key));
    const wantedNames = new Set(wanted.map((s) => s.name));
    // Renames first (a name may move from one group to another), then creations.
    const renames: { group: Group; name: string; description: string }[] = [];
    for (const spec of wanted) {
      const group = byKey.get(spec.key);
      if (group && (group.name !== spec.name || group.description !== spec.description)) {
        renames.push({ group, name: spec.name, description: spec.description });
      }
    }
    for (const group of existing) {
      // An orphan keeps its name (and its mappings) unless a living autogroup needs the name.
      const base = group.name.replace(/^~/, '');
      if (wantedKeys.has(group.autoKey ?? '') || (!wantedNames.has(base) && base === group.name)) continue;
      const name = wantedNames.has(base) ? `${base} (${autogroupKeyId(group.autoKey ?? group.id)})` : base;
      renames.push({ group, name, description: group.description });
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
    let added = 0;
    for (const spec of wanted) {
      const groupId = byKey.get(spec.key)!.id;
      for (const userId of spec.memberIds) {
        const pair = `${groupId}/${userId}`;
        wantedPairs.add(pair);
        if (!currentPairs.has(pair)) {
          tx.create(GroupMember, { id: newId(), groupId, userId });
          added++;
        }
      }
    }
    const stale = current.filter((m) => !wantedPairs.has(`${m.groupId}/${m.userId}`)).map((m) => m.id);
    if (stale.length) await tx.nativeDelete(GroupMember, { id: { $in: stale } });
    await tx.flush();
    const orphaned = existing.filter((g) => !wantedKeys.has(g.autoKey ?? '')).length;
    return { created, renamed, added, removed: stale.length, orphaned };
  });
}

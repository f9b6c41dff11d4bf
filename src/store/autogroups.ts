import type { EntityManager } from '@mikro-orm/core';
import { deriveAutogroups } from '../domain/index.ts';
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
 */
export async function rebuildAutogroups(em: EntityManager): Promise<AutogroupRebuild> {
  return inTransaction(em, async (tx) => {
    const dir = await loadDirectory(tx);
    const wanted = deriveAutogroups(dir);
    const existing = await tx.find(Group, { kind: 'auto' });
    const byKey = new Map(existing.map((g) => [g.autoKey ?? '', g]));
    let created = 0;
    let renamed = 0;
    for (const spec of wanted) {
      const group = byKey.get(spec.key);
      if (!group) {
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
      } else if (group.name !== spec.name) {
        group.name = spec.name;
        group.description = spec.description;
        renamed++;
      }
    }
    await tx.flush();

    const wantedKeys = new Set(wanted.map((s) => s.key));
    const autoIds = [...byKey.values()].map((g) => g.id);
    const current = await tx.find(GroupMember, { groupId: { $in: autoIds } }, { fields: ['id', 'groupId', 'userId'] });
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

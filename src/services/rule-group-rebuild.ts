import type { EntityManager } from '@mikro-orm/core';
import { buildRuleGroups, parseRule, type Directory, type RuleGroupSpec } from '../domain/index.ts';
import { Group, GroupMember } from '../store/entities/index.ts';
import { newId } from '../store/errors.ts';
import { newAuditEntry } from '../store/records.ts';

export interface RuleGroupRebuild {
  readonly added: number;
  readonly removed: number;
  /** Users who joined or left a rule-built group. */
  readonly changedUserIds: readonly string[];
  /** Rule-built groups left as they were: their rules read each other in a circle. */
  readonly cyclic: readonly string[];
}

/** An audit entry names at most this many users; the counts are always whole. */
const AUDIT_IDS = 1000;

/**
 * The rule-built groups' stored rules. A group whose rule is missing or does not parse (saving
 * refuses both) is listed in `ruleless`: it has no members.
 */
export async function ruleGroupSpecs(
  em: EntityManager,
): Promise<{ specs: RuleGroupSpec[]; ruleless: string[] }> {
  const groups = await em.find(Group, { kind: 'rule' }, { orderBy: { id: 'asc' } });
  const specs: RuleGroupSpec[] = [];
  const ruleless: string[] = [];
  for (const g of groups) {
    const parsed = g.rule == null ? null : parseRule(g.rule);
    if (parsed?.ok) specs.push({ id: g.id, rule: parsed.rule });
    else ruleless.push(g.id);
  }
  return { specs, ruleless };
}

/**
 * Rebuilds every rule-built group to the users its rule matches (level-triggered, removals too),
 * inside the autogroup rebuild's transaction. `groupsOfUser` holds the memberships rules read:
 * manual ones (past end dates excluded) and the autogroups as just rebuilt. One audit entry per
 * group whose members changed, written with the change.
 */
export async function rebuildRuleGroups(
  tx: EntityManager,
  dir: Directory,
  groupsOfUser: ReadonlyMap<string, ReadonlySet<string>>,
  now: Date,
): Promise<RuleGroupRebuild> {
  const { specs, ruleless } = await ruleGroupSpecs(tx);
  if (specs.length + ruleless.length === 0) return { added: 0, removed: 0, changedUserIds: [], cyclic: [] };
  const build = buildRuleGroups(specs, dir, groupsOfUser, now);
  const members = new Map([...build.members, ...ruleless.map((id) => [id, new Set<string>()] as const)]);
  const current = await tx.find(
    GroupMember,
    { groupId: { $in: [...members.keys()] } },
    { fields: ['id', 'groupId', 'userId'] },
  );
  let added = 0;
  const stale: string[] = [];
  const changed = new Set<string>();
  for (const [groupId, wanted] of members) {
    const mine = current.filter((m) => m.groupId === groupId);
    const have = new Set(mine.map((m) => m.userId));
    const adds = [...wanted].filter((u) => !have.has(u)).sort();
    const removes = mine.filter((m) => !wanted.has(m.userId));
    for (const userId of adds) tx.create(GroupMember, { id: newId(), groupId, userId });
    stale.push(...removes.map((m) => m.id));
    for (const userId of [...adds, ...removes.map((m) => m.userId)]) changed.add(userId);
    added += adds.length;
    if (adds.length || removes.length) {
      const removedIds = removes.map((m) => m.userId).sort();
      newAuditEntry(tx, {
        actorId: null,
        action: 'ruleGroup.rebuild',
        subject: `group:${groupId}`,
        before: { removed: removedIds.length, removedUserIds: removedIds.slice(0, AUDIT_IDS) },
        after: { added: adds.length, addedUserIds: adds.slice(0, AUDIT_IDS), members: wanted.size },
      });
    }
  }
  if (stale.length) await tx.nativeDelete(GroupMember, { id: { $in: stale } });
  await tx.flush();
  return { added, removed: stale.length, changedUserIds: [...changed], cyclic: build.cyclic };
}

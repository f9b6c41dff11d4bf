import type { EntityManager } from '@mikro-orm/core';
import {
  buildRuleGroups,
  failingClause,
  parseRule,
  type Directory,
  type Losing,
  type RuleGroupBuild,
  type RuleGroupSpec,
} from '../domain/index.ts';
import { Group, GroupMember } from '../store/entities/index.ts';
import { newId } from '../crypto.ts';
import { plainRows } from '../store/plain-rows.ts';
import { newAuditEntry } from '../store/records.ts';

export interface RuleGroupRebuild {
  readonly added: number;
  readonly removed: number;
  /** Users who joined or left a rule-built group. */
  readonly changedUserIds: readonly string[];
  /** Members who fail the rule but keep the group until their notice runs out. */
  readonly held: number;
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

/** What the rebuild wants of the rule-built groups, before removals are decided. */
export interface RuleGroupPlan {
  readonly build: RuleGroupBuild;
  readonly members: ReadonlyMap<string, ReadonlySet<string>>;
  readonly current: readonly Pick<GroupMember, 'id' | 'groupId' | 'userId'>[];
  /** Current members the rule no longer matches, with the clause they fail. */
  readonly losing: readonly Losing[];
}

/**
 * The members every rule-built group should have: the users its rule matches, reading
 * `groupsOfUser` (manual memberships, past end dates excluded, and the autogroups as just rebuilt).
 */
export async function planRuleGroups(
  tx: EntityManager,
  dir: Directory,
  groupsOfUser: ReadonlyMap<string, ReadonlySet<string>>,
  now: Date,
): Promise<RuleGroupPlan> {
  const { specs, ruleless } = await ruleGroupSpecs(tx);
  const build = buildRuleGroups(specs, dir, groupsOfUser, now);
  const members = new Map([...build.members, ...ruleless.map((id) => [id, new Set<string>()] as const)]);
  // Plain rows: every rule-built group's members, read on every rebuild, need no entities.
  const current = members.size
    ? await plainRows(tx, GroupMember, { groupId: { $in: [...members.keys()] } }, ['id', 'groupId', 'userId'])
    : [];
  const facts = { dir, groupsOfUser: build.groupsOfUser, now };
  const losing = current.flatMap((m): Losing[] => {
    if (members.get(m.groupId)!.has(m.userId)) return [];
    const spec = specs.find((s) => s.id === m.groupId);
    const user = dir.users.get(m.userId);
    const failed = spec && user ? failingClause(spec.rule, user, facts) : null;
    const detail = failed ? `${failed.reason} (clause ${failed.path})` : 'the group has no valid rule';
    return [{ groupId: m.groupId, userId: m.userId, reason: 'rule', detail, dueAt: now }];
  });
  return { build, members, current, losing };
}

/**
 * Rebuilds every rule-built group to its planned members (level-triggered, removals too), except
 * the members `held` (`groupId/userId`) through a notice. One audit entry per group whose members
 * changed, written with the change.
 */
export async function applyRuleGroups(
  tx: EntityManager,
  plan: RuleGroupPlan,
  held: ReadonlySet<string>,
): Promise<RuleGroupRebuild> {
  let added = 0;
  let heldCount = 0;
  const stale: string[] = [];
  const changed = new Set<string>();
  const byGroup = new Map<string, (typeof plan.current)[number][]>();
  for (const m of plan.current) {
    const list = byGroup.get(m.groupId);
    if (list) list.push(m);
    else byGroup.set(m.groupId, [m]);
  }
  for (const [groupId, wanted] of plan.members) {
    const mine = byGroup.get(groupId) ?? [];
    const have = new Set(mine.map((m) => m.userId));
    const adds = [...wanted].filter((u) => !have.has(u)).sort();
    const failing = mine.filter((m) => !wanted.has(m.userId));
    const removes = failing.filter((m) => !held.has(`${groupId}/${m.userId}`));
    heldCount += failing.length - removes.length;
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
  return {
    added,
    removed: stale.length,
    held: heldCount,
    changedUserIds: [...changed],
    cyclic: plan.build.cyclic,
  };
}

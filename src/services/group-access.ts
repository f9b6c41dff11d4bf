import type { EntityManager } from '@mikro-orm/core';
import {
  coalitionsReadBy,
  groupsReadBy,
  leads,
  may,
  parseRule,
  type GroupLeadership,
  type GroupRule,
  type Actor,
  type JoinPolicy,
  type Scope,
} from '../domain/index.ts';
import { affiliationFor } from '../store/affiliation.ts';
import { Coalition, Group, GroupLeader, GroupMember } from '../store/entities/index.ts';
import {
  ForbiddenError,
  InvalidReferenceError,
  NotFoundError,
  RuleViolationError,
} from '../domain/errors.ts';

/**
 * Who calls a use case of the groups people run: the user, their level and affiliation, which
 * its rights are checked against (who the audit entry names is the UseCaseContext's author).
 */
export type Caller = Actor;

/**
 * The front a member's own change came through: it names the sync trigger (`membership.join`
 * from the control plane, `portal.join` from the portal), so a sync run says where it came from.
 */
export type Front = 'membership' | 'portal';

/** A group with what decides who gets in and who runs it. */
export interface GroupAccess {
  readonly group: Group;
  readonly joinPolicy: JoinPolicy;
  readonly eligibility: GroupRule | null;
  readonly leadership: GroupLeadership;
}

/** A stored rule is one that parseRule accepted when saved; anything else reads as none. */
export function storedRule(value: unknown): GroupRule | null {
  if (value === null || value === undefined) return null;
  const parsed = parseRule(value);
  return parsed.ok ? parsed.rule : null;
}

export async function loadAccess(em: EntityManager, groupId: string): Promise<GroupAccess> {
  const group = await em.findOne(Group, { id: groupId });
  if (!group) throw new NotFoundError('group', groupId);
  return (await accessOf(em, [group]))[0]!;
}

/** The access facts of many groups in one query for their leaders. */
export async function accessOf(em: EntityManager, groups: readonly Group[]): Promise<GroupAccess[]> {
  const ids = groups.map((g) => g.id);
  const leaders = ids.length ? await em.find(GroupLeader, { groupId: { $in: ids } }) : [];
  return groups.map((group) => {
    const mine = leaders.filter((l) => l.groupId === group.id);
    return {
      group,
      joinPolicy: group.joinPolicy ?? 'closed',
      eligibility: storedRule(group.eligibility),
      leadership: {
        ownerId: group.ownerId ?? null,
        leaderUserIds: mine.filter((l) => l.leaderKind === 'user').map((l) => l.leaderId),
        leaderGroupIds: mine.filter((l) => l.leaderKind === 'group').map((l) => l.leaderId),
      },
    };
  });
}

/** The groups of one user that lead any of the given groups (a query only when some group leads). */
async function leaderGroupsOf(
  em: EntityManager,
  userId: string,
  access: readonly GroupAccess[],
): Promise<Map<string, Set<string>>> {
  const leaderGroupIds = [...new Set(access.flatMap((a) => a.leadership.leaderGroupIds))];
  if (!leaderGroupIds.length) return new Map();
  const rows = await em.find(
    GroupMember,
    { userId, groupId: { $in: leaderGroupIds }, ...activeMembership(new Date()) },
    { fields: ['groupId'] },
  );
  return new Map([[userId, new Set(rows.map((r) => r.groupId))]]);
}

/** Whether the user leads each group (owner, leader user, or member of a leader group). */
export async function leadsEach(
  em: EntityManager,
  userId: string,
  access: readonly GroupAccess[],
): Promise<boolean[]> {
  const groupsOfUser = await leaderGroupsOf(em, userId, access);
  return access.map((a) => leads(userId, a.leadership, groupsOfUser));
}

/** Throws FORBIDDEN unless the caller holds the scope over the group (leader scopes: leading it). */
export async function requireOverGroup(
  em: EntityManager,
  caller: Caller,
  scope: Scope,
  access: GroupAccess,
): Promise<void> {
  const [isLeader] = await leadsEach(em, caller.userId, [access]);
  const target = { ownerId: access.leadership.ownerId, leads: isLeader };
  if (!may(caller, scope, target))
    throw new ForbiddenError(
      `clearance ${caller.clearanceLevel} does not grant "${scope}" over group "${access.group.name}" (its owner, leaders and admins hold it)`,
    );
}

/** Memberships count until their end date. */
export const activeMembership = (now: Date) => ({
  $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }],
});

/** Ids of the groups the user leads: owned, led by name, or led through a group they are in. */
export async function groupsLedBy(em: EntityManager, userId: string): Promise<string[]> {
  const mine = await em.find(
    GroupMember,
    { userId, ...activeMembership(new Date()) },
    { fields: ['groupId'] },
  );
  const [owned, led] = await Promise.all([
    em.find(Group, { ownerId: userId }, { fields: ['id'] }),
    em.find(
      GroupLeader,
      {
        $or: [
          { leaderKind: 'user', leaderId: userId },
          { leaderKind: 'group', leaderId: { $in: mine.map((m) => m.groupId) } },
        ],
      },
      { fields: ['groupId'] },
    ),
  ]);
  return [...new Set([...owned.map((g) => g.id), ...led.map((l) => l.groupId)])];
}

/**
 * Validates a rule given as JSON (eligibility or a rule-built group's rule) and what it refers
 * to: coalitions and groups must exist. The error names the clause (`all[1].clearance`).
 */
export async function validateRule(em: EntityManager, input: unknown, what: string): Promise<GroupRule> {
  const parsed = parseRule(input);
  if (!parsed.ok) throw new RuleViolationError(`${what}: clause ${parsed.path}: ${parsed.problem}`);
  const coalitionIds = [...coalitionsReadBy(parsed.rule)];
  const groupIds = [...groupsReadBy(parsed.rule)];
  const [coalitions, groups] = await Promise.all([
    coalitionIds.length ? em.find(Coalition, { id: { $in: coalitionIds } }, { fields: ['id'] }) : [],
    groupIds.length ? em.find(Group, { id: { $in: groupIds } }, { fields: ['id'] }) : [],
  ]);
  const missingCoalitions = coalitionIds.filter((id) => !coalitions.some((c) => c.id === id));
  if (missingCoalitions.length)
    throw new InvalidReferenceError(`${what}: unknown coalition ${missingCoalitions.join(', ')}`);
  const missingGroups = groupIds.filter((id) => !groups.some((g) => g.id === id));
  if (missingGroups.length)
    throw new InvalidReferenceError(`${what}: unknown group ${missingGroups.join(', ')}`);
  return parsed.rule;
}

/** The caller of a use case from a signed-in user (the portal), with their affiliation. */
export async function callerOf(
  em: EntityManager,
  user: { id: string; characterId: number; clearanceLevel: number; corporationId?: number | null },
): Promise<Caller> {
  return {
    userId: user.id,
    characterId: user.characterId,
    clearanceLevel: user.clearanceLevel,
    affiliation: await affiliationFor(em, { userId: user.id, corporationId: user.corporationId ?? null }),
  };
}

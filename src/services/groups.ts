import type { EntityManager } from '@mikro-orm/core';
import { manualGroupNameProblem } from '../domain/index.ts';
import {
  Group,
  GroupLeader,
  GroupMapping,
  GroupMember,
  GroupRequest,
  User,
} from '../store/entities/index.ts';
import { ConflictError, InvalidReferenceError, NotFoundError, RuleViolationError } from '../domain/errors.ts';
import { newId } from '../crypto.ts';
import { asConflict } from '../store/errors.ts';
import type { Platform } from '../sync/target.ts';
import { inTransaction } from '../store/transaction.ts';
import { iso } from './format.ts';
import { findPage } from './pagination.ts';

export interface MappingInput {
  readonly platform: Platform;
  readonly target: string;
  readonly displayName?: string | null | undefined;
  readonly mode?: 'managed' | 'grantOnly' | undefined;
}

export async function getGroup(em: EntityManager, id: string): Promise<Group> {
  const group = await em.findOne(Group, { id });
  if (!group) throw new NotFoundError('group', id);
  return group;
}

async function getManualGroup(em: EntityManager, id: string): Promise<Group> {
  const group = await getGroup(em, id);
  if (group.kind === 'auto')
    throw new RuleViolationError(
      `"${group.name}" is an autogroup: it is derived from the directory and cannot be edited`,
    );
  return group;
}

/** A group whose members people edit: not an autogroup, not a rule-built group. */
async function getGroupWithEditableMembers(em: EntityManager, id: string): Promise<Group> {
  const group = await getManualGroup(em, id);
  if (group.kind === 'rule')
    throw new RuleViolationError(
      `"${group.name}" is built by its rule: change the rule (ruleGroup.setRule), not its members`,
    );
  return group;
}

/** Groups as the control plane shows them, with member counts and mappings in two queries for any number. */
export async function describeGroups(em: EntityManager, groups: readonly Group[]) {
  const ids = groups.map((g) => g.id);
  const [counts, mappings] = ids.length
    ? await Promise.all([
        em.countBy(GroupMember, 'groupId', { where: { groupId: { $in: ids } } }),
        em.find(GroupMapping, { groupId: { $in: ids } }, { orderBy: { platform: 'asc', target: 'asc' } }),
      ])
    : [{}, []];
  return groups.map((group) => ({
    id: group.id,
    name: group.name,
    description: group.description,
    kind: group.kind,
    ownerId: group.ownerId ?? null,
    authorizedToLogin: group.authorizedToLogin ?? null,
    memberCount: counts[group.id] ?? 0,
    mappings: mappings
      .filter((m) => m.groupId === group.id)
      .map((m) => ({
        platform: m.platform,
        target: m.target,
        platformGroupId: m.platformGroupId ?? null,
        displayName: m.displayName ?? null,
        mode: m.mode,
      })),
    createdAt: iso(group.createdAt),
    updatedAt: iso(group.updatedAt),
  }));
}

export async function describeGroup(em: EntityManager, group: Group) {
  return (await describeGroups(em, [group]))[0]!;
}

export async function createGroup(
  em: EntityManager,
  input: { name: string; description: string; ownerId: string; authorizedToLogin: boolean | null },
): Promise<Group> {
  const name = input.name.trim();
  const problem = manualGroupNameProblem(name);
  if (problem) throw new RuleViolationError(problem);
  if (await em.findOne(Group, { name }, { fields: ['id'] }))
    throw new ConflictError(`a group named "${name}" already exists`);
  const group = em.create(Group, {
    id: newId(),
    name,
    description: input.description,
    ownerId: input.ownerId,
    kind: 'manual',
    autoKey: null,
    authorizedToLogin: input.authorizedToLogin,
  });
  try {
    await em.flush();
  } catch (error) {
    throw asConflict(error, `a group named "${name}" already exists`);
  }
  return group;
}

export async function updateGroup(
  em: EntityManager,
  id: string,
  changes: {
    name?: string | undefined;
    description?: string | undefined;
    ownerId?: string | null | undefined;
    authorizedToLogin?: boolean | null | undefined;
  },
): Promise<{ before: Group; after: Group }> {
  const group = await getManualGroup(em, id);
  const before = { ...group };
  if (changes.name !== undefined) {
    const name = changes.name.trim();
    const problem = manualGroupNameProblem(name);
    if (problem) throw new RuleViolationError(problem);
    const clash = await em.findOne(Group, { name }, { fields: ['id'] });
    if (clash && clash.id !== id) throw new ConflictError(`a group named "${name}" already exists`);
    group.name = name;
  }
  if (changes.description !== undefined) group.description = changes.description;
  if (changes.ownerId !== undefined) {
    if (changes.ownerId !== null && !(await em.findOne(User, { id: changes.ownerId }, { fields: ['id'] }))) {
      throw new InvalidReferenceError(`owner ${changes.ownerId} is not a known user`);
    }
    group.ownerId = changes.ownerId;
  }
  if (changes.authorizedToLogin !== undefined) group.authorizedToLogin = changes.authorizedToLogin;
  try {
    await em.flush();
  } catch (error) {
    throw asConflict(error, `a group named "${group.name}" already exists`);
  }
  return { before: before as Group, after: group };
}

/** Adds the users to a manual group; returns how many were new. Unknown users change nothing. */
export async function addMembers(
  em: EntityManager,
  groupId: string,
  userIds: readonly string[],
): Promise<number> {
  await getGroupWithEditableMembers(em, groupId);
  const unique = [...new Set(userIds)];
  const known = await em.find(User, { id: { $in: unique } }, { fields: ['id'] });
  const missing = unique.filter((id) => !known.some((u) => u.id === id));
  if (missing.length)
    throw new InvalidReferenceError(`unknown user${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  const existing = await em.find(GroupMember, { groupId, userId: { $in: unique } }, { fields: ['userId'] });
  const fresh = unique.filter((id) => !existing.some((m) => m.userId === id));
  for (const userId of fresh) em.create(GroupMember, { id: newId(), groupId, userId });
  await em.flush();
  return fresh.length;
}

export async function removeMembers(
  em: EntityManager,
  groupId: string,
  userIds: readonly string[],
): Promise<number> {
  await getGroupWithEditableMembers(em, groupId);
  return em.nativeDelete(GroupMember, { groupId, userId: { $in: [...new Set(userIds)] } });
}

export async function deleteGroup(em: EntityManager, id: string): Promise<Group> {
  const group = await getManualGroup(em, id);
  await inTransaction(em, async (tx) => {
    await tx.nativeDelete(GroupMember, { groupId: id });
    await tx.nativeDelete(GroupMapping, { groupId: id });
    await tx.nativeDelete(GroupLeader, { $or: [{ groupId: id }, { leaderKind: 'group', leaderId: id }] });
    await tx.nativeDelete(GroupRequest, { groupId: id });
    await tx.nativeDelete(Group, { id });
  });
  return group;
}

/** Maps a group (manual or auto) onto a target, or updates its mapping; the platform id is kept. */
export async function setMapping(
  em: EntityManager,
  groupId: string,
  input: MappingInput,
  knownTargets: readonly string[],
) {
  await getGroup(em, groupId);
  if (!knownTargets.includes(input.target)) {
    throw new InvalidReferenceError(
      `no ${input.platform} target named "${input.target}" in the configuration (known: ${knownTargets.join(', ') || 'none'})`,
    );
  }
  let mapping = await em.findOne(GroupMapping, { groupId, platform: input.platform, target: input.target });
  if (!mapping) {
    mapping = em.create(GroupMapping, {
      id: newId(),
      groupId,
      platform: input.platform,
      target: input.target,
      platformGroupId: null,
      displayName: input.displayName ?? null,
      mode: input.mode ?? 'managed',
    });
  } else {
    if (input.displayName !== undefined) mapping.displayName = input.displayName;
    if (input.mode !== undefined) mapping.mode = input.mode;
  }
  await em.flush();
  return mapping;
}

/** Stops managing the platform group; the group itself stays on the platform untouched. */
export async function removeMapping(
  em: EntityManager,
  groupId: string,
  platform: Platform,
  target: string,
): Promise<boolean> {
  return (await em.nativeDelete(GroupMapping, { groupId, platform, target })) > 0;
}

/** A page of groups (of one kind when asked), described. */
export async function listGroups(
  em: EntityManager,
  query: { cursor?: string | null | undefined; limit: number; kind?: Group['kind'] | undefined },
) {
  const page = await findPage(em, Group, query.kind ? { kind: query.kind } : {}, query);
  return { items: await describeGroups(em, page.items), nextCursor: page.nextCursor };
}

/** A group described with its members (id, character), by character name. */
export async function groupWithMembers(em: EntityManager, id: string) {
  const group = await getGroup(em, id);
  const memberIds = (await em.find(GroupMember, { groupId: group.id }, { fields: ['userId'] })).map(
    (m) => m.userId,
  );
  const members = await em.find(
    User,
    { id: { $in: memberIds } },
    { fields: ['id', 'characterId', 'characterName'], orderBy: { characterName: 'asc' } },
  );
  return {
    ...(await describeGroup(em, group)),
    members: members.map((u) => ({ id: u.id, characterId: u.characterId, characterName: u.characterName })),
  };
}

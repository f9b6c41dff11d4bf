import type { EntityManager } from '@mikro-orm/core';
import { manualGroupNameProblem, type Actor, type Scope } from '../domain/index.ts';
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
import { iso } from './format.ts';
import { findPage } from './pagination.ts';
import { requireMay } from './rights.ts';
import { writeChange, type UseCaseContext } from './use-case.ts';
import { membershipScope } from '../sync/scope.ts';

/**
 * The control plane's group use cases: each one checks the actor's rights over the group as its
 * transaction reads it, validates, writes the change and its audit entry in that one transaction
 * (services/use-case.ts), and returns what the caller needs to tell the rest of the daemon (a
 * sync) once it has committed. The `insert*` and `upsert*` writers under them write
 * in the caller's unit of work without an audit entry: tests, the demo seed and imports build
 * directories with them.
 */

const subject = (groupId: string) => `group:${groupId}`;

/** Checks the actor's owner scope over the group as the change's transaction reads it. */
async function requireOverGroup(em: EntityManager, actor: Actor, scope: Scope, groupId: string) {
  const group = await getGroup(em, groupId);
  requireMay(actor, scope, { ownerId: group.ownerId ?? null });
}

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

export interface NewGroup {
  readonly name: string;
  readonly description: string;
  readonly ownerId: string;
  readonly authorizedToLogin: boolean | null;
}

/** Writes a new manual group in the caller's unit of work (unaudited: createGroup audits it). */
export async function insertGroup(em: EntityManager, input: NewGroup): Promise<Group> {
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

export interface GroupChanges {
  readonly name?: string | undefined;
  readonly description?: string | undefined;
  readonly ownerId?: string | null | undefined;
  readonly authorizedToLogin?: boolean | null | undefined;
}

async function applyGroupChanges(
  em: EntityManager,
  id: string,
  changes: GroupChanges,
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

/**
 * Adds the users to a manual group in the caller's unit of work (unaudited: addMembers audits
 * it); returns how many were new. Unknown users change nothing.
 */
export async function insertMembers(
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

/**
 * Maps a group (manual or auto) onto a target, or updates its mapping, in the caller's unit of
 * work (unaudited: mapGroup audits it); the platform id is kept.
 */
export async function upsertMapping(
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

/**
 * Creates a manual group the actor owns, audited as `group.create`. Setting its login flag takes
 * the right to set a corporation's.
 */
export async function createGroup(
  app: UseCaseContext,
  actor: Actor,
  input: Omit<NewGroup, 'ownerId'>,
): Promise<Group> {
  if (input.authorizedToLogin !== null) requireMay(actor, 'corporation.update');
  return writeChange(app.db, app.author, async (tx, audit) => {
    const group = await insertGroup(tx, { ...input, ownerId: actor.userId });
    audit({ action: 'group.create', subject: subject(group.id), after: group });
    return group;
  });
}

/**
 * Edits a manual group (its owner or an admin), audited with what it was and is. Changing its
 * login flag takes the right to change a corporation's. A new name or login flag reaches the
 * platforms.
 */
export async function updateGroup(
  app: UseCaseContext,
  actor: Actor,
  groupId: string,
  changes: GroupChanges,
): Promise<{ before: Group; after: Group }> {
  const updated = await writeChange(app.db, app.author, async (tx, audit) => {
    await requireOverGroup(tx, actor, 'group.update', groupId);
    if (changes.authorizedToLogin !== undefined) requireMay(actor, 'corporation.update');
    const updated = await applyGroupChanges(tx, groupId, changes);
    audit({
      action: 'group.update',
      subject: subject(groupId),
      before: updated.before,
      after: updated.after,
    });
    return updated;
  });
  if (changes.name !== undefined || changes.authorizedToLogin !== undefined)
    await app.notifier.membershipChanged('group.update');
  return updated;
}

/**
 * Maps a group onto one of `knownTargets` (or updates its mapping), audited as `group.map`; that
 * target then syncs.
 */
export async function mapGroup(
  app: UseCaseContext,
  groupId: string,
  input: MappingInput,
  knownTargets: readonly string[],
): Promise<GroupMapping> {
  const mapping = await writeChange(app.db, app.author, async (tx, audit) => {
    const mapping = await upsertMapping(tx, groupId, input, knownTargets);
    audit({ action: 'group.map', subject: subject(groupId), after: mapping });
    return mapping;
  });
  await app.notifier.targetChanged(input.platform, input.target, 'group.map');
  return mapping;
}

/**
 * Stops managing the group's platform group on a target; the platform group itself stays there
 * untouched. Returns whether there was a mapping.
 */
export function unmapGroup(
  app: UseCaseContext,
  input: { readonly id: string; readonly platform: Platform; readonly target: string },
): Promise<boolean> {
  return writeChange(app.db, app.author, async (tx, audit) => {
    await getGroup(tx, input.id);
    const { id: groupId, platform, target } = input;
    const removed = (await tx.nativeDelete(GroupMapping, { groupId, platform, target })) > 0;
    audit({ action: 'group.unmap', subject: subject(groupId), before: { id: groupId, platform, target } });
    return removed;
  });
}

/**
 * Adds users to a group whose members people edit; returns how many were new. The targets then
 * sync just those users in that group.
 */
export async function addMembers(
  app: UseCaseContext,
  actor: Actor,
  groupId: string,
  userIds: readonly string[],
): Promise<number> {
  const added = await writeChange(app.db, app.author, async (tx, audit) => {
    await requireOverGroup(tx, actor, 'group.members', groupId);
    const added = await insertMembers(tx, groupId, userIds);
    audit({ action: 'group.addMembers', subject: subject(groupId), after: { userIds } });
    return added;
  });
  if (added) await app.notifier.membershipChanged('group.addMembers', membershipScope(groupId, userIds));
  return added;
}

/**
 * Removes users from a group whose members people edit; returns how many were members. The
 * targets then sync just those users in that group.
 */
export async function removeMembers(
  app: UseCaseContext,
  actor: Actor,
  groupId: string,
  userIds: readonly string[],
): Promise<number> {
  const removed = await writeChange(app.db, app.author, async (tx, audit) => {
    await requireOverGroup(tx, actor, 'group.members', groupId);
    await getGroupWithEditableMembers(tx, groupId);
    const removed = await tx.nativeDelete(GroupMember, { groupId, userId: { $in: [...new Set(userIds)] } });
    audit({ action: 'group.removeMembers', subject: subject(groupId), before: { userIds } });
    return removed;
  });
  if (removed) await app.notifier.membershipChanged('group.removeMembers', membershipScope(groupId, userIds));
  return removed;
}

/** Deletes a manual group with its members, mappings, leaders and requests; audited with what it was. */
export function deleteGroup(app: UseCaseContext, actor: Actor, groupId: string): Promise<Group> {
  return writeChange(app.db, app.author, async (tx, audit) => {
    await requireOverGroup(tx, actor, 'group.delete', groupId);
    const group = await getManualGroup(tx, groupId);
    await tx.nativeDelete(GroupMember, { groupId });
    await tx.nativeDelete(GroupMapping, { groupId });
    await tx.nativeDelete(GroupLeader, { $or: [{ groupId }, { leaderKind: 'group', leaderId: groupId }] });
    await tx.nativeDelete(GroupRequest, { groupId });
    await tx.nativeDelete(Group, { id: groupId });
    audit({ action: 'group.delete', subject: subject(groupId), before: group });
    return group;
  });
}

import type { EntityManager } from '@mikro-orm/core';
import { failingClause, joinRefusal, ADMIN } from '../domain/index.ts';
import { loadDirectory } from '../store/directory.ts';
import { Group, GroupMember, GroupRequest, User } from '../store/entities/index.ts';
import { ConflictError, NotFoundError, RuleViolationError } from '../domain/errors.ts';
import { newId } from '../crypto.ts';
import {
  activeMembership,
  groupsLedBy,
  loadAccess,
  requireOverGroup,
  storedRule,
  type Caller,
  type Front,
} from './group-access.ts';
import { iso } from './format.ts';
import { writeChange, type UseCaseContext } from './use-case.ts';

/**
 * Join requests of `request` groups: a member asks (with a message), a leader approves (the
 * member is in at once, optionally until an end date) or denies with a reason; the member may
 * withdraw while it waits. One pending request per member and group.
 */

const subject = (groupId: string) => `group:${groupId}`;

export function requestToJoin(app: UseCaseContext, caller: Caller, groupId: string, message: string) {
  return writeChange(app.db, app.author, async (em, audit) => {
    const now = new Date();
    const access = await loadAccess(em, groupId);
    const [dir, membership, pending] = await Promise.all([
      loadDirectory(em),
      em.findOne(
        GroupMember,
        { groupId, userId: caller.userId, ...activeMembership(now) },
        { fields: ['id'] },
      ),
      em.findOne(GroupRequest, { groupId, userId: caller.userId, status: 'pending' }, { fields: ['id'] }),
    ]);
    const user = dir.users.get(caller.userId);
    if (!user) throw new NotFoundError('user', caller.userId);
    const refusal = joinRefusal({
      group: { ...access.group, joinPolicy: access.joinPolicy, eligibility: access.eligibility },
      user,
      way: 'request',
      isMember: membership !== null,
      facts: { dir, now },
    });
    if (refusal) {
      if (refusal.code === 'already-member') throw new ConflictError(refusal.message);
      throw new RuleViolationError(refusal.message);
    }
    if (pending)
      throw new ConflictError(`a request to join "${access.group.name}" is already waiting (${pending.id})`);
    const request = em.create(GroupRequest, {
      id: newId(),
      groupId,
      userId: caller.userId,
      status: 'pending',
      message,
      decidedBy: null,
      decisionReason: null,
      decidedAt: null,
    });
    audit({
      action: 'group.request',
      subject: subject(groupId),
      after: { requestId: request.id, userId: caller.userId, message },
    });
    return describeRequest(request, access.group.name);
  });
}

/** The member takes back a request that still waits. */
export function withdrawRequest(app: UseCaseContext, caller: Caller, requestId: string) {
  return writeChange(app.db, app.author, async (em, audit) => {
    const request = await em.findOne(GroupRequest, { id: requestId });
    // Someone else's request is not found: request ids are not to be probed.
    if (!request || request.userId !== caller.userId) throw new NotFoundError('request', requestId);
    if (request.status !== 'pending')
      throw new ConflictError(`request ${requestId} is already ${request.status}`);
    request.status = 'withdrawn';
    request.decidedAt = new Date();
    audit({ action: 'group.withdrawRequest', subject: subject(request.groupId), after: { requestId } });
    return { withdrawn: true };
  });
}

/** The leaders' queue: pending requests of the groups the caller leads (admins: of every group), oldest first. */
export async function pendingRequests(em: EntityManager, caller: Caller, groupId?: string) {
  let groupIds: string[] | null;
  if (groupId !== undefined) {
    await requireOverGroup(em, caller, 'group.lead', await loadAccess(em, groupId));
    groupIds = [groupId];
  } else groupIds = caller.clearanceLevel >= ADMIN ? null : await groupsLedBy(em, caller.userId);
  if (groupIds !== null && !groupIds.length) return [];
  const requests = await em.find(
    GroupRequest,
    { status: 'pending', ...(groupIds ? { groupId: { $in: groupIds } } : {}) },
    { orderBy: { createdAt: 'asc', id: 'asc' }, limit: 500 },
  );
  if (!requests.length) return [];
  const now = new Date();
  const [groups, users, dir] = await Promise.all([
    em.find(Group, { id: { $in: [...new Set(requests.map((r) => r.groupId))] } }),
    em.find(
      User,
      { id: { $in: requests.map((r) => r.userId) } },
      { fields: ['id', 'characterId', 'characterName'] },
    ),
    loadDirectory(em),
  ]);
  return requests.map((r) => {
    const group = groups.find((g) => g.id === r.groupId);
    const u = users.find((x) => x.id === r.userId);
    const eligibility = storedRule(group?.eligibility ?? null);
    const facts = dir.users.get(r.userId);
    const failed = eligibility && facts ? failingClause(eligibility, facts, { dir, now }) : null;
    return {
      ...describeRequest(r, group?.name ?? r.groupId),
      characterId: u?.characterId ?? null,
      characterName: u?.characterName ?? null,
      /** Leaders see whether the member still meets the eligibility (approval checks it again). */
      notEligibleBecause: failed ? `${failed.reason} (eligibility clause ${failed.path})` : null,
    };
  });
}

export interface Decision {
  readonly approve: boolean;
  /** Shown to the member; required to deny. */
  readonly reason?: string | undefined;
  /** An approved membership may end (a trial). */
  readonly expiresAt?: Date | null | undefined;
}

/**
 * A leader approves (the member joins now) or denies (with a reason) a pending request; an
 * approval makes the targets sync (`<front>.decide`).
 */
export async function decideRequest(
  app: UseCaseContext,
  caller: Caller,
  requestId: string,
  decision: Decision,
  front: Front,
) {
  const decided = await writeChange(app.db, app.author, async (em, audit) => {
    const request = await em.findOne(GroupRequest, { id: requestId });
    if (!request) throw new NotFoundError('request', requestId);
    const access = await loadAccess(em, request.groupId);
    await requireOverGroup(em, caller, 'group.lead', access);
    if (request.status !== 'pending')
      throw new ConflictError(`request ${requestId} is already ${request.status}`);
    const reason = decision.reason?.trim() ?? '';
    if (!decision.approve && !reason) throw new RuleViolationError('a denial needs a reason, for the member');
    const now = new Date();
    const expiresAt = decision.expiresAt ?? null;
    if (decision.approve) {
      if (expiresAt && expiresAt.getTime() <= now.getTime())
        throw new RuleViolationError(`expiresAt ${iso(expiresAt)} has already passed`);
      const dir = await loadDirectory(em);
      const user = dir.users.get(request.userId);
      if (!user) throw new NotFoundError('user', request.userId);
      const failed = access.eligibility ? failingClause(access.eligibility, user, { dir, now }) : null;
      if (failed)
        throw new RuleViolationError(
          `the member is no longer eligible: ${failed.reason} (eligibility clause ${failed.path}); deny the request instead`,
        );
      const existing = await em.findOne(GroupMember, { groupId: request.groupId, userId: request.userId });
      if (existing) existing.expiresAt = expiresAt;
      else
        em.create(GroupMember, { id: newId(), groupId: request.groupId, userId: request.userId, expiresAt });
    }
    request.status = decision.approve ? 'approved' : 'denied';
    request.decidedBy = caller.userId;
    request.decisionReason = reason || null;
    request.decidedAt = now;
    audit({
      action: decision.approve ? 'group.approveRequest' : 'group.denyRequest',
      subject: subject(request.groupId),
      after: { requestId, userId: request.userId, reason: reason || null, expiresAt: iso(expiresAt) },
    });
    return describeRequest(request, access.group.name);
  });
  if (decision.approve) await app.notifier.membershipChanged(`${front}.decide`);
  return decided;
}

function describeRequest(r: GroupRequest, groupName: string) {
  return {
    id: r.id,
    groupId: r.groupId,
    groupName,
    userId: r.userId,
    status: r.status,
    message: r.message,
    decidedBy: r.decidedBy ?? null,
    decisionReason: r.decisionReason ?? null,
    createdAt: iso(r.createdAt),
    decidedAt: iso(r.decidedAt ?? null),
  };
}

import type { EntityManager } from '@mikro-orm/core';
import {
  failingClause,
  joinRefusal,
  listedTo,
  mayLeaveByThemselves,
  type JoinPolicy,
  type JoinWay,
} from '../domain/index.ts';
import { loadDirectory } from '../store/directory.ts';
import { Group, GroupLeader, GroupMember, GroupNotice, GroupRequest, User } from '../store/entities/index.ts';
import { ConflictError, InvalidReferenceError, NotFoundError, RuleViolationError } from '../domain/errors.ts';
import { newId } from '../crypto.ts';
import {
  accessOf,
  activeMembership,
  leadsEach,
  loadAccess,
  requireOverGroup,
  validateRule,
  type Caller,
  type Front,
  type GroupAccess,
} from './group-access.ts';
import { iso } from './format.ts';
import { hashSecret, prefixedToken } from './auth/secrets.ts';
import { writeChange, type Audit, type UseCaseContext } from './use-case.ts';

/**
 * The groups people run themselves: members join, follow a link and leave by the group's
 * policy; leaders add and remove members (with an end date); owners set the policy, the
 * eligibility and the leaders. Each use case checks its rights, writes the change and its audit
 * entry in one transaction, and, when platform membership may have changed, tells the notifier
 * after the commit.
 */

const subject = (groupId: string) => `group:${groupId}`;

const joinLinkHash = (secret: string) => hashSecret(`group-join:${secret}`);
const JOIN_LINK = /^rgj_[A-Za-z0-9_-]{43}$/;

function ensureManual(access: GroupAccess): void {
  if (access.group.kind !== 'manual')
    throw new RuleViolationError(
      `"${access.group.name}" is built by Roster (${access.group.kind} group): its members are not edited by hand`,
    );
}

async function membershipOf(em: EntityManager, groupId: string, userId: string) {
  return em.findOne(GroupMember, { groupId, userId });
}

const isActive = (m: GroupMember | null, now: Date) =>
  m !== null && (m.expiresAt == null || m.expiresAt.getTime() > now.getTime());

/** Checks the way in against the policy and eligibility, then adds the caller. */
async function enter(
  em: EntityManager,
  audit: Audit,
  caller: Caller,
  access: GroupAccess,
  way: JoinWay,
): Promise<void> {
  const now = new Date();
  const dir = await loadDirectory(em);
  const user = dir.users.get(caller.userId);
  if (!user) throw new NotFoundError('user', caller.userId);
  const existing = await membershipOf(em, access.group.id, caller.userId);
  const refusal = joinRefusal({
    group: { ...access.group, joinPolicy: access.joinPolicy, eligibility: access.eligibility },
    user,
    way,
    isMember: isActive(existing, now),
    facts: { dir, now },
  });
  if (refusal) {
    if (refusal.code === 'already-member') throw new ConflictError(refusal.message);
    throw new RuleViolationError(refusal.message);
  }
  if (existing) existing.expiresAt = null;
  else em.create(GroupMember, { id: newId(), groupId: access.group.id, userId: caller.userId });
  audit({
    action: way === 'link' ? 'group.joinByLink' : 'group.join',
    subject: subject(access.group.id),
    after: { userId: caller.userId },
  });
}

/** Joins an open group; the targets then sync (`<front>.join`). */
export async function joinGroup(app: UseCaseContext, caller: Caller, groupId: string, front: Front) {
  await writeChange(app.db, app.author, async (tx, audit) =>
    enter(tx, audit, caller, await loadAccess(tx, groupId), 'join'),
  );
  await app.notifier.membershipChanged(`${front}.join`);
  return { joined: true, groupId };
}

/** Joins the hidden group whose current link this is; the targets then sync. */
export async function joinByLink(app: UseCaseContext, caller: Caller, link: string) {
  const group = await writeChange(app.db, app.author, async (tx, audit) => {
    const group = JOIN_LINK.test(link) ? await tx.findOne(Group, { joinLinkHash: joinLinkHash(link) }) : null;
    if (!group)
      throw new RuleViolationError(
        'this join link is not valid: it may have been replaced; ask a leader for the current one',
      );
    const [access] = await accessOf(tx, [group]);
    await enter(tx, audit, caller, access!, 'link');
    return group;
  });
  await app.notifier.membershipChanged('membership.joinByLink');
  return { joined: true, groupId: group.id, name: group.name };
}

/**
 * Leaves a group one could have joined by oneself (open, request, hidden); the targets then sync
 * (`<front>.leave`).
 */
export async function leaveGroup(app: UseCaseContext, caller: Caller, groupId: string, front: Front) {
  await writeChange(app.db, app.author, async (tx, audit) => {
    const access = await loadAccess(tx, groupId);
    if (!mayLeaveByThemselves({ kind: access.group.kind, joinPolicy: access.joinPolicy }))
      throw new RuleViolationError(
        access.group.kind === 'manual'
          ? `"${access.group.name}" is closed: ask a leader to remove you`
          : `"${access.group.name}" is built by Roster (${access.group.kind} group): nobody leaves it by hand`,
      );
    const existing = await membershipOf(tx, groupId, caller.userId);
    if (!existing) throw new RuleViolationError(`not a member of "${access.group.name}"`);
    tx.remove(existing);
    audit({
      action: 'group.leave',
      subject: subject(groupId),
      before: { userId: caller.userId, expiresAt: iso(existing.expiresAt ?? null) },
    });
  });
  await app.notifier.membershipChanged(`${front}.leave`);
  return { left: true };
}

/** A new join link for a hidden group; the old one stops working. The secret is shown once. */
export function newJoinLink(app: UseCaseContext, caller: Caller, groupId: string) {
  return writeChange(app.db, app.author, async (tx, audit) => {
    const access = await loadAccess(tx, groupId);
    await requireOverGroup(tx, caller, 'group.lead', access);
    ensureManual(access);
    if (access.joinPolicy !== 'hidden')
      throw new RuleViolationError(
        `"${access.group.name}" is ${access.joinPolicy}: only hidden groups have join links`,
      );
    const link = prefixedToken('rgj_');
    access.group.joinLinkHash = joinLinkHash(link);
    audit({ action: 'group.newJoinLink', subject: subject(groupId) });
    return { link };
  });
}

export interface MemberChange {
  readonly userIds: readonly string[];
  /** When the memberships end (a trial, an event); null: they do not. */
  readonly expiresAt?: Date | null | undefined;
}

/**
 * A leader adds members (or changes their end date); returns how many were new and how many
 * changed. When any did, the targets sync.
 */
export async function addMembersAsLeader(
  app: UseCaseContext,
  caller: Caller,
  groupId: string,
  change: MemberChange,
) {
  const result = await writeChange(app.db, app.author, async (tx, audit) => {
    const access = await loadAccess(tx, groupId);
    await requireOverGroup(tx, caller, 'group.lead', access);
    ensureManual(access);
    const expiresAt = change.expiresAt ?? null;
    if (expiresAt && expiresAt.getTime() <= Date.now())
      throw new RuleViolationError(`expiresAt ${iso(expiresAt)} has already passed`);
    const unique = [...new Set(change.userIds)];
    const known = await tx.find(User, { id: { $in: unique } }, { fields: ['id'] });
    const missing = unique.filter((id) => !known.some((u) => u.id === id));
    if (missing.length)
      throw new InvalidReferenceError(`unknown user${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
    const existing = await tx.find(GroupMember, { groupId, userId: { $in: unique } });
    let added = 0;
    let updated = 0;
    for (const userId of unique) {
      const row = existing.find((m) => m.userId === userId);
      if (!row) {
        tx.create(GroupMember, { id: newId(), groupId, userId, expiresAt });
        added++;
      } else if ((row.expiresAt?.getTime() ?? null) !== (expiresAt?.getTime() ?? null)) {
        row.expiresAt = expiresAt;
        updated++;
      }
    }
    audit({
      action: 'group.lead.addMembers',
      subject: subject(groupId),
      after: { userIds: unique, expiresAt: iso(expiresAt) },
    });
    return { added, updated };
  });
  if (result.added || result.updated) await app.notifier.membershipChanged('membership.add');
  return result;
}

/** A leader removes members; returns how many were. When any were, the targets sync. */
export async function removeMembersAsLeader(
  app: UseCaseContext,
  caller: Caller,
  groupId: string,
  userIds: readonly string[],
) {
  const result = await writeChange(app.db, app.author, async (tx, audit) => {
    const access = await loadAccess(tx, groupId);
    await requireOverGroup(tx, caller, 'group.lead', access);
    ensureManual(access);
    const rows = await tx.find(GroupMember, { groupId, userId: { $in: [...new Set(userIds)] } });
    for (const row of rows) tx.remove(row);
    audit({
      action: 'group.lead.removeMembers',
      subject: subject(groupId),
      before: { userIds: rows.map((r) => r.userId) },
    });
    return { removed: rows.length };
  });
  if (result.removed) await app.notifier.membershipChanged('membership.remove');
  return result;
}

const noticeOf = (n: GroupNotice | undefined) =>
  n ? { reason: n.reason, detail: n.detail, removeAt: iso(n.removeAt) } : null;

/** The members of a group with their end dates and notices, for its leaders. */
export async function membersForLeaders(em: EntityManager, caller: Caller, groupId: string) {
  const access = await loadAccess(em, groupId);
  await requireOverGroup(em, caller, 'group.lead', access);
  const rows = await em.find(GroupMember, { groupId, ...activeMembership(new Date()) });
  // Members told they are about to lose the group (its rule, an end date, a lost login).
  const notices = await em.find(GroupNotice, { groupId });
  const users = rows.length
    ? await em.find(
        User,
        { id: { $in: rows.map((r) => r.userId) } },
        { fields: ['id', 'characterId', 'characterName'] },
      )
    : [];
  return rows
    .map((r) => {
      const u = users.find((x) => x.id === r.userId);
      return {
        userId: r.userId,
        characterId: u?.characterId ?? null,
        characterName: u?.characterName ?? null,
        since: iso(r.createdAt),
        expiresAt: iso(r.expiresAt ?? null),
        notice: noticeOf(notices.find((n) => n.userId === r.userId)),
      };
    })
    .sort((a, b) => (a.characterName ?? '').localeCompare(b.characterName ?? ''));
}

export interface GroupSettings {
  readonly joinPolicy?: JoinPolicy | undefined;
  /** A GroupRule as JSON; null removes the limit. */
  readonly eligibility?: unknown;
}

/** The owner (or an admin) sets how people get in. Leaving `hidden` retires the join link. */
export async function configureGroup(
  app: UseCaseContext,
  caller: Caller,
  groupId: string,
  settings: GroupSettings,
) {
  const group = await writeChange(app.db, app.author, async (tx, audit) => {
    const access = await loadAccess(tx, groupId);
    await requireOverGroup(tx, caller, 'group.configure', access);
    ensureManual(access);
    const { group } = access;
    const before = { joinPolicy: access.joinPolicy, eligibility: group.eligibility ?? null };
    if (settings.eligibility !== undefined)
      group.eligibility =
        settings.eligibility === null ? null : await validateRule(tx, settings.eligibility, 'eligibility');
    if (settings.joinPolicy !== undefined) {
      group.joinPolicy = settings.joinPolicy;
      if (settings.joinPolicy !== 'hidden') group.joinLinkHash = null;
    }
    audit({
      action: 'group.configure',
      subject: subject(groupId),
      before,
      after: { joinPolicy: group.joinPolicy, eligibility: group.eligibility ?? null },
    });
    return group;
  });
  return settingsOf((await accessOf(app.db.fork(), [group]))[0]!);
}

export type LeaderRef = { readonly userId: string } | { readonly groupId: string };

const leaderOf = (leader: LeaderRef) =>
  'userId' in leader ? (['user', leader.userId] as const) : (['group', leader.groupId] as const);

/** The owner (or an admin) makes a user, or every member of a group, a leader. */
export async function addLeader(app: UseCaseContext, caller: Caller, groupId: string, leader: LeaderRef) {
  await writeChange(app.db, app.author, async (tx, audit) => {
    const access = await loadAccess(tx, groupId);
    await requireOverGroup(tx, caller, 'group.configure', access);
    ensureManual(access);
    const [leaderKind, leaderId] = leaderOf(leader);
    const exists =
      leaderKind === 'user'
        ? await tx.findOne(User, { id: leaderId }, { fields: ['id'] })
        : await tx.findOne(Group, { id: leaderId }, { fields: ['id'] });
    if (!exists) throw new InvalidReferenceError(`unknown ${leaderKind} ${leaderId}`);
    if (await tx.findOne(GroupLeader, { groupId, leaderKind, leaderId }))
      throw new ConflictError(`that ${leaderKind} already leads "${access.group.name}"`);
    tx.create(GroupLeader, { id: newId(), groupId, leaderKind, leaderId });
    audit({ action: 'group.addLeader', subject: subject(groupId), after: { leaderKind, leaderId } });
  });
  return settingsOf(await loadAccess(app.db.fork(), groupId));
}

export async function removeLeader(app: UseCaseContext, caller: Caller, groupId: string, leader: LeaderRef) {
  await writeChange(app.db, app.author, async (tx, audit) => {
    const access = await loadAccess(tx, groupId);
    await requireOverGroup(tx, caller, 'group.configure', access);
    const [leaderKind, leaderId] = leaderOf(leader);
    const row = await tx.findOne(GroupLeader, { groupId, leaderKind, leaderId });
    if (!row) throw new NotFoundError(`${leaderKind} leader`, leaderId);
    tx.remove(row);
    audit({ action: 'group.removeLeader', subject: subject(groupId), before: { leaderKind, leaderId } });
  });
  return settingsOf(await loadAccess(app.db.fork(), groupId));
}

/** How a group lets people in and who runs it, as the control plane shows it. */
export function settingsOf(access: GroupAccess) {
  return {
    id: access.group.id,
    name: access.group.name,
    kind: access.group.kind,
    joinPolicy: access.joinPolicy,
    eligibility: access.eligibility,
    ownerId: access.leadership.ownerId,
    leaderUserIds: [...access.leadership.leaderUserIds],
    leaderGroupIds: [...access.leadership.leaderGroupIds],
  };
}

export async function groupSettings(em: EntityManager, caller: Caller, groupId: string) {
  const access = await loadAccess(em, groupId);
  const [isLeader] = await leadsEach(em, caller.userId, [access]);
  const isMember = isActive(await membershipOf(em, groupId, caller.userId), new Date());
  if (!listedTo(access, { clearanceLevel: caller.clearanceLevel, isLeader: isLeader!, isMember }))
    throw new NotFoundError('group', groupId);
  return settingsOf(access);
}

/**
 * The groups a user may get into by themselves (open and request; hidden ones are not listed),
 * each with whether they are eligible (and why not), a member, or waiting on a request.
 */
export async function joinableGroups(em: EntityManager, caller: Caller) {
  const now = new Date();
  const groups = await em.find(
    Group,
    { kind: 'manual', joinPolicy: { $in: ['open', 'request'] } },
    { orderBy: { name: 'asc' } },
  );
  const [access, dir, mine, pending] = await Promise.all([
    accessOf(em, groups),
    loadDirectory(em),
    em.find(
      GroupMember,
      { userId: caller.userId, ...activeMembership(now) },
      { fields: ['groupId', 'expiresAt'] },
    ),
    em.find(GroupRequest, { userId: caller.userId, status: 'pending' }, { fields: ['id', 'groupId'] }),
  ]);
  const user = dir.users.get(caller.userId);
  return access.map((a) => {
    const failed = a.eligibility && user ? failingClause(a.eligibility, user, { dir, now }) : null;
    const membership = mine.find((m) => m.groupId === a.group.id);
    return {
      id: a.group.id,
      name: a.group.name,
      description: a.group.description,
      joinPolicy: a.joinPolicy,
      eligible: failed === null,
      notEligibleBecause: failed ? `${failed.reason} (eligibility clause ${failed.path})` : null,
      member: membership !== undefined,
      expiresAt: iso(membership?.expiresAt ?? null),
      pendingRequestId: pending.find((r) => r.groupId === a.group.id)?.id ?? null,
    };
  });
}

/** One's own memberships with their end dates, and one's requests. */
export async function myGroups(em: EntityManager, caller: Caller) {
  const now = new Date();
  const [rows, requests] = await Promise.all([
    em.find(GroupMember, { userId: caller.userId, ...activeMembership(now) }),
    em.find(GroupRequest, { userId: caller.userId }, { orderBy: { createdAt: 'desc' }, limit: 100 }),
  ]);
  const ids = [...new Set([...rows.map((r) => r.groupId), ...requests.map((r) => r.groupId)])];
  const groups = ids.length ? await em.find(Group, { id: { $in: ids } }) : [];
  const access = await accessOf(em, groups);
  const nameOf = (id: string) => groups.find((g) => g.id === id)?.name ?? id;
  return {
    memberships: rows
      .map((r) => {
        const a = access.find((x) => x.group.id === r.groupId);
        return {
          groupId: r.groupId,
          name: nameOf(r.groupId),
          kind: a?.group.kind ?? 'manual',
          joinPolicy: a?.joinPolicy ?? 'closed',
          since: iso(r.createdAt),
          expiresAt: iso(r.expiresAt ?? null),
          mayLeave: a ? mayLeaveByThemselves({ kind: a.group.kind, joinPolicy: a.joinPolicy }) : false,
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name)),
    requests: requests.map((r) => ({
      id: r.id,
      groupId: r.groupId,
      name: nameOf(r.groupId),
      status: r.status,
      message: r.message,
      decisionReason: r.decisionReason ?? null,
      createdAt: iso(r.createdAt),
      decidedAt: iso(r.decidedAt ?? null),
    })),
  };
}

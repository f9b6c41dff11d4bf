import type { EntityManager } from '@mikro-orm/core';
import type { Directory } from '../domain/index.ts';
import { loadDirectory } from '../store/directory.ts';
import { plainRows } from '../store/plain-rows.ts';
import {
  GroupMapping,
  GroupMember,
  GroupNotice,
  PendingRemoval,
  SyncSnapshot,
  TeamspeakLink,
  User,
} from '../store/entities/index.ts';
import type { MappingFacts } from './desired.ts';
import type { Platform } from './target.ts';

/**
 * Everything the reconciler reads from the store for one target, in a handful of queries; the
 * large ones (users, memberships, links) as plain rows, so that `em` keeps nothing of them. A run
 * scoped to users reads only them (`only.userIds`): their facts, memberships and links, and no other
 * user of the directory, so its cost follows the change and not the directory's size.
 */
export interface SyncInputs {
  readonly dir: Directory;
  readonly mappings: MappingFacts[];
  /** userId -> platform account id on this target. */
  readonly accountOf: Map<string, string>;
  /** groupId -> userIds, for mapped groups only. */
  readonly membersOf: Map<string, string[]>;
  readonly pendingRemovals: Map<string, Date>;
  /** groupId -> members who lost their login but keep the group until their notice runs out. */
  readonly heldByNotice: Map<string, Set<string>>;
  readonly lastApplied: Map<string, Set<string>> | null;
}

export const snapshotId = (platform: Platform, target: string) => `${platform}:${target}`;

export async function loadSyncInputs(
  em: EntityManager,
  platform: Platform,
  target: string,
  only?: { readonly userIds: readonly string[] },
): Promise<SyncInputs> {
  const mappingRows = await em.find(GroupMapping, { platform, target }, { orderBy: { id: 'asc' } });
  const groupIds = [...new Set(mappingRows.map((m) => m.groupId))];
  const ofUsers = only ? { userId: { $in: [...only.userIds] } } : {};
  const now = new Date();
  const [dir, members, pending, snapshot, accountOf, held] = await Promise.all([
    loadDirectory(em, only),
    groupIds.length
      ? plainRows(
          em,
          GroupMember,
          // A membership past its end date counts for nothing, even before the rebuild deletes it.
          {
            ...ofUsers,
            groupId: { $in: groupIds },
            $or: [{ expiresAt: null }, { expiresAt: { $gt: new Date() } }],
          },
          ['groupId', 'userId'],
        )
      : [],
    em.find(PendingRemoval, { platform, target }),
    em.findOne(SyncSnapshot, { id: snapshotId(platform, target) }),
    loadAccounts(em, platform, target, only?.userIds),
    groupIds.length
      ? plainRows(
          em,
          GroupNotice,
          { groupId: { $in: groupIds }, reason: 'login', removeAt: { $gt: now }, ...ofUsers },
          ['groupId', 'userId'],
        )
      : [],
  ]);
  const heldByNotice = new Map<string, Set<string>>();
  for (const n of held) heldByNotice.set(n.groupId, (heldByNotice.get(n.groupId) ?? new Set()).add(n.userId));
  const membersOf = new Map<string, string[]>();
  for (const m of members) {
    let list = membersOf.get(m.groupId);
    if (!list) membersOf.set(m.groupId, (list = []));
    list.push(m.userId);
  }
  return {
    dir,
    mappings: mappingRows.map((m) => ({
      id: m.id,
      groupId: m.groupId,
      platformGroupId: m.platformGroupId ?? null,
      displayName: m.displayName ?? null,
      mode: m.mode,
    })),
    accountOf,
    membersOf,
    heldByNotice,
    pendingRemovals: new Map(pending.map((p) => [`${p.platformGroupId}/${p.accountId}`, p.firstPlannedAt])),
    lastApplied: snapshot
      ? new Map(Object.entries(snapshot.members).map(([groupId, accounts]) => [groupId, new Set(accounts)]))
      : null,
  };
}

/** userId -> the user's account on this target (TeamSpeak client database id, Discord user id). */
export async function loadAccounts(
  em: EntityManager,
  platform: Platform,
  target: string,
  userIds?: readonly string[],
): Promise<Map<string, string>> {
  if (platform === 'teamspeak') {
    const links = await plainRows(
      em,
      TeamspeakLink,
      { target, ...(userIds ? { userId: { $in: [...userIds] } } : {}) },
      ['userId', 'clientDbId'],
    );
    return new Map(links.map((l) => [l.userId, l.clientDbId]));
  }
  const users = await plainRows(
    em,
    User,
    { discordUserId: { $ne: null }, ...(userIds ? { id: { $in: [...userIds] } } : {}) },
    ['id', 'discordUserId'],
  );
  return new Map(users.map((u) => [u.id, u.discordUserId!]));
}

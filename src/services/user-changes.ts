import type { EntityManager } from '@mikro-orm/core';
import {
  ApiToken,
  BrowserSession,
  Challenge,
  Group,
  GroupLeader,
  GroupMember,
  GroupRequest,
  TeamspeakLink,
  User,
} from '../store/entities/index.ts';
import { inTransaction } from '../store/transaction.ts';

/**
 * Writes to users. The control plane checks who may do them (clearance rules) before calling;
 * these only write, and return what the audit log keeps.
 */

export async function setClearanceLevel(em: EntityManager, user: User, level: number) {
  const before = { clearanceLevel: user.clearanceLevel };
  user.clearanceLevel = level;
  await em.flush();
  return { before, after: { clearanceLevel: level }, changed: before.clearanceLevel !== level };
}

export async function setLoginFlag(em: EntityManager, user: User, authorizedToLogin: boolean | null) {
  const before = { authorizedToLogin: user.authorizedToLogin ?? null };
  user.authorizedToLogin = authorizedToLogin;
  await em.flush();
  return { before, after: { authorizedToLogin }, changed: before.authorizedToLogin !== authorizedToLogin };
}

/**
 * Deletes a user with what hangs on them: memberships, TeamSpeak links, tokens, sessions, challenges.
 * Groups they owned stay, without an owner.
 */
export async function deleteUser(em: EntityManager, userId: string) {
  return inTransaction(em, async (tx) => {
    const memberships = await tx.nativeDelete(GroupMember, { userId });
    const teamspeakLinks = await tx.nativeDelete(TeamspeakLink, { userId });
    const tokens = await tx.nativeDelete(ApiToken, { userId });
    await tx.nativeDelete(BrowserSession, { userId });
    await tx.nativeDelete(Challenge, { userId });
    await tx.nativeDelete(GroupLeader, { leaderKind: 'user', leaderId: userId });
    await tx.nativeDelete(GroupRequest, { userId });
    const ownedGroups = await tx.nativeUpdate(Group, { ownerId: userId }, { ownerId: null });
    await tx.nativeDelete(User, { id: userId });
    return { memberships, teamspeakLinks, tokens, ownedGroups };
  });
}

export type UnlinkRequest = { platform: 'teamspeak'; target?: string | undefined } | { platform: 'discord' };

/** Removes the user's TeamSpeak identities (on one target or all) or their Discord account; idempotent. */
export async function unlinkAccounts(em: EntityManager, user: User, request: UnlinkRequest) {
  if (request.platform === 'discord') {
    const before = user.discordUserId ?? null;
    if (before !== null) {
      user.discordUserId = null;
      await em.flush();
    }
    return { removed: before === null ? 0 : 1, before: { discordUserId: before } };
  }
  const where = { userId: user.id, ...(request.target !== undefined ? { target: request.target } : {}) };
  const links = await em.find(TeamspeakLink, where);
  const removed = links.length
    ? await em.nativeDelete(TeamspeakLink, { id: { $in: links.map((l) => l.id) } })
    : 0;
  return {
    removed,
    before: {
      teamspeak: links.map((l) => ({ target: l.target, clientDbId: l.clientDbId, uniqueId: l.uniqueId })),
    },
  };
}

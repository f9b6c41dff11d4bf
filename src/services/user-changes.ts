import type { EntityManager } from '@mikro-orm/core';
import {
  clearanceChangeRefusal,
  GUEST,
  ROOT_CHARACTER_ID,
  SUPERUSER,
  type Actor,
  type ClearanceRefusal,
} from '../domain/index.ts';
import { ForbiddenError, RuleViolationError } from '../domain/errors.ts';
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
import { linkScope } from './links/scope.ts';
import { requireMay } from './rights.ts';
import { usersScope } from '../sync/scope.ts';
import { writeChange, type UseCaseContext } from './use-case.ts';
import { describeUser, getUser, userAffiliation } from './users.ts';

/**
 * Changes to users, each one use case: it looks the user up, checks the actor's rights over them
 * (the clearance rules), writes, and audits in the same transaction; after the commit it tells
 * the notifier what the change causes elsewhere (a rebuild, a sync).
 */

/** Why a clearance change is refused, naming the rule (the domain's `clearanceChangeRefusal`). */
const refusalMessages = {
  'own-level': 'nobody changes their own clearance level (rule "own-level")',
  'out-of-range': `a clearance level is an integer from ${GUEST} to ${SUPERUSER} (rule "out-of-range")`,
  'level-not-below':
    'below superuser, one sets only levels strictly below one’s own (rule "level-not-below")',
  'target-not-below':
    'below superuser, one changes only users strictly below one’s own level (rule "target-not-below")',
  'root-is-fixed': 'root always keeps level 10 (rule "root-is-fixed")',
  'not-in-reach': 'this user is beyond the reach of your clearance (rule "not-in-reach")',
} as const satisfies Record<ClearanceRefusal, string>;

/**
 * Sets a user's clearance level within the actor's rules; `changed` says whether it moved. A new
 * level rebuilds the derived groups, then that user syncs.
 */
export async function setClearance(
  app: UseCaseContext,
  actor: Actor,
  input: { readonly id: string; readonly level: number },
) {
  const result = await writeChange(app.db, app.author, async (em, audit) => {
    const user = await getUser(em, input.id);
    const target = {
      userId: user.id,
      characterId: user.characterId,
      clearanceLevel: user.clearanceLevel,
      affiliation: await userAffiliation(em, user),
    };
    const refusal = clearanceChangeRefusal(actor, target, input.level);
    if (refusal) {
      const message = refusalMessages[refusal];
      throw refusal === 'out-of-range' ? new RuleViolationError(message) : new ForbiddenError(message);
    }
    const result = await setClearanceLevel(em, user, input.level);
    if (result.changed)
      audit({
        action: 'user.setClearance',
        subject: `user:${user.id}`,
        before: result.before,
        after: result.after,
      });
    return { user, changed: result.changed };
  });
  if (result.changed) await app.notifier.directoryChanged('user.setClearance', usersScope([result.user.id]));
  return result;
}

/**
 * Sets (or, with null, clears) a user's own login flag; nobody sets their own. A new flag
 * rebuilds the derived groups, then that user syncs.
 */
export async function setAuthorizedToLogin(
  app: UseCaseContext,
  actor: Actor,
  input: { readonly id: string; readonly authorizedToLogin: boolean | null },
) {
  const result = await writeChange(app.db, app.author, async (em, audit) => {
    const user = await getUser(em, input.id);
    if (user.id === actor.userId) throw new ForbiddenError('nobody sets their own login flag');
    requireMay(actor, 'user.setAuthorizedToLogin', { affiliation: await userAffiliation(em, user) });
    const result = await setLoginFlag(em, user, input.authorizedToLogin);
    if (result.changed)
      audit({
        action: 'user.setAuthorizedToLogin',
        subject: `user:${user.id}`,
        before: result.before,
        after: result.after,
      });
    return { user, changed: result.changed };
  });
  if (result.changed)
    await app.notifier.directoryChanged('user.setAuthorizedToLogin', usersScope([result.user.id]));
  return result;
}

/**
 * Deletes a user (never root, oneself, or one above the actor's level), audited with the user as
 * they were; returns what went with them. Every target then syncs.
 */
export async function removeUser(app: UseCaseContext, actor: Actor, input: { readonly id: string }) {
  const removed = await writeChange(app.db, app.author, async (em, audit) => {
    const user = await getUser(em, input.id);
    requireMay(actor, 'user.delete');
    if (user.characterId === ROOT_CHARACTER_ID) throw new ForbiddenError('root cannot be deleted');
    if (user.id === actor.userId) throw new ForbiddenError('nobody deletes themselves');
    if (user.clearanceLevel > actor.clearanceLevel)
      throw new ForbiddenError('nobody deletes a user of a higher clearance level than their own');
    const before = await describeUser(em, user);
    const removed = await deleteUser(em, user.id);
    audit({ action: 'user.delete', subject: `user:${user.id}`, before, after: removed });
    return removed;
  });
  await app.notifier.membershipChanged('user.delete');
  return removed;
}

/**
 * Removes a user's TeamSpeak identities (one target or all) or Discord account, as `user.write`
 * allows; idempotent. Returns how many went; when any did, that platform (the one target, when
 * named) syncs the scope they were in.
 */
export async function unlinkUser(
  app: UseCaseContext,
  actor: Actor,
  input: { readonly id: string } & UnlinkRequest,
) {
  const { removed, scope } = await writeChange(app.db, app.author, async (em, audit) => {
    const user = await getUser(em, input.id);
    requireMay(actor, 'user.write', { affiliation: await userAffiliation(em, user) });
    const scope = await linkScope(em, [user.id]);
    const { removed, before } = await unlinkAccounts(em, user, input);
    if (removed)
      audit({
        action: 'user.unlink',
        subject: `user:${user.id}`,
        before,
        after: { platform: input.platform },
      });
    return { removed, scope };
  });
  if (removed)
    await app.notifier.targetChanged(
      input.platform,
      input.platform === 'teamspeak' ? (input.target ?? null) : null,
      'user.unlink',
      scope,
    );
  return { removed };
}

async function setClearanceLevel(em: EntityManager, user: User, level: number) {
  const before = { clearanceLevel: user.clearanceLevel };
  user.clearanceLevel = level;
  await em.flush();
  return { before, after: { clearanceLevel: level }, changed: before.clearanceLevel !== level };
}

async function setLoginFlag(em: EntityManager, user: User, authorizedToLogin: boolean | null) {
  const before = { authorizedToLogin: user.authorizedToLogin ?? null };
  user.authorizedToLogin = authorizedToLogin;
  await em.flush();
  return { before, after: { authorizedToLogin }, changed: before.authorizedToLogin !== authorizedToLogin };
}

/**
 * Deletes a user with what hangs on them: memberships, TeamSpeak links, tokens, sessions, challenges.
 * Groups they owned stay, without an owner.
 */
async function deleteUser(em: EntityManager, userId: string) {
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
async function unlinkAccounts(em: EntityManager, user: User, request: UnlinkRequest) {
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

import type { EntityManager } from '@mikro-orm/core';
import { TeamspeakLink, User } from '../../store/entities/index.ts';
import type { DirectoryScope } from '../../sync/scope.ts';

/**
 * What a link or unlink of these users touches, read before the change: the users (their new
 * accounts are found by the run) and every account they hold now (an unlinked or replaced one has
 * no user any more, so it is named itself and Roster's groups leave it).
 */
export async function linkScope(em: EntityManager, userIds: readonly string[]): Promise<DirectoryScope> {
  const ids = [...new Set(userIds)];
  const [users, links] = await Promise.all([
    em.find(User, { id: { $in: ids }, discordUserId: { $ne: null } }, { fields: ['id', 'discordUserId'] }),
    em.find(TeamspeakLink, { userId: { $in: ids } }, { fields: ['userId', 'target', 'clientDbId'] }),
  ]);
  return {
    groups: [],
    users: ids,
    accounts: [
      ...users.map((u) => ({ platform: 'discord' as const, target: null, accountId: u.discordUserId! })),
      ...links.map((l) => ({ platform: 'teamspeak' as const, target: l.target, accountId: l.clientDbId })),
    ],
  };
}

/** What a completed Discord link touched: the user, and the account it replaced (if any). */
export const discordLinkScope = (userId: string, previousDiscordUserId: string | null): DirectoryScope => ({
  groups: [],
  users: [userId],
  accounts: previousDiscordUserId
    ? [{ platform: 'discord', target: null, accountId: previousDiscordUserId }]
    : [],
});

import type { EntityManager } from '@mikro-orm/core';
import type {
  AllianceFacts,
  CoalitionFacts,
  CorporationFacts,
  Directory,
  GroupFacts,
  UserFacts,
} from '../domain/index.ts';
import { Alliance, Coalition, Corporation, Group, GroupMember, User } from './entities/index.ts';
import { plainRows } from './plain-rows.ts';

/**
 * Reads the whole directory in six queries, whatever its size: the reconciler, the autogroup
 * rebuild and the control plane's checks all decide on this one snapshot. Users and memberships,
 * the large tables, are read as plain rows: nothing of them stays in `em`. With `userIds`, only
 * those users and their memberships are read (the rest whole: corporations, alliances, coalitions,
 * groups), which is all a run scoped to these users decides on.
 */
export async function loadDirectory(
  em: EntityManager,
  only?: { readonly userIds: readonly string[] },
): Promise<Directory> {
  const ofUsers = only ? { id: { $in: [...only.userIds] } } : {};
  const membersOfUsers = only ? { userId: { $in: [...only.userIds] } } : {};
  const [users, corporations, alliances, coalitions, groups, members] = await Promise.all([
    plainRows(em, User, ofUsers, [
      'id',
      'characterId',
      'characterName',
      'corporationId',
      'clearanceLevel',
      'authorizedToLogin',
      'corporationSince',
    ]),
    em.find(Corporation, {}),
    em.find(Alliance, {}),
    em.find(Coalition, {}),
    em.find(Group, {}),
    // A membership past its end date counts for nothing, even before the rebuild deletes it.
    plainRows(
      em,
      GroupMember,
      { ...membersOfUsers, $or: [{ expiresAt: null }, { expiresAt: { $gt: new Date() } }] },
      ['groupId', 'userId'],
    ),
  ]);
  const groupsOfUser = new Map<string, Set<string>>();
  for (const m of members) {
    let set = groupsOfUser.get(m.userId);
    if (!set) groupsOfUser.set(m.userId, (set = new Set()));
    set.add(m.groupId);
  }
  return {
    users: new Map(users.map((u) => [u.id, toUserFacts(u)])),
    corporations: new Map(corporations.map((c) => [c.corporationId, toCorporationFacts(c)])),
    alliances: new Map(alliances.map((a) => [a.allianceId, toAllianceFacts(a)])),
    coalitions: coalitions.map(toCoalitionFacts),
    groups: new Map(groups.map((g) => [g.id, toGroupFacts(g)])),
    groupsOfUser,
  };
}

export function toUserFacts(
  u: Pick<
    User,
    'id' | 'characterId' | 'characterName' | 'corporationId' | 'clearanceLevel' | 'authorizedToLogin'
  > &
    Partial<Pick<User, 'corporationSince'>>,
): UserFacts {
  return {
    corporationSince: u.corporationSince ?? null,
    id: u.id,
    characterId: u.characterId,
    characterName: u.characterName,
    corporationId: u.corporationId ?? null,
    clearanceLevel: u.clearanceLevel,
    authorizedToLogin: u.authorizedToLogin ?? null,
  };
}

export function toGroupFacts(g: Group): GroupFacts {
  return {
    id: g.id,
    name: g.name,
    kind: g.kind,
    authorizedToLogin: g.authorizedToLogin ?? null,
    ownerId: g.ownerId ?? null,
    ...(g.kind === 'rule' ? { rule: g.rule ?? null } : {}),
  };
}

export function toCorporationFacts(c: Corporation): CorporationFacts {
  return {
    corporationId: c.corporationId,
    name: c.name,
    ticker: c.ticker,
    ceoCharacterId: c.ceoCharacterId ?? null,
    allianceId: c.allianceId ?? null,
    authorizedToLogin: c.authorizedToLogin ?? null,
    mandatoryEsiScopes: c.mandatoryEsiScopes,
  };
}

export function toAllianceFacts(a: Alliance): AllianceFacts {
  return {
    allianceId: a.allianceId,
    name: a.name,
    ticker: a.ticker,
    executorCorporationId: a.executorCorporationId ?? null,
    authorizedToLogin: a.authorizedToLogin ?? null,
    mandatoryEsiScopes: a.mandatoryEsiScopes,
  };
}

export function toCoalitionFacts(c: Coalition): CoalitionFacts {
  return {
    id: c.id,
    name: c.name,
    ticker: c.ticker,
    allianceIds: c.allianceIds,
    corporationIds: c.corporationIds,
    authorizedToLogin: c.authorizedToLogin ?? null,
    mandatoryEsiScopes: c.mandatoryEsiScopes,
  };
}

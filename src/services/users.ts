import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import {
  GUEST,
  coalitionsOf,
  mandatoryEsiScopes,
  may,
  tickeredName,
  type Actor,
  type Affiliation,
} from '../domain/index.ts';
import { affiliationFor } from '../store/affiliation.ts';
import { toAllianceFacts, toCoalitionFacts, toCorporationFacts } from '../store/directory.ts';
import {
  Alliance,
  Coalition,
  Corporation,
  Group,
  GroupMember,
  TeamspeakLink,
  User,
} from '../store/entities/index.ts';
import { NotFoundError } from '../domain/errors.ts';
import { iso } from './format.ts';
import { toPage, type Page } from './pagination.ts';

/** The user of a character; NotFoundError names the character when there is none. */
export async function getUserByCharacter(em: EntityManager, characterId: number): Promise<User> {
  const user = await em.findOne(User, { characterId });
  if (!user) throw new NotFoundError('character', characterId);
  return user;
}

export async function getUser(em: EntityManager, id: string): Promise<User> {
  const user = await em.findOne(User, { id });
  if (!user) throw new NotFoundError('user', id);
  return user;
}

export function userAffiliation(
  em: EntityManager,
  user: Pick<User, 'id' | 'corporationId'>,
): Promise<Affiliation> {
  return affiliationFor(em, { userId: user.id, corporationId: user.corporationId ?? null });
}

/**
 * The users an actor may read (`user.read`), as a query: everyone, or the actor and the members
 * of the corporations in reach. Each ring (corporation, alliance, coalition, everyone) is checked
 * with the domain's `may()` against a representative target, so the clearance table stays the
 * one place that says who sees whom.
 */
export async function readableCorporations(em: EntityManager, actor: Actor): Promise<'all' | number[]> {
  const a = actor.affiliation;
  const reaches = (target: Omit<Affiliation, 'userId'>) =>
    may(actor, 'user.read', { affiliation: { userId: null, ...target } });
  if (reaches({ corporationId: null, allianceId: null, coalitionIds: [] })) return 'all';
  const ids = new Set<number>();
  if (
    a.corporationId !== null &&
    reaches({ corporationId: a.corporationId, allianceId: null, coalitionIds: [] })
  )
    ids.add(a.corporationId);
  const allianceIds = new Set<number>();
  if (a.allianceId !== null && reaches({ corporationId: null, allianceId: a.allianceId, coalitionIds: [] }))
    allianceIds.add(a.allianceId);
  if (
    a.coalitionIds.length &&
    reaches({ corporationId: null, allianceId: null, coalitionIds: a.coalitionIds })
  ) {
    for (const c of await em.find(
      Coalition,
      { id: { $in: [...a.coalitionIds] } },
      { fields: ['allianceIds', 'corporationIds'] },
    )) {
      c.corporationIds.forEach((id) => ids.add(id));
      c.allianceIds.forEach((id) => allianceIds.add(id));
    }
  }
  if (allianceIds.size) {
    const corporations = await em.find(
      Corporation,
      { allianceId: { $in: [...allianceIds] } },
      { fields: ['corporationId'] },
    );
    corporations.forEach((c) => ids.add(c.corporationId));
  }
  return [...ids];
}

export interface UserListQuery {
  readonly cursor?: string | null | undefined;
  readonly limit: number;
  readonly corporationId?: number | undefined;
  readonly allianceId?: number | undefined;
  readonly groupId?: string | undefined;
  readonly includeGuests: boolean;
}

export async function listUsers(
  em: EntityManager,
  actor: Actor,
  query: UserListQuery,
): Promise<Page<UserSummary>> {
  const and: FilterQuery<User>[] = [];
  const reach = await readableCorporations(em, actor);
  if (reach !== 'all') and.push({ $or: [{ id: actor.userId }, { corporationId: { $in: reach } }] });
  if (!query.includeGuests) and.push({ clearanceLevel: { $gte: 0 } });
  if (query.corporationId !== undefined) and.push({ corporationId: query.corporationId });
  if (query.allianceId !== undefined) {
    const corporations = await em.find(
      Corporation,
      { allianceId: query.allianceId },
      { fields: ['corporationId'] },
    );
    and.push({ corporationId: { $in: corporations.map((c) => c.corporationId) } });
  }
  if (query.groupId !== undefined) {
    if (!(await em.findOne(Group, { id: query.groupId }, { fields: ['id'] })))
      throw new NotFoundError('group', query.groupId);
    const members = await em.find(GroupMember, { groupId: query.groupId }, { fields: ['userId'] });
    and.push({ id: { $in: members.map((m) => m.userId) } });
  }
  if (query.cursor) and.push({ id: { $gt: query.cursor } });
  const rows = await em.find(User, and.length ? { $and: and } : {}, {
    orderBy: { id: 'asc' },
    limit: query.limit + 1,
  });
  const page = toPage(rows, query.limit);
  return { items: await describeUsers(em, page.items), nextCursor: page.nextCursor };
}

export interface UserSummary {
  readonly id: string;
  readonly characterId: number;
  readonly characterName: string;
  readonly tickeredName: string;
  readonly corporationId: number | null;
  readonly allianceId: number | null;
  readonly clearanceLevel: number;
  readonly authorizedToLogin: boolean | null;
  readonly lastLoginAt: string | null;
}

/** One line per user, with tickers read in two queries for the whole page. */
export async function describeUsers(em: EntityManager, users: readonly User[]): Promise<UserSummary[]> {
  const corporationIds = [
    ...new Set(users.flatMap((u) => (u.corporationId == null ? [] : [u.corporationId]))),
  ];
  const corporations = corporationIds.length
    ? await em.find(Corporation, { corporationId: { $in: corporationIds } })
    : [];
  const corporationOf = new Map(corporations.map((c) => [c.corporationId, c]));
  const allianceIds = [...new Set(corporations.flatMap((c) => (c.allianceId == null ? [] : [c.allianceId])))];
  const alliances = allianceIds.length ? await em.find(Alliance, { allianceId: { $in: allianceIds } }) : [];
  const allianceOf = new Map(alliances.map((a) => [a.allianceId, a]));
  return users.map((u) => {
    const corporation = u.corporationId == null ? undefined : corporationOf.get(u.corporationId);
    const alliance = corporation?.allianceId == null ? undefined : allianceOf.get(corporation.allianceId);
    return {
      id: u.id,
      characterId: u.characterId,
      characterName: u.characterName,
      tickeredName: tickeredName(u, corporation, alliance),
      corporationId: u.corporationId ?? null,
      allianceId: corporation?.allianceId ?? null,
      clearanceLevel: u.clearanceLevel,
      authorizedToLogin: u.authorizedToLogin ?? null,
      lastLoginAt: iso(u.lastLoginAt),
    };
  });
}

/** Everything about one user an admin tool shows; never the refresh token. */
export async function describeUser(em: EntityManager, user: User) {
  const corporation =
    user.corporationId == null ? null : await em.findOne(Corporation, { corporationId: user.corporationId });
  const alliance =
    corporation?.allianceId == null
      ? null
      : await em.findOne(Alliance, { allianceId: corporation.allianceId });
  const allCoalitions = await em.find(Coalition, {}, { orderBy: { name: 'asc' } });
  const coalitions = coalitionsOf(
    user.corporationId ?? null,
    corporation?.allianceId ?? null,
    allCoalitions.map(toCoalitionFacts),
  );
  const memberships = await em.find(GroupMember, { userId: user.id }, { fields: ['groupId'] });
  const [groups, teamspeak] = await Promise.all([
    em.find(Group, { id: { $in: memberships.map((m) => m.groupId) } }, { orderBy: { name: 'asc' } }),
    em.find(TeamspeakLink, { userId: user.id }, { orderBy: { target: 'asc' } }),
  ]);
  return {
    id: user.id,
    characterId: user.characterId,
    characterName: user.characterName,
    tickeredName: tickeredName(user, corporation ?? undefined, alliance ?? undefined),
    clearanceLevel: user.clearanceLevel,
    authorizedToLogin: user.authorizedToLogin ?? null,
    corporationId: user.corporationId ?? null,
    corporation: corporation
      ? { corporationId: corporation.corporationId, name: corporation.name, ticker: corporation.ticker }
      : null,
    alliance: alliance
      ? { allianceId: alliance.allianceId, name: alliance.name, ticker: alliance.ticker }
      : null,
    coalitions: coalitions.map((c) => ({ id: c.id, name: c.name, ticker: c.ticker })),
    groups: groups.map((g) => ({ id: g.id, name: g.name, kind: g.kind })),
    /** A guest's corporation is the one hosting it (see services/auth/guests.ts). */
    guest: user.clearanceLevel <= GUEST,
    links: {
      discordUserId: user.discordUserId ?? null,
      teamspeak: teamspeak.map((l) => ({
        target: l.target,
        clientDbId: l.clientDbId,
        uniqueId: l.uniqueId,
        linkedAt: iso(l.createdAt),
      })),
    },
    esiScopes: user.esiScopes,
    mandatoryEsiScopes: mandatoryEsiScopes(
      corporation ? toCorporationFacts(corporation) : undefined,
      alliance ? toAllianceFacts(alliance) : undefined,
      coalitions,
    ),
    refreshTokenValid: user.refreshTokenValid ?? null,
    lastLoginAt: iso(user.lastLoginAt),
    createdAt: iso(user.createdAt),
    updatedAt: iso(user.updatedAt),
  };
}
export type UserDetails = Awaited<ReturnType<typeof describeUser>>;

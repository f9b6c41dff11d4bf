import {
  GUEST,
  type AllianceFacts,
  type CoalitionFacts,
  type CorporationFacts,
  type Directory,
  type UserFacts,
} from './types.ts';

/** Where someone stands in EVE: the chain user -> corporation -> alliance -> coalitions. */
export interface Affiliation {
  readonly userId: string | null;
  readonly corporationId: number | null;
  readonly allianceId: number | null;
  readonly coalitionIds: readonly string[];
}

export function allianceIdOf(
  corporationId: number | null,
  dir: Pick<Directory, 'corporations'>,
): number | null {
  if (corporationId === null) return null;
  return dir.corporations.get(corporationId)?.allianceId ?? null;
}

/** Coalitions of a corporation: directly, or through its alliance. */
export function coalitionsOf(
  corporationId: number | null,
  allianceId: number | null,
  coalitions: readonly CoalitionFacts[],
): CoalitionFacts[] {
  return coalitions.filter(
    (c) =>
      (corporationId !== null && c.corporationIds.includes(corporationId)) ||
      (allianceId !== null && c.allianceIds.includes(allianceId)),
  );
}

export function affiliationOf(user: UserFacts, dir: Directory): Affiliation {
  const allianceId = allianceIdOf(user.corporationId, dir);
  return {
    userId: user.id,
    corporationId: user.corporationId,
    allianceId,
    coalitionIds: coalitionsOf(user.corporationId, allianceId, dir.coalitions).map((c) => c.id),
  };
}

export function affiliationOfCorporation(corporationId: number, dir: Directory): Affiliation {
  const allianceId = allianceIdOf(corporationId, dir);
  return {
    userId: null,
    corporationId,
    allianceId,
    coalitionIds: coalitionsOf(corporationId, allianceId, dir.coalitions).map((c) => c.id),
  };
}

/** Distance between two people (or a person and a corporation): 0 same user, 1 corporation, 3 alliance, 5 coalition, 7 none. */
export type Distance = 0 | 1 | 3 | 5 | 7;

export function distance(actor: Affiliation, target: Affiliation): Distance {
  if (actor.userId !== null && actor.userId === target.userId) return 0;
  if (actor.corporationId !== null && actor.corporationId === target.corporationId) return 1;
  if (actor.allianceId !== null && actor.allianceId === target.allianceId) return 3;
  if (actor.coalitionIds.some((id) => target.coalitionIds.includes(id))) return 5;
  return 7;
}

/** Union of the mandatory ESI scopes of a user's corporation, alliance and coalitions, sorted. */
export function mandatoryEsiScopes(
  corporation: CorporationFacts | undefined,
  alliance: AllianceFacts | undefined,
  coalitions: readonly CoalitionFacts[],
): string[] {
  const scopes = new Set<string>([
    ...(corporation?.mandatoryEsiScopes ?? []),
    ...(alliance?.mandatoryEsiScopes ?? []),
    ...coalitions.flatMap((c) => c.mandatoryEsiScopes),
  ]);
  return [...scopes].sort();
}

/**
 * The scopes a user must grant. A guest's corporation is the host's, whose mandatory scopes are
 * for its members: a guest owes only `guestScopes` (`sso.guestScopes`).
 */
export function mandatoryEsiScopesOfUser(
  user: UserFacts,
  dir: Directory,
  guestScopes: readonly string[] = [],
): string[] {
  if (user.clearanceLevel <= GUEST) return [...new Set(guestScopes)].sort();
  const corporation = user.corporationId === null ? undefined : dir.corporations.get(user.corporationId);
  const allianceId = corporation?.allianceId ?? null;
  const alliance = allianceId === null ? undefined : dir.alliances.get(allianceId);
  return mandatoryEsiScopes(
    corporation,
    alliance,
    coalitionsOf(user.corporationId, allianceId, dir.coalitions),
  );
}

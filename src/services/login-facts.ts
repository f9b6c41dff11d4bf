/**
 * The part of the directory one login decides on: the user, its corporation and alliance (from
 * the store, or from ESI when not known yet), every coalition, and the user's groups. Loaded in
 * a few small queries, and never written: a refused login leaves nothing behind.
 */
import type { EntityManager } from '@mikro-orm/core';
import type { AllianceFacts, CorporationFacts, Directory, UserFacts } from '../domain/index.ts';
import type { EsiClient } from '../esi/client.ts';
import type { EsiAlliance, EsiCorporation } from '../esi/schemas.ts';
import { toAllianceFacts, toCoalitionFacts, toCorporationFacts, toGroupFacts } from '../store/directory.ts';
import { Alliance, Coalition, Corporation, Group, GroupMember } from '../store/entities/index.ts';

export interface Affiliated {
  readonly corporation: CorporationFacts | undefined;
  readonly alliance: AllianceFacts | undefined;
  /** ESI replies for what the store did not know yet: to be saved if the login succeeds. */
  readonly newCorporation: EsiCorporation | null;
  readonly newAlliance: EsiAlliance | null;
}

const esiCorporationFacts = (c: EsiCorporation): CorporationFacts => ({
  corporationId: c.corporationId,
  name: c.name,
  ticker: c.ticker,
  ceoCharacterId: c.ceoCharacterId,
  allianceId: c.allianceId,
  authorizedToLogin: null,
  mandatoryEsiScopes: [],
});

const esiAllianceFacts = (a: EsiAlliance): AllianceFacts => ({
  allianceId: a.allianceId,
  name: a.name,
  ticker: a.ticker,
  executorCorporationId: a.executorCorporationId,
  authorizedToLogin: null,
  mandatoryEsiScopes: [],
});

/**
 * A corporation and its alliance, from the store or else from ESI (whose errors propagate).
 * Without an ESI client, what the store does not know stays unknown.
 */
export async function affiliatedFacts(
  em: EntityManager,
  esi: EsiClient | null,
  corporationId: number | null,
): Promise<Affiliated> {
  const none = { corporation: undefined, alliance: undefined, newCorporation: null, newAlliance: null };
  if (corporationId === null) return none;
  const stored = await em.findOne(Corporation, { corporationId });
  if (!stored && !esi) return none;
  const newCorporation = stored ? null : await esi!.getCorporation(corporationId);
  const corporation = stored ? toCorporationFacts(stored) : esiCorporationFacts(newCorporation!);
  if (corporation.allianceId === null)
    return { corporation, alliance: undefined, newCorporation, newAlliance: null };
  const storedAlliance = await em.findOne(Alliance, { allianceId: corporation.allianceId });
  if (!storedAlliance && !esi) return { corporation, alliance: undefined, newCorporation, newAlliance: null };
  const newAlliance = storedAlliance ? null : await esi!.getAlliance(corporation.allianceId);
  const alliance = storedAlliance ? toAllianceFacts(storedAlliance) : esiAllianceFacts(newAlliance!);
  return { corporation, alliance, newCorporation, newAlliance };
}

/** A directory holding just what `loginDecision` and `mandatoryEsiScopesOfUser` read about `user`. */
export async function directoryAround(
  em: EntityManager,
  user: UserFacts,
  affiliated: Affiliated,
): Promise<Directory> {
  const [coalitions, memberships] = await Promise.all([
    em.find(Coalition, {}),
    em.find(GroupMember, { userId: user.id }, { fields: ['groupId'] }),
  ]);
  const groupIds = memberships.map((m) => m.groupId);
  const groups = groupIds.length ? await em.find(Group, { id: { $in: groupIds } }) : [];
  const corporation = affiliated.corporation;
  const alliance = affiliated.alliance;
  return {
    users: new Map([[user.id, user]]),
    corporations: new Map(corporation ? [[corporation.corporationId, corporation]] : []),
    alliances: new Map(alliance ? [[alliance.allianceId, alliance]] : []),
    coalitions: coalitions.map(toCoalitionFacts),
    groups: new Map(groups.map((g) => [g.id, toGroupFacts(g)])),
    groupsOfUser: new Map([[user.id, new Set(groupIds)]]),
  };
}

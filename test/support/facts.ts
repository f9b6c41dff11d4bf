import type {
  AllianceFacts,
  CoalitionFacts,
  CorporationFacts,
  Directory,
  GroupFacts,
  UserFacts,
} from '../../src/domain/index.ts';

/** Small builders of the domain's plain facts, with neutral defaults (every login flag null). */

export const corporation = (
  corporationId: number,
  fields: Partial<CorporationFacts> = {},
): CorporationFacts => ({
  corporationId,
  name: `Corporation ${corporationId}`,
  ticker: `C${corporationId}`,
  ceoCharacterId: null,
  allianceId: null,
  authorizedToLogin: null,
  mandatoryEsiScopes: [],
  ...fields,
});

export const alliance = (allianceId: number, fields: Partial<AllianceFacts> = {}): AllianceFacts => ({
  allianceId,
  name: `Alliance ${allianceId}`,
  ticker: `A${allianceId}`,
  executorCorporationId: null,
  authorizedToLogin: null,
  mandatoryEsiScopes: [],
  ...fields,
});

export const coalition = (id: string, fields: Partial<CoalitionFacts> = {}): CoalitionFacts => ({
  id,
  name: `Coalition ${id}`,
  ticker: id.toUpperCase(),
  allianceIds: [],
  corporationIds: [],
  authorizedToLogin: null,
  mandatoryEsiScopes: [],
  ...fields,
});

export const user = (id: string, fields: Partial<UserFacts> = {}): UserFacts => ({
  id,
  characterId: 1000 + ([...id].reduce((n, c) => n * 31 + c.charCodeAt(0), 7) % 1_000_000),
  characterName: `Pilot ${id}`,
  corporationId: null,
  clearanceLevel: 0,
  authorizedToLogin: null,
  ...fields,
});

export const group = (id: string, fields: Partial<GroupFacts> = {}): GroupFacts => ({
  id,
  name: id,
  kind: 'manual',
  authorizedToLogin: null,
  ownerId: null,
  ...fields,
});

export interface DirectoryParts {
  readonly users?: readonly UserFacts[];
  readonly corporations?: readonly CorporationFacts[];
  readonly alliances?: readonly AllianceFacts[];
  readonly coalitions?: readonly CoalitionFacts[];
  readonly groups?: readonly GroupFacts[];
  /** userId -> group ids */
  readonly memberships?: Readonly<Record<string, readonly string[]>>;
}

export function directory(parts: DirectoryParts): Directory {
  return {
    users: new Map((parts.users ?? []).map((u) => [u.id, u])),
    corporations: new Map((parts.corporations ?? []).map((c) => [c.corporationId, c])),
    alliances: new Map((parts.alliances ?? []).map((a) => [a.allianceId, a])),
    coalitions: parts.coalitions ?? [],
    groups: new Map((parts.groups ?? []).map((g) => [g.id, g])),
    groupsOfUser: new Map(
      Object.entries(parts.memberships ?? {}).map(([userId, ids]) => [userId, new Set(ids)]),
    ),
  };
}

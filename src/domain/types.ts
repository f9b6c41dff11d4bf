/**
 * Plain facts the domain rules read. The store maps its entities onto these; nothing here knows
 * how they are kept. EVE ids are numbers (they fit in a double), Roster's own ids are strings.
 */

/** -1 guest (no rights), 0 own data, 1..8 read/write over corporation/alliance/coalition/everyone, 9 admin, 10 superuser. */
export type ClearanceLevel = number;

export const GUEST = -1;
export const ADMIN = 9;
export const SUPERUSER = 10;
export const ROOT_CHARACTER_ID = 0;

export interface UserFacts {
  readonly id: string;
  readonly characterId: number;
  readonly characterName: string;
  readonly corporationId: number | null;
  readonly clearanceLevel: ClearanceLevel;
  readonly authorizedToLogin: boolean | null;
  /** Since when the user is in their corporation, where known (rules on time in corporation). */
  readonly corporationSince?: Date | null;
}

export interface CorporationFacts {
  readonly corporationId: number;
  readonly name: string;
  readonly ticker: string;
  readonly ceoCharacterId: number | null;
  readonly allianceId: number | null;
  readonly authorizedToLogin: boolean | null;
  readonly mandatoryEsiScopes: readonly string[];
}

export interface AllianceFacts {
  readonly allianceId: number;
  readonly name: string;
  readonly ticker: string;
  readonly executorCorporationId: number | null;
  readonly authorizedToLogin: boolean | null;
  readonly mandatoryEsiScopes: readonly string[];
}

export interface CoalitionFacts {
  readonly id: string;
  readonly name: string;
  readonly ticker: string;
  readonly allianceIds: readonly number[];
  /** Corporations that belong directly, without their alliance. */
  readonly corporationIds: readonly number[];
  readonly authorizedToLogin: boolean | null;
  readonly mandatoryEsiScopes: readonly string[];
}

/** manual: edited by people; auto: derived per corporation/alliance/coalition; rule: rebuilt from a rule. */
export type GroupKind = 'manual' | 'auto' | 'rule';

export interface GroupFacts {
  readonly id: string;
  readonly name: string;
  readonly kind: GroupKind;
  readonly authorizedToLogin: boolean | null;
  readonly ownerId: string | null;
  /** A rule-built group's membership rule as stored (JSON; parse it with parseRule). */
  readonly rule?: unknown;
}

/** The whole directory, read at once: what the rules need to derive anything about anyone. */
export interface Directory {
  readonly users: ReadonlyMap<string, UserFacts>;
  readonly corporations: ReadonlyMap<number, CorporationFacts>;
  readonly alliances: ReadonlyMap<number, AllianceFacts>;
  readonly coalitions: readonly CoalitionFacts[];
  readonly groups: ReadonlyMap<string, GroupFacts>;
  /** Group ids each user belongs to (manual and auto). */
  readonly groupsOfUser: ReadonlyMap<string, ReadonlySet<string>>;
}

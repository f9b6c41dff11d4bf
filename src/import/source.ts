/**
 * A community as an importer reads it from the system it leaves (Alliance Auth, SeAT Navy
 * Issue): plain data, written by the pure readers of this folder and planned and written by
 * services/import.ts.
 */

export type ImportSystem = 'alliance-auth' | 'sni';

export interface ImportProblem {
  /** The record, as the source names it (`auth.user pk=12`, `group "FC"`). */
  readonly record: string;
  readonly reason: string;
}

export interface SourceAlliance {
  readonly allianceId: number;
  readonly name: string;
  readonly ticker: string;
  readonly executorCorporationId: number | null;
  readonly authorizedToLogin?: boolean | null;
  readonly mandatoryEsiScopes?: readonly string[];
}

export interface SourceCorporation {
  readonly corporationId: number;
  readonly name: string;
  readonly ticker: string;
  readonly allianceId: number | null;
  readonly ceoCharacterId: number | null;
  readonly authorizedToLogin?: boolean | null;
  readonly mandatoryEsiScopes?: readonly string[];
}

export interface SourceCoalition {
  readonly name: string;
  readonly ticker: string;
  readonly allianceIds: readonly number[];
  readonly corporationIds: readonly number[];
  readonly authorizedToLogin?: boolean | null;
  readonly mandatoryEsiScopes?: readonly string[];
}

/**
 * A TeamSpeak identity the source knows: Alliance Auth's `Teamspeak3User.uid` is not TeamSpeak's
 * unique id but the value of the `sso_uid` custom property its privilege key set on the client;
 * SNI keeps the client database id. The target completes them (services/import-teamspeak.ts).
 */
export interface SourceTeamspeakIdentity {
  readonly ssoUid?: string;
  readonly uniqueId?: string;
  readonly clientDbId?: string;
}

export interface SourceUser {
  readonly characterId: number;
  readonly characterName: string;
  readonly corporationId: number | null;
  readonly clearanceLevel?: number;
  readonly authorizedToLogin?: boolean | null;
  readonly discordUserId?: string | null;
  readonly teamspeak?: SourceTeamspeakIdentity | null;
}

export interface SourceMapping {
  readonly platform: 'teamspeak' | 'discord';
  /** The existing role or server group; null: adopted by name on first contact. */
  readonly platformGroupId: string | null;
  /**
   * The name the platform group has, when it differs from the group's (an Alliance Auth TS group,
   * an SNI autogroup): kept as the mapping's display name, so the first run renames nothing.
   */
  readonly displayName?: string | null;
}

export interface SourceGroup {
  readonly name: string;
  readonly description: string;
  readonly ownerCharacterId: number | null;
  readonly memberCharacterIds: readonly number[];
  readonly authorizedToLogin?: boolean | null;
  readonly mappings: readonly SourceMapping[];
}

/**
 * Platform groups the source kept for one of Roster's autogroups (SNI's autogroups of a
 * corporation, alliance or coalition, and `superusers`): they become that autogroup's mappings.
 */
export interface SourceAutogroupMapping {
  readonly of:
    | { readonly kind: 'corporation'; readonly corporationId: number }
    | { readonly kind: 'alliance'; readonly allianceId: number }
    | { readonly kind: 'coalition'; readonly name: string }
    | { readonly kind: 'builtin'; readonly name: 'superusers' };
  /** The source's name of the group (what the platform groups are called). */
  readonly sourceName: string;
  readonly mappings: readonly SourceMapping[];
}

export interface ImportSource {
  readonly system: ImportSystem;
  /** Mappings of Roster's autogroups (SNI); absent: none. */
  readonly autogroupMappings?: readonly SourceAutogroupMapping[];
  readonly alliances: readonly SourceAlliance[];
  readonly corporations: readonly SourceCorporation[];
  readonly coalitions: readonly SourceCoalition[];
  readonly users: readonly SourceUser[];
  readonly groups: readonly SourceGroup[];
  /** What the reader saw (a user without a main, a dangling reference). */
  readonly problems: readonly ImportProblem[];
}

import type { AllianceEsiFacts } from './alliances.ts';
import type { CorporationEsiFacts } from './corporations.ts';

/** A character as ESI's bulk routes describe it: name, current corporation and alliance. */
export interface ResolvedCharacter {
  readonly characterId: number;
  readonly name: string;
  readonly corporationId: number;
  readonly allianceId: number | null;
}

/** What a bulk look-up found, and what EVE does not know. */
export interface CharacterLookup {
  readonly characters: readonly ResolvedCharacter[];
  readonly unknownIds: readonly number[];
  readonly unknownNames: readonly string[];
}

/**
 * EVE facts the control plane reads (src/directory adapts the ESI client to it). The single
 * fetches return null when EVE knows no such id. Without it (tests, offline) `track` takes the
 * facts (name, ticker, ...) as input instead, and users cannot be added by id or name.
 */
export interface DirectoryEsi {
  fetchCorporation(corporationId: number): Promise<CorporationEsiFacts | null>;
  fetchAlliance(allianceId: number): Promise<AllianceEsiFacts | null>;
  /** Characters by id or exact (case-insensitive) name, in ESI's bulk calls. */
  resolveCharacters(input: {
    readonly ids?: readonly number[];
    readonly names?: readonly string[];
  }): Promise<CharacterLookup>;
}

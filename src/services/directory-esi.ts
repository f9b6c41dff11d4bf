import type { EntityManager } from '@mikro-orm/core';
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

/** What an operator's refresh of one corporation or alliance changed in the directory. */
export interface OperatorRefresh {
  /** Records whose name, ticker, CEO, alliance or executor changed. */
  readonly changed: number;
  /** Corporations the directory had in the alliance that ESI says are no longer in it. */
  readonly corporationsLeft: number;
  /** Corporations ESI lists in the (tracked) alliance that were created or moved into it. */
  readonly corporationsJoined: number;
  /** Replies ESI did not give (not found, refused, down): those records were left as they were. */
  readonly unread: number;
}

/** An operator's refresh as ESI answered it, not yet written. */
export interface FetchedRefresh {
  /** Writes it to the directory through `tx` (the caller's transaction) and says what changed. */
  apply(tx: EntityManager): Promise<OperatorRefresh>;
}

/**
 * EVE facts the control plane reads (src/directory adapts the ESI client to it). The single
 * fetches return null when EVE knows no such id. Without it (tests, offline) `track` takes the
 * facts (name, ticker, ...) as input instead, and users cannot be added by id or name.
 */
export interface DirectoryEsi {
  fetchCorporation(corporationId: number): Promise<CorporationEsiFacts | null>;
  fetchAlliance(allianceId: number): Promise<AllianceEsiFacts | null>;
  /**
   * An operator's refresh, straight from ESI past the local cache: the corporation (with its
   * alliance); the alliance with its corporations (those it lists, those the directory had in it).
   * ESI is read here, with no transaction open; the caller writes what it answered with `apply`,
   * in its own transaction (where it audits the refresh). The records must exist in the directory.
   */
  fetchCorporationRefresh(em: EntityManager, corporationId: number): Promise<FetchedRefresh>;
  fetchAllianceRefresh(em: EntityManager, allianceId: number): Promise<FetchedRefresh>;
  /** Characters by id or exact (case-insensitive) name, in ESI's bulk calls. */
  resolveCharacters(input: {
    readonly ids?: readonly number[];
    readonly names?: readonly string[];
  }): Promise<CharacterLookup>;
}

import type { AllianceEsiFacts } from './alliances.ts';
import type { CorporationEsiFacts } from './corporations.ts';

/**
 * EVE facts `corporation.track` and `alliance.track` read (src/directory adapts the ESI client to
 * it). Each returns null when EVE knows no such id. Without it (tests, offline) `track` takes the
 * facts (name, ticker, ...) as input instead.
 */
export interface DirectoryEsi {
  fetchCorporation(corporationId: number): Promise<CorporationEsiFacts | null>;
  fetchAlliance(allianceId: number): Promise<AllianceEsiFacts | null>;
}

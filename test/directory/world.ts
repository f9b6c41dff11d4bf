/**
 * The EVE world the directory tests share: an alliance (TEST, executor Alpha) with two
 * corporations, a corporation without alliance, and their pilots, seeded on the fake ESI.
 */
import { pino } from 'pino';
import { createEsiClient, type EsiClientOptions } from '../../src/esi/client.ts';
import type { FakeEsi } from '../fakes/esi/index.ts';

export const ALLIANCE = 99_100_001;
export const ALPHA = 98_100_001;
export const BETA = 98_100_002;
export const GAMMA = 98_100_003; // no alliance
export const DELTA = 98_100_004; // in the alliance, unknown to the directory at first
export const ALICE = 91_000_001; // CEO of Alpha (the executor): floor 4
export const BOB = 91_000_002;
export const CAROL = 91_000_003; // CEO of Beta: floor 2
export const DAVE = 91_000_004; // CEO of Gamma
export const ERIN = 91_000_005; // Gamma
export const FRANK = 91_000_006; // CEO of Delta

export function seedWorld(fake: FakeEsi): void {
  fake.seed({
    alliances: [{ id: ALLIANCE, name: 'Test Alliance', ticker: 'TEST', executorCorporationId: ALPHA }],
    corporations: [
      { id: ALPHA, name: 'Alpha Corp', ticker: 'ALPHA', ceoId: ALICE, allianceId: ALLIANCE },
      { id: BETA, name: 'Beta Corp', ticker: 'BETA', ceoId: CAROL, allianceId: ALLIANCE },
      { id: GAMMA, name: 'Gamma Corp', ticker: 'GAMMA', ceoId: DAVE },
      { id: DELTA, name: 'Delta Corp', ticker: 'DELTA', ceoId: FRANK, allianceId: ALLIANCE },
    ],
    characters: [
      { id: ALICE, name: 'Alice', corporationId: ALPHA },
      { id: BOB, name: 'Bob', corporationId: ALPHA },
      { id: CAROL, name: 'Carol', corporationId: BETA },
      { id: DAVE, name: 'Dave', corporationId: GAMMA },
      { id: ERIN, name: 'Erin', corporationId: GAMMA },
      { id: FRANK, name: 'Frank', corporationId: DELTA },
    ],
  });
}

export const silent = pino({ level: 'silent' });

/** A client of the fake with fast retries; the fake's replies expire at once, so changes are seen. */
export function esiFor(fake: FakeEsi, options: Partial<EsiClientOptions> = {}) {
  return createEsiClient(
    {
      baseUrl: fake.url,
      userAgent: 'Roster-tests/1.0 (ops@example.org)',
      backoffMinMs: 1,
      backoffMaxMs: 5,
      timeoutMs: 2_000,
      ...options,
    },
    silent,
  );
}

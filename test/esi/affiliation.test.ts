import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EsiMalformedResponseError } from '../../src/esi/errors.ts';
import { startFakeEsi, type FakeEsi } from '../fakes/esi/index.ts';
import { ALICE, ALLIANCE, ALPHA, BOB, clientFor, DAVE, GAMMA, seedStandard } from './fixtures.ts';

let fake: FakeEsi;
let generated: number[];
beforeAll(async () => {
  fake = await startFakeEsi();
  seedStandard(fake);
  generated = fake.seedGenerated({ characters: 2_500, corporations: 30, alliances: 3 });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.clearLog();
  fake.clearFaults();
});

describe('getAffiliations', () => {
  it('reads 2,500 characters in 3 calls of at most 1,000 ids', async () => {
    const esi = clientFor(fake);
    const affiliations = await esi.getAffiliations(generated);
    expect(affiliations).toHaveLength(2_500);
    expect(new Set(affiliations.map((a) => a.characterId))).toEqual(new Set(generated));
    expect(fake.requests.map((r) => r.idCount ?? 0).sort((a, b) => b - a)).toEqual([1000, 1000, 500]);
    expect(esi.stats().calls).toBe(3);
  });

  it('returns camelCase rows with a null alliance for corporations outside one', async () => {
    const rows = await clientFor(fake).getAffiliations([ALICE, DAVE]);
    expect(rows).toEqual(
      expect.arrayContaining([
        { characterId: ALICE, corporationId: ALPHA, allianceId: ALLIANCE },
        { characterId: DAVE, corporationId: GAMMA, allianceId: null },
      ]),
    );
  });

  it('sends each id once and no call for an empty list', async () => {
    const esi = clientFor(fake);
    await expect(esi.getAffiliations([])).resolves.toEqual([]);
    await esi.getAffiliations([ALICE, ALICE, BOB]);
    expect(fake.requests.map((r) => r.idCount)).toEqual([2]);
  });

  it('follows a character that moved corporation', async () => {
    fake.moveCharacter(BOB, GAMMA);
    try {
      await expect(clientFor(fake).getAffiliations([BOB])).resolves.toEqual([
        { characterId: BOB, corporationId: GAMMA, allianceId: null },
      ]);
    } finally {
      fake.moveCharacter(BOB, ALPHA);
    }
  });

  it('retries a failed batch without repeating the others', async () => {
    const esi = clientFor(fake, { concurrency: 1 });
    fake.failNext(1, 502);
    await expect(esi.getAffiliations(generated)).resolves.toHaveLength(2_500);
    expect(fake.requests.map((r) => r.status)).toEqual([502, 200, 200, 200]);
  });

  it('reports a malformed batch as a typed error', async () => {
    fake.malformNext(1);
    await expect(clientFor(fake).getAffiliations([ALICE])).rejects.toBeInstanceOf(EsiMalformedResponseError);
  });

  it('the fake refuses more than 1,000 ids, as ESI does', async () => {
    const response = await fetch(`${fake.url}/characters/affiliation/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(generated.slice(0, 1_001)),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: expect.stringContaining('1000') });
  });

  it('refuses a batch size ESI would refuse', () => {
    expect(() => clientFor(fake, { affiliationBatchSize: 1_001 })).toThrow(RangeError);
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EsiError, EsiMalformedResponseError, EsiNotFoundError } from '../../src/esi/errors.ts';
import { startFakeEsi, type FakeEsi } from '../fakes/esi/index.ts';
import { ALICE, ALLIANCE, ALPHA, BETA, BOB, clientFor, DAVE, GAMMA, seedStandard } from './fixtures.ts';

let fake: FakeEsi;
beforeAll(async () => {
  fake = await startFakeEsi();
  seedStandard(fake);
  fake.addAccessToken('alice-token', ALICE);
  fake.addAccessToken('bob-token', BOB);
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.clearLog();
  fake.resetErrorLimit();
});

describe('public endpoints', () => {
  it('reads a character, with its alliance through the corporation', async () => {
    const esi = clientFor(fake);
    await expect(esi.getCharacter(ALICE)).resolves.toMatchObject({
      characterId: ALICE,
      name: 'Alice',
      corporationId: ALPHA,
      allianceId: ALLIANCE,
    });
    await expect(esi.getCharacter(DAVE)).resolves.toMatchObject({ corporationId: GAMMA, allianceId: null });
    expect(fake.requests[0]?.userAgent).toBe('Roster-tests/1.0 (ops@example.org)');
  });

  it('reads corporations and alliances', async () => {
    const esi = clientFor(fake);
    await expect(esi.getCorporation(ALPHA)).resolves.toEqual({
      corporationId: ALPHA,
      name: 'Alpha Corp',
      ticker: 'ALPHA',
      ceoCharacterId: ALICE,
      allianceId: ALLIANCE,
      memberCount: 2,
      lastModified: expect.any(Date),
    });
    await expect(esi.getCorporation(GAMMA)).resolves.toMatchObject({ allianceId: null });
    await expect(esi.getAlliance(ALLIANCE)).resolves.toEqual({
      allianceId: ALLIANCE,
      name: 'Test Alliance Please Ignore',
      ticker: 'TEST',
      executorCorporationId: ALPHA,
      lastModified: expect.any(Date),
    });
  });

  it("reads every page of an alliance's corporations (X-Pages)", async () => {
    fake.setPageSize(1);
    try {
      await expect(clientFor(fake).getAllianceCorporations(ALLIANCE)).resolves.toEqual({
        corporationIds: [ALPHA, BETA],
        lastModified: expect.any(Date),
      });
      expect(fake.requests.map((r) => r.path)).toEqual([
        `/alliances/${ALLIANCE}/corporations/`,
        `/alliances/${ALLIANCE}/corporations/`,
      ]);
      expect(fake.counts().total).toBe(2);
    } finally {
      fake.setPageSize(1000);
    }
  });

  it('sees a character move and a CEO change on a fresh client', async () => {
    fake.moveCharacter(BOB, GAMMA);
    fake.setCeo(ALPHA, BOB);
    try {
      const esi = clientFor(fake);
      await expect(esi.getCharacter(BOB)).resolves.toMatchObject({ corporationId: GAMMA, allianceId: null });
      await expect(esi.getCorporation(ALPHA)).resolves.toMatchObject({ ceoCharacterId: BOB, memberCount: 1 });
    } finally {
      fake.moveCharacter(BOB, ALPHA);
      fake.setCeo(ALPHA, ALICE);
    }
  });
});

describe('errors', () => {
  it('turns a 404 into EsiNotFoundError with the route, without retrying', async () => {
    const error = await clientFor(fake)
      .getCharacter(91_234_567)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EsiNotFoundError);
    expect(error).toMatchObject({ status: 404, route: '/characters/{character_id}/', transient: false });
    expect(fake.counts().total).toBe(1);
  });

  it('turns a malformed reply into EsiMalformedResponseError', async () => {
    fake.malformNext(1);
    const error = await clientFor(fake)
      .getCorporation(ALPHA)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EsiMalformedResponseError);
    expect(error).toMatchObject({ route: '/corporations/{corporation_id}/', transient: false });
    expect((error as EsiMalformedResponseError).issues).toContain('name');
  });

  it('refuses an invalid id before any call', async () => {
    await expect(clientFor(fake).getAlliance(-1)).rejects.toThrow(TypeError);
    expect(fake.counts().total).toBe(0);
  });
});

describe('corporation members (authenticated)', () => {
  it("lists members with a director's token, across pages", async () => {
    fake.setPageSize(1);
    try {
      await expect(clientFor(fake).getCorporationMembers(ALPHA, 'alice-token')).resolves.toEqual([
        ALICE,
        BOB,
      ]);
      expect(fake.counts().total).toBe(2);
    } finally {
      fake.setPageSize(1000);
    }
  });

  it('refuses a member without the Director role with a permanent 403, no retry', async () => {
    const error = await clientFor(fake)
      .getCorporationMembers(ALPHA, 'bob-token')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EsiError);
    expect(error).toMatchObject({
      status: 403,
      transient: false,
      esiMessage: 'Character does not have required role(s)',
    });
    expect(fake.counts().total).toBe(1);
  });

  it('accepts a director once granted', async () => {
    fake.setDirector(ALPHA, BOB, true);
    try {
      await expect(clientFor(fake).getCorporationMembers(ALPHA, 'bob-token')).resolves.toEqual([ALICE, BOB]);
    } finally {
      fake.setDirector(ALPHA, BOB, false);
    }
  });

  it('refuses an unknown token', async () => {
    await expect(clientFor(fake).getCorporationMembers(BETA, 'nobody')).rejects.toMatchObject({
      status: 403,
    });
    await expect(clientFor(fake).getCorporationMembers(BETA, 'alice-token')).rejects.toMatchObject({
      status: 403,
    });
  });
});

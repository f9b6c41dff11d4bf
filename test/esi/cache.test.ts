import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeEsi, type FakeEsi } from '../fakes/esi/index.ts';
import { ALICE, ALPHA, BOB, clientFor, GAMMA, seedStandard } from './fixtures.ts';

let fake: FakeEsi;
beforeAll(async () => {
  fake = await startFakeEsi();
  seedStandard(fake);
  fake.addAccessToken('alice-token', ALICE);
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.clearLog();
  fake.setExpiresSeconds(300);
});

describe('Expires and ETag', () => {
  it('serves a reply from memory until it expires, without a call', async () => {
    const esi = clientFor(fake);
    const first = await esi.getCharacter(ALICE);
    const second = await esi.getCharacter(ALICE);
    expect(second).toEqual(first);
    expect(fake.counts().total).toBe(1);
    expect(esi.stats()).toMatchObject({ calls: 1, cacheHits: 1, notModified: 0 });
  });

  it('revalidates an expired reply with If-None-Match and counts the 304', async () => {
    fake.setExpiresSeconds(0);
    const esi = clientFor(fake);
    const first = await esi.getCorporation(ALPHA);
    const second = await esi.getCorporation(ALPHA);
    // The same data; the 304's Last-Modified dates it again.
    expect({ ...second, lastModified: null }).toEqual({ ...first, lastModified: null });
    expect(fake.requests.map((r) => [r.status, r.ifNoneMatch])).toEqual([
      [200, false],
      [304, true],
    ]);
    expect(esi.stats()).toMatchObject({ calls: 2, notModified: 1, cacheHits: 0 });
  });

  it('gets the new body when the data changed behind the ETag', async () => {
    fake.setExpiresSeconds(0);
    const esi = clientFor(fake);
    await expect(esi.getCharacter(BOB)).resolves.toMatchObject({ corporationId: ALPHA });
    fake.moveCharacter(BOB, GAMMA);
    try {
      await expect(esi.getCharacter(BOB)).resolves.toMatchObject({ corporationId: GAMMA, allianceId: null });
      expect(fake.requests.map((r) => r.status)).toEqual([200, 200]);
    } finally {
      fake.moveCharacter(BOB, ALPHA);
    }
  });

  it('uses the clock it is given to decide expiry', async () => {
    let now = Date.now();
    const esi = clientFor(fake, { now: () => now });
    await esi.getAlliance(99_000_001);
    await esi.getAlliance(99_000_001);
    expect(fake.counts().total).toBe(1);
    now += 301_000;
    await esi.getAlliance(99_000_001);
    expect(fake.requests.map((r) => r.status)).toEqual([200, 304]);
    await esi.getAlliance(99_000_001); // the 304 renewed Expires
    expect(fake.counts().total).toBe(2);
  });

  it('always revalidates authenticated replies, so ESI still checks the token', async () => {
    const esi = clientFor(fake);
    await esi.getCorporationMembers(ALPHA, 'alice-token');
    await expect(esi.getCorporationMembers(ALPHA, 'alice-token')).resolves.toEqual([ALICE, BOB]);
    expect(fake.requests.map((r) => r.status)).toEqual([200, 304]);
    await expect(esi.getCorporationMembers(ALPHA, 'revoked-token')).rejects.toMatchObject({ status: 403 });
  });

  it('caches each page of a paginated route', async () => {
    fake.setPageSize(1);
    fake.setExpiresSeconds(0);
    try {
      const esi = clientFor(fake);
      await esi.getAllianceCorporations(99_000_001);
      await esi.getAllianceCorporations(99_000_001);
      expect(fake.requests.map((r) => r.status)).toEqual([200, 200, 304, 304]);
      expect(esi.stats().notModified).toBe(2);
    } finally {
      fake.setPageSize(1000);
    }
  });

  it('asks ESI past a fresh local copy when told to (fresh), still with its ETag, and dates replies by Last-Modified', async () => {
    let clock = Date.parse('2026-12-01T12:00:00Z');
    const dated = await startFakeEsi({ now: () => clock, expiresSeconds: 3600 });
    try {
      dated.seed({ alliances: [{ id: 99_000_001, name: 'A', ticker: 'A', executorCorporationId: null }] });
      const esi = clientFor(dated, { now: () => clock });
      const first = await esi.getAlliance(99_000_001);
      expect(first.lastModified).toEqual(new Date(clock));
      clock += 60_000;
      expect((await esi.getAlliance(99_000_001)).lastModified).toEqual(first.lastModified); // cached
      const fresh = await esi.getAlliance(99_000_001, { fresh: true });
      expect(fresh.lastModified).toEqual(new Date(clock));
      expect(dated.requests.map((r) => [r.status, r.ifNoneMatch])).toEqual([
        [200, false],
        [304, true],
      ]);
    } finally {
      await dated.close();
    }
  });

  it('forgets everything on clearCache', async () => {
    const esi = clientFor(fake);
    await esi.getCharacter(ALICE);
    esi.clearCache();
    await esi.getCharacter(ALICE);
    expect(fake.requests.map((r) => [r.status, r.ifNoneMatch])).toEqual([
      [200, false],
      [200, false],
    ]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lease } from '../../src/store/entities/index.ts';
import { acquireLease, liveLeases, releaseLease, renewLease } from '../../src/store/lease.ts';
import { backends, createTestDatabase, type TestDatabase } from '../support/database.ts';

describe.each(backends())('leases on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => t?.dispose());

  const at = (ms: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, 0) + ms);
  const take = async (id: string, holder: string, ttlMs = 60_000, now = new Date()) =>
    (await acquireLease(t.db.fork(), id, holder, ttlMs, now)).acquired;

  it('goes to the first taker; others are refused while it holds; the holder may renew', async () => {
    expect(await take('a', 'one')).toBe(true);
    expect(await take('a', 'two')).toBe(false);
    expect(await take('a', 'one')).toBe(true);
    expect((await t.db.fork().findOneOrFail(Lease, { id: 'a' })).holder).toBe('one');
    // Leases are independent of each other.
    expect(await take('b', 'two')).toBe(true);
  });

  it('can be taken by someone else once released, and only its holder releases it', async () => {
    expect(await take('c', 'one')).toBe(true);
    await releaseLease(t.db.fork(), 'c', 'two');
    expect(await take('c', 'two')).toBe(false);
    await releaseLease(t.db.fork(), 'c', 'one');
    // A released lease was given up, not lost: nobody is taken over.
    expect(await acquireLease(t.db.fork(), 'c', 'two', 60_000)).toEqual({ acquired: true, takenOver: null });
    expect((await t.db.fork().findOneOrFail(Lease, { id: 'c' })).holder).toBe('two');
  });

  it('a refusal names the holder and since when; renewals keep the since', async () => {
    expect(await take('s', 'one', 30_000, at(0))).toBe(true);
    expect(await renewLease(t.db.fork(), 's', 'one', 30_000, at(10_000))).toBe(true);
    expect(await take('s', 'one', 30_000, at(20_000))).toBe(true);
    expect(await acquireLease(t.db.fork(), 's', 'two', 30_000, at(45_000))).toEqual({
      acquired: false,
      heldBy: { holder: 'one', since: at(0), until: at(50_000) },
    });
  });

  it('lapses without a heartbeat: the next taker takes over and learns from whom', async () => {
    expect(await take('d', 'one', 30_000, at(0))).toBe(true);
    expect(await take('d', 'two', 30_000, at(29_000))).toBe(false);
    expect(await acquireLease(t.db.fork(), 'd', 'two', 30_000, at(31_000))).toEqual({
      acquired: true,
      takenOver: { holder: 'one', since: at(0), until: at(30_000) },
    });
    // The old holder's heartbeat now fails: it has lost the lease.
    expect(await renewLease(t.db.fork(), 'd', 'one', 30_000, at(32_000))).toBe(false);
    expect(await take('d', 'one', 30_000, at(33_000))).toBe(false);
    expect([...(await liveLeases(t.db.fork(), ['d', 'nothing'], at(33_000))).keys()]).toEqual(['d']);
    expect((await liveLeases(t.db.fork(), ['d'], at(62_000))).size).toBe(0);
  });

  it('goes to exactly one of many concurrent takers', async () => {
    for (const id of ['fresh', 'expired']) {
      if (id === 'expired') {
        await take(id, 'old');
        await t.db.fork().nativeUpdate(Lease, { id }, { until: new Date(Date.now() - 1000) });
      }
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => take(id, `holder-${i}`)));
      expect(results.filter(Boolean), id).toHaveLength(1);
      const winner = `holder-${results.indexOf(true)}`;
      expect((await t.db.fork().findOneOrFail(Lease, { id })).holder).toBe(winner);
    }
  });
});

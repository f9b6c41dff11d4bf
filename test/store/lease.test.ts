import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lease } from '../../src/store/entities/index.ts';
import { acquireLease, releaseLease } from '../../src/store/lease.ts';
import { backends, createTestDatabase, type TestDatabase } from '../support/database.ts';

describe.each(backends())('leases on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => t?.dispose());

  const take = (id: string, holder: string, ttlMs = 60_000) => acquireLease(t.db.fork(), id, holder, ttlMs);

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
    expect(await take('c', 'two')).toBe(true);
    expect((await t.db.fork().findOneOrFail(Lease, { id: 'c' })).holder).toBe('two');
  });

  it('can be taken by someone else once expired', async () => {
    expect(await take('d', 'one', 60_000)).toBe(true);
    // Expire it in the database rather than waiting for it.
    await t.db.fork().nativeUpdate(Lease, { id: 'd' }, { until: new Date(Date.now() - 1000) });
    expect(await take('d', 'two')).toBe(true);
    expect(await take('d', 'one')).toBe(false);
  });

  it('goes to exactly one of many concurrent takers', async () => {
    for (const id of ['fresh', 'expired']) {
      if (id === 'expired') {
        await take(id, 'old');
        await t.db.fork().nativeUpdate(Lease, { id }, { until: new Date(0) });
      }
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => take(id, `holder-${i}`)));
      expect(results.filter(Boolean), id).toHaveLength(1);
      const winner = `holder-${results.indexOf(true)}`;
      expect((await t.db.fork().findOneOrFail(Lease, { id })).holder).toBe(winner);
    }
  });
});

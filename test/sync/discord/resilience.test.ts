import { afterEach, describe, expect, it } from 'vitest';
import type { ApplyBatch } from '../../../src/sync/target.ts';
import type { DropMode } from '../../fakes/discord/index.ts';
import { batch, PATCH_MEMBER, rolesOf, startHarness, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A guild with `n` members, none yet in the role "Pilots", and the batch adding them all. */
async function seeded(n: number, options: Parameters<typeof startHarness>[0] = {}) {
  h = await startHarness(options);
  const pilots = h.fake.guild.addRole({ name: 'Pilots' }).id;
  const ids = Array.from({ length: n }, () => h?.fake.guild.addMember().user.id ?? '');
  await h.target.observe([pilots]);
  h.fake.clearRecords();
  const work: ApplyBatch = batch({ adds: [{ groupId: pilots, accountIds: ids }] });
  return { harness: h, pilots, ids, work };
}

function converged(harness: Harness, ids: readonly string[], role: string): boolean {
  return ids.every((id) => rolesOf(harness.fake, id)?.includes(role));
}

describe('Discord target: rate limits and faults', () => {
  it('paces itself by the headers: no 429 over many edits in a small bucket', async () => {
    const { harness, pilots, ids, work } = await seeded(25, {
      fake: { rateLimits: { memberEdit: { limit: 4, windowMs: 100 } } },
    });
    const report = await harness.target.apply(work);
    expect(report).toMatchObject({ added: 25, errors: [], skipped: [] });
    expect(harness.fake.count(PATCH_MEMBER)).toBe(25);
    expect(harness.fake.stats().rateLimited).toBe(0);
    expect(harness.target.rateLimitStats().received429).toBe(0);
    expect(harness.target.rateLimitStats().waits).toBeGreaterThan(0);
    expect(converged(harness, ids, pilots)).toBe(true);
  });

  it.each([false, true])('survives a 429 storm (global: %s) and converges', async (global) => {
    const { harness, pilots, ids, work } = await seeded(12);
    harness.fake.faults.rateLimitStorm(6, { retryAfterMs: 30, global });
    const report = await harness.target.apply(work);
    expect(report).toMatchObject({ added: 12, errors: [], skipped: [] });
    expect(harness.fake.stats().stormRateLimited).toBe(6);
    expect(harness.target.rateLimitStats().received429).toBe(6);
    expect(harness.target.rateLimitStats().global429).toBe(global ? 6 : 0);
    expect(converged(harness, ids, pilots)).toBe(true);
  });

  it('survives 5xx bursts longer than the REST client retries, with backoff', async () => {
    const { harness, pilots, ids, work } = await seeded(8);
    harness.fake.faults.failNext(6, 502);
    const report = await harness.target.apply(work);
    expect(report).toMatchObject({ added: 8, errors: [], skipped: [] });
    expect(harness.target.rateLimitStats().serverErrors).toBe(6);
    expect(harness.target.rateLimitStats().backoffRetries).toBeGreaterThan(0);
    expect(converged(harness, ids, pilots)).toBe(true);
  });

  it.each<DropMode>(['reset', 'close'])('survives dropped connections (%s)', async (mode) => {
    const { harness, pilots, ids, work } = await seeded(8);
    harness.fake.faults.dropNext(3, mode);
    const report = await harness.target.apply(work);
    expect(report).toMatchObject({ added: 8, errors: [], skipped: [] });
    expect(harness.fake.stats().dropped).toBe(3);
    expect(harness.target.rateLimitStats().networkErrors).toBe(3);
    expect(converged(harness, ids, pilots)).toBe(true);
  });

  it('records what it did when Discord stays down, and the next run finishes the job', async () => {
    const { harness, pilots, ids, work } = await seeded(20, {
      target: { backoffRetries: 1, restRetries: 0, concurrency: 1, maxConsecutiveFailures: 3 },
    });
    const [first, second] = ids as [string, string];
    await harness.target.apply(batch({ adds: [{ groupId: pilots, accountIds: [first, second] }] }));
    harness.fake.faults.failNext(1_000, 500);
    const report = await harness.target.apply(work);
    expect(report.added).toBe(0);
    expect(report.errors).toHaveLength(4);
    expect(report.errors.at(-1)).toMatch(/3 member edits failed in a row: 15 member edits not attempted/);
    expect(harness.fake.count(PATCH_MEMBER)).toBe(2 + 3 * 2);
    expect(harness.target.status().lastError).toMatch(/3 member edits failed in a row/);

    harness.fake.faults.clear();
    await harness.target.observe([pilots]);
    const retry = await harness.target.apply(work);
    expect(retry).toMatchObject({ added: 18, errors: [] });
    expect(converged(harness, ids, pilots)).toBe(true);
  });
});

describe('Discord target: a bot token Discord rejects', () => {
  it('says the token was rejected (401), at start and on every later call, never "Expected token"', async () => {
    h = await startHarness({ target: { token: 'not-the-bot-token' } });
    await h.target.start();
    const status = h.target.status();
    expect(status.connected).toBe(false);
    expect(status.lastError).toMatch(/Discord rejected the bot token \(401 Unauthorized\).*test-guild/);
    for (let i = 0; i < 2; i++) {
      const error = await h.target.observe([]).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toMatch(/Discord rejected the bot token \(401 Unauthorized\)/);
      expect(error?.message).not.toMatch(/Expected token/);
    }
    expect(h.target.status().lastError).not.toMatch(/Expected token/);
  });
});

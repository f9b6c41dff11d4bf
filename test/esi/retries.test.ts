import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEsiClient } from '../../src/esi/client.ts';
import { EsiError } from '../../src/esi/errors.ts';
import { startFakeEsi, type FakeEsi } from '../fakes/esi/index.ts';
import { ALICE, ALPHA, clientFor, closedPortUrl, memoryLogger, seedStandard } from './fixtures.ts';

let fake: FakeEsi;
beforeAll(async () => {
  fake = await startFakeEsi();
  seedStandard(fake);
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.clearLog();
  fake.resetErrorLimit();
  fake.clearFaults();
});

describe('retries', () => {
  it('retries 5xx with backoff and succeeds', async () => {
    const sleeps: number[] = [];
    const esi = clientFor(fake, {
      backoffMinMs: 100,
      backoffMaxMs: 150,
      sleep: async (ms) => void sleeps.push(ms),
    });
    fake.failNext(2, 502);
    await expect(esi.getCharacter(ALICE)).resolves.toMatchObject({ name: 'Alice' });
    expect(fake.requests.map((r) => r.status)).toEqual([502, 502, 200]);
    expect(esi.stats()).toMatchObject({ calls: 3, retries: 2 });
    // Exponential with jitter: the first wait in [50, 100], the second in [75, 150] (capped).
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(sleeps[0]).toBeLessThanOrEqual(100);
    expect(sleeps[1]).toBeGreaterThanOrEqual(75);
    expect(sleeps[1]).toBeLessThanOrEqual(150);
  });

  it('gives up after maxRetries with a transient error', async () => {
    fake.failNext(3, 503);
    const error = await clientFor(fake, { maxRetries: 2 })
      .getCorporation(ALPHA)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EsiError);
    expect(error).toMatchObject({ status: 503, transient: true, route: '/corporations/{corporation_id}/' });
    expect(fake.counts().total).toBe(3);
  });

  it('does not retry a 4xx', async () => {
    await expect(clientFor(fake).getCharacter(91_000_000)).rejects.toMatchObject({ status: 404 });
    await expect(clientFor(fake).getAffiliations([])).resolves.toEqual([]);
    expect(fake.counts().total).toBe(1);
  });

  it('retries a timed-out request', async () => {
    fake.delayNext(1, 1_000);
    const esi = clientFor(fake, { timeoutMs: 100 });
    await expect(esi.getCharacter(ALICE)).resolves.toMatchObject({ name: 'Alice' });
    expect(esi.stats()).toMatchObject({ retries: 1 });
  });

  it('reports a network failure as transient with no status, and logs no token', async () => {
    const { logger, text } = memoryLogger();
    const esi = createEsiClient(
      {
        baseUrl: await closedPortUrl(),
        userAgent: 'Roster-tests',
        maxRetries: 1,
        backoffMinMs: 1,
        backoffMaxMs: 1,
      },
      logger,
    );
    const error = await esi.getCorporationMembers(ALPHA, 'secret-access-token').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EsiError);
    expect(error).toMatchObject({
      status: null,
      transient: true,
      route: '/corporations/{corporation_id}/members/',
    });
    expect(esi.stats().calls).toBe(2);
    expect(text()).toContain('esi:retry');
    expect(text()).not.toContain('secret-access-token');
  });

  it('requires a user agent', () => {
    expect(() => createEsiClient({ userAgent: ' ' })).toThrow(/userAgent/);
  });
});

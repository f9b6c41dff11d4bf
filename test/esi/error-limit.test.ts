import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createErrorLimitGovernor } from '../../src/esi/error-limit.ts';
import { EsiNotFoundError } from '../../src/esi/errors.ts';
import { startFakeEsi, type FakeEsi } from '../fakes/esi/index.ts';
import { ALICE, clientFor, memoryLogger, seedStandard } from './fixtures.ts';

const limitHeaders = (remain: number, reset: number) =>
  new Headers({ 'x-esi-error-limit-remain': String(remain), 'x-esi-error-limit-reset': String(reset) });

describe('error-limit governor', () => {
  let now = 1_000_000;
  const governor = () =>
    createErrorLimitGovernor({
      slowdownBelow: 20,
      pauseBelow: 5,
      maxSlowdownMs: 5_000,
      pauseMarginMs: 500,
      defaultResetMs: 60_000,
      now: () => now,
    });

  it('lets requests through while the budget is healthy', () => {
    const g = governor();
    expect(g.nextWait()).toEqual({ kind: 'none' });
    g.observe(limitHeaders(100, 60));
    expect(g.nextWait()).toEqual({ kind: 'none' });
    expect(g.lastRemain()).toBe(100);
  });

  it('spreads the rest of the window over the errors left, then pauses until the reset', () => {
    const g = governor();
    g.observe(limitHeaders(19, 30));
    expect(g.nextWait()).toEqual({ kind: 'slowdown', ms: 2_000 }); // 30 s over 15 errors
    g.observe(limitHeaders(4, 30));
    expect(g.nextWait()).toEqual({ kind: 'pause', ms: 30_500 });
    now += 31_000;
    expect(g.nextWait()).toEqual({ kind: 'none' }); // window turned over
    expect(g.lastRemain()).toBe(4);
  });

  it('pauses when the budget is spent, whatever the thresholds', () => {
    const g = createErrorLimitGovernor({
      slowdownBelow: 0,
      pauseBelow: 0,
      maxSlowdownMs: 0,
      pauseMarginMs: 0,
      defaultResetMs: 0,
      now: () => now,
    });
    g.observe(limitHeaders(1, 10));
    expect(g.nextWait()).toEqual({ kind: 'none' });
    g.observe(limitHeaders(0, 10));
    expect(g.nextWait()).toEqual({ kind: 'pause', ms: 10_000 });
  });

  it('pauses for the default window after a 420 without headers', () => {
    const g = governor();
    g.limited(new Headers());
    expect(g.nextWait()).toEqual({ kind: 'pause', ms: 60_500 });
    expect(g.lastRemain()).toBe(0);
  });
});

describe('against the fake ESI', () => {
  let fake: FakeEsi;
  beforeEach(async () => {
    fake = await startFakeEsi({ errorLimit: 10, errorWindowSeconds: 1 });
    seedStandard(fake);
  });
  afterEach(() => fake.close());

  it('slows down, then pauses until the reset, and never gets a 420', async () => {
    const memory = memoryLogger();
    const esi = clientFor(
      fake,
      {
        errorLimitSlowdownBelow: 7,
        errorLimitPauseBelow: 3,
        errorLimitMaxSlowdownMs: 5,
        errorLimitPauseMarginMs: 50,
      },
      memory.logger,
    );
    fake.resetErrorLimit();
    for (let i = 0; i < 40 && esi.stats().pauses === 0; i += 1) {
      await expect(esi.getCharacter(91_000_000 + i)).rejects.toBeInstanceOf(EsiNotFoundError);
    }
    expect(esi.stats().pauses).toBe(1);
    expect(esi.stats().slowdowns).toBeGreaterThan(0);
    expect(fake.counts().errorLimited).toBe(0);
    const events = memory.lines.map((l) => l.msg).filter((m) => String(m).startsWith('esi:error-limit'));
    expect(events.at(-1)).toBe('esi:error-limit-pause');
    expect(events[0]).toBe('esi:error-limit-slowdown');
    // The paused request went out after the reset: the budget is whole again.
    await esi.getCharacter(ALICE);
    expect(esi.errorLimitRemain()).toBeGreaterThan(7);
  });

  it('waits for the reset after a 420 and then succeeds', async () => {
    const esi = clientFor(fake, { errorLimitPauseMarginMs: 50 });
    fake.resetErrorLimit();
    // Another process on the same IP spends the budget: this client learns of it from the 420.
    for (let i = 0; i < 10; i += 1) await fetch(`${fake.url}/characters/91000000/`).then((r) => r.text());
    await expect(esi.getCharacter(ALICE)).resolves.toMatchObject({ name: 'Alice' });
    expect(fake.requests.map((r) => r.status)).toEqual([...Array<number>(10).fill(404), 420, 200]);
    expect(esi.stats()).toMatchObject({ pauses: 1, retries: 1 });
  });
});

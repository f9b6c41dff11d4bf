import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backoffCeiling, backoffDelay, type BackoffPolicy, type Jitter } from '../src/backoff.ts';

const fixed = (value: number) => () => value;

describe('backoffDelay', () => {
  it('doubles from minMs up to maxMs, exactly, without jitter', () => {
    const policy: BackoffPolicy = { minMs: 500, maxMs: 10_000, jitter: 'none' };
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, policy))).toEqual([
      500, 1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
  });

  it('draws equal jitter between half the ceiling and the ceiling', () => {
    const policy: BackoffPolicy = { minMs: 100, maxMs: 150, jitter: 'equal' };
    expect(backoffDelay(0, policy, fixed(0))).toBe(50);
    expect(backoffDelay(0, policy, fixed(0.999_999))).toBe(100);
    expect(backoffDelay(1, policy, fixed(0))).toBe(75);
    expect(backoffDelay(1, policy, fixed(0.5))).toBe(113);
  });

  it('spreads ±10 % around the ceiling, never past maxMs', () => {
    const policy: BackoffPolicy = { minMs: 1000, maxMs: 4000, jitter: { spread: 0.1 } };
    expect(backoffDelay(0, policy, fixed(0))).toBe(900);
    expect(backoffDelay(0, policy, fixed(0.999_999))).toBe(1100);
    expect(backoffDelay(5, policy, fixed(0))).toBe(3600);
    expect(backoffDelay(5, policy, fixed(0.999_999))).toBe(4000);
  });

  it('stays a number for attempts far past the cap, even with minMs 0', () => {
    expect(backoffDelay(5_000, { minMs: 0, maxMs: 100, jitter: 'none' })).toBe(0);
    expect(backoffDelay(5_000, { minMs: 1, maxMs: 100, jitter: 'equal' }, fixed(0.5))).toBe(75);
  });

  it('holds its bounds for every attempt, policy and draw', () => {
    const jitter = fc.oneof(
      fc.constant<Jitter>('none'),
      fc.constant<Jitter>('equal'),
      fc.double({ min: 0, max: 0.5, noNaN: true }).map((spread): Jitter => ({ spread })),
    );
    const policy = fc
      .record({
        minMs: fc.integer({ min: 0, max: 60_000 }),
        extra: fc.integer({ min: 0, max: 600_000 }),
        jitter,
      })
      .map(({ minMs, extra, jitter }): BackoffPolicy => ({ minMs, maxMs: minMs + extra, jitter }));
    const draw = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
    fc.assert(
      fc.property(fc.nat({ max: 10_000 }), policy, draw, (attempt, p, r) => {
        const ceiling = backoffCeiling(attempt, p);
        const delay = backoffDelay(attempt, p, () => r);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeLessThanOrEqual(p.maxMs);
        expect(ceiling).toBeLessThanOrEqual(p.maxMs);
        expect(ceiling).toBeGreaterThanOrEqual(Math.min(p.minMs, p.maxMs));
        // The ceiling never shrinks from one attempt to the next.
        expect(backoffCeiling(attempt + 1, p)).toBeGreaterThanOrEqual(ceiling);
        if (p.jitter === 'none') expect(delay).toBe(ceiling);
        else if (p.jitter === 'equal') {
          expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
          expect(delay).toBeLessThanOrEqual(ceiling);
        } else {
          expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling * (1 - p.jitter.spread)));
          expect(delay).toBeLessThanOrEqual(Math.ceil(ceiling * (1 + p.jitter.spread)));
        }
      }),
    );
  });
});

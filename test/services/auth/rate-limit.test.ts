import { describe, expect, it } from 'vitest';
import { createAuthLimiter } from '../../../src/services/auth/rate-limit.ts';

describe('rate limiters keep a bounded map of addresses', () => {
  it('forgets addresses whose failures are older than a minute', () => {
    let clock = 0;
    const limiter = createAuthLimiter(3, () => clock);
    for (let i = 0; i < 5000; i++) limiter.fail(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size()).toBe(5000);
    clock += 61_000;
    limiter.fail('192.0.2.1');
    expect(limiter.size()).toBe(1);
  });

  it('holds at most maxAddresses, dropping the oldest first, within a minute too', () => {
    let clock = 0;
    const limiter = createAuthLimiter(2, () => clock, { maxAddresses: 100 });
    for (let i = 0; i < 1000; i++) {
      clock += 1;
      limiter.fail(`10.1.${i >> 8}.${i & 255}`);
    }
    expect(limiter.size()).toBe(100);
    limiter.fail('10.1.3.231');
    limiter.fail('10.1.3.231');
    expect(limiter.blocked('10.1.3.231')).toBe(true); // the newest are kept, and still counted
  });
});

import { describe, expect, it } from 'vitest';
import { newId } from '../src/crypto.ts';

describe('newId', () => {
  it('is a version 7 UUID whose order follows time', async () => {
    const first = newId();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = newId();
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first < second).toBe(true);
    expect(parseInt(first.replaceAll('-', '').slice(0, 12), 16)).toBeLessThanOrEqual(Date.now());
  });

  it('does not repeat', () => {
    const ids = new Set(Array.from({ length: 10_000 }, newId));
    expect(ids.size).toBe(10_000);
  });
});

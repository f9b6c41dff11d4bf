import { describe, expect, it } from 'vitest';
import { coalesced } from './coalesce.ts';

/** A work function whose runs end when the test says so; each run's result is its number. */
function controlled() {
  const ends: { resolve: (n: number) => void; reject: (e: Error) => void }[] = [];
  const work = () =>
    new Promise<number>((resolve, reject) => {
      ends.push({ resolve: () => resolve(ends.length), reject });
    });
  return { work, ends };
}

describe('coalesced work', () => {
  it('runs once for a lone call, and calls during a run share the one run after it', async () => {
    const { work, ends } = controlled();
    const run = coalesced(work);
    const first = run();
    const during = [run(), run(), run(), run(), run()];
    expect(ends).toHaveLength(1);
    ends[0]!.resolve(0);
    expect(await first).toBe(1);
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(ends).toHaveLength(2);
    const late = run();
    ends[1]!.resolve(0);
    expect(await Promise.all(during)).toEqual([2, 2, 2, 2, 2]);
    // `late` arrived while run 2 ran: it gets a run 3 of its own.
    await new Promise((r) => setImmediate(r));
    expect(ends).toHaveLength(3);
    ends[2]!.resolve(0);
    expect(await late).toBe(3);
  });

  it('starts the next run even when the one in progress fails, and the failure reaches only its callers', async () => {
    const { work, ends } = controlled();
    const run = coalesced(work);
    const first = run();
    const second = run();
    ends[0]!.reject(new Error('boom'));
    await expect(first).rejects.toThrow('boom');
    await new Promise((r) => setImmediate(r));
    expect(ends).toHaveLength(2);
    ends[1]!.resolve(0);
    expect(await second).toBe(2);
    // Idle again: a new call starts at once.
    const third = run();
    expect(ends).toHaveLength(3);
    ends[2]!.resolve(0);
    expect(await third).toBe(3);
  });
});

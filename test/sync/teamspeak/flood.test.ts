import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { CommandPacer, pacedBudget } from '../../../src/sync/teamspeak/pacer.ts';
import { connectedTarget, fakeServer } from './helpers.ts';

/** Most commands that arrived within any `windowMs` stretch, per connection, from the fake's log. */
function busiestWindow(times: readonly number[], windowMs: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while ((times[i] ?? 0) - (times[j] ?? 0) >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('command pacer', () => {
  it('keeps one command of slack and a margin on the window', () => {
    expect(pacedBudget({ commandsPerWindow: 10, windowMs: 3000 })).toEqual({ limit: 9, windowMs: 3300 });
    expect(pacedBudget({ commandsPerWindow: 2, windowMs: 500 })).toEqual({ limit: 2, windowMs: 600 });
  });

  it('runs tasks one at a time, in order, never more than the limit per window', async () => {
    // Fake timers: the pacer's own clock, so a loaded machine cannot skew the measured starts.
    vi.useFakeTimers();
    onTestFinished(() => void vi.useRealTimers());
    const pacer = new CommandPacer({ commandsPerWindow: 4, windowMs: 100 });
    const started: number[] = [];
    const order: number[] = [];
    let running = 0;
    const all = Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        pacer.run(async () => {
          expect(running).toBe(0);
          running += 1;
          started.push(Date.now());
          order.push(i);
          await new Promise((resolve) => setImmediate(resolve));
          running -= 1;
        }),
      ),
    );
    await vi.runAllTimersAsync();
    await all;
    // 12 tasks at 4 per 200 ms window: the last batch cannot start before two full windows.
    expect(started.at(-1)! - started[0]!).toBeGreaterThanOrEqual(2 * pacer.budget.windowMs);
    expect(order).toEqual([...Array(12).keys()]);
    expect(busiestWindow(started, pacer.budget.windowMs)).toBeLessThanOrEqual(pacer.budget.limit);
    pacer.close();
    await expect(pacer.run(async () => 1)).rejects.toThrow(/closed/);
  });
});

describe('TeamSpeak target: flood protection', () => {
  it('sends a burst of 100 commands without tripping the fake (10 commands per window, bans on)', async () => {
    const budget = { commands: 10, windowMs: 300 };
    const fake = await fakeServer({ flood: budget });
    const t = await connectedTarget(fake, { commandsPerWindow: budget.commands, windowMs: budget.windowMs });
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? t.listGroups() : t.listOnlineClients())),
    );
    expect(results).toHaveLength(100);
    expect(fake.floodEvents()).toEqual([]);
    expect(fake.bans()).toEqual([]);
    expect(fake.commandLog().every((e) => e.errorId !== 524)).toBe(true);
    expect(
      busiestWindow(
        fake.commandLog().map((e) => e.at),
        budget.windowMs,
      ),
    ).toBeLessThanOrEqual(budget.commands);
    expect(t.status()).toMatchObject({ connected: true, lastError: null });
    expect(t.callsIssued()).toBe(4 + 100);
  });

  it("stays within TeamSpeak's default budget (10 per 3 s) unchanged", async () => {
    const fake = await fakeServer({ flood: {} });
    const t = await connectedTarget(fake, { commandsPerWindow: 10, windowMs: 3000 });
    await Promise.all(Array.from({ length: 20 }, () => t.listGroups()));
    expect(fake.floodEvents()).toEqual([]);
    expect(fake.bans()).toEqual([]);
    expect(
      busiestWindow(
        fake.commandLog().map((e) => e.at),
        3000,
      ),
    ).toBeLessThanOrEqual(10);
  });

  it('would be flood-banned without pacing, and says so in status', async () => {
    const fake = await fakeServer({ flood: { commands: 10, windowMs: 300 } });
    const t = await connectedTarget(fake, { commandsPerWindow: 1000, windowMs: 300, reconnectMinMs: 50 });
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => t.listGroups()));
    expect(results.some((r) => r.status === 'rejected')).toBe(true);
    expect(fake.floodEvents()).toHaveLength(1);
    expect(fake.bans().map((b) => b.address)).toEqual(['127.0.0.1']);
    while (!/refused by TeamSpeak/.test(t.status().lastError ?? ''))
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(t.status().lastError).toMatch(/you are banned, you may retry in \d+ seconds/);
    expect(t.status().connected).toBe(false);
  });
});

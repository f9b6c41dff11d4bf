import { describe, expect, it } from 'vitest';
import { noticeText, planRemovals, type GivenNotice, type Losing } from '../../src/domain/index.ts';

const now = new Date('2026-12-02T00:00:00Z');
const HOUR = 3_600_000;
const at = (hours: number) => new Date(now.getTime() + hours * HOUR);
const losing = (userId: string, reason: Losing['reason'], dueAt = now, groupId = 'g'): Losing => ({
  groupId,
  userId,
  reason,
  detail: `why ${userId}`,
  dueAt,
});
const grace24 = (groupId: string) => (groupId === 'g' ? 24 * HOUR : null);

describe('planRemovals', () => {
  it('removes at once where the group gives no grace (end dates only once passed)', () => {
    const plan = planRemovals(
      [losing('a', 'rule', now, 'x'), losing('b', 'expiry', at(-1), 'x'), losing('c', 'expiry', at(1), 'x')],
      grace24,
      [],
      now,
    );
    expect(plan.remove.map((r) => r.userId)).toEqual(['a', 'b']);
    expect(plan.notify).toEqual([]);
    expect(plan.hold).toEqual([]);
  });

  it('gives a notice and holds the removal for the grace; an end date stays the end date', () => {
    const plan = planRemovals(
      [losing('a', 'rule'), losing('b', 'expiry', at(3)), losing('c', 'login')],
      grace24,
      [],
      now,
    );
    expect(plan.remove).toEqual([]);
    expect(plan.notify.map((n) => [n.userId, n.reason, n.removeAt])).toEqual([
      ['a', 'rule', at(24)],
      ['b', 'expiry', at(3)],
      ['c', 'login', at(24)],
    ]);
  });

  it('keeps the date of a notice given earlier, removes once it passed, and withdraws notices that no longer apply', () => {
    const given: GivenNotice[] = [
      { groupId: 'g', userId: 'a', reason: 'rule', removeAt: at(5) },
      { groupId: 'g', userId: 'b', reason: 'rule', removeAt: at(-1) },
      { groupId: 'g', userId: 'c', reason: 'rule', removeAt: at(5) },
      { groupId: 'g', userId: 'd', reason: 'rule', removeAt: at(5) },
    ];
    const plan = planRemovals(
      [losing('a', 'rule'), losing('b', 'rule'), losing('d', 'login')],
      grace24,
      given,
      now,
    );
    expect(plan.hold.map((h) => [h.userId, h.removeAt])).toEqual([
      ['a', at(5)],
      ['d', at(24)],
    ]);
    expect(plan.remove.map((r) => r.userId)).toEqual(['b']);
    // c matches again; d's reason changed, so d is told again.
    expect(plan.clear.map((n) => n.userId).sort()).toEqual(['c', 'd']);
    expect(plan.notify.map((n) => [n.userId, n.reason])).toEqual([['d', 'login']]);
  });

  it('says why and until when', () => {
    expect(
      noticeText({ groupName: 'FC', reason: 'rule', detail: 'clearance 1 is below 2', removeAt: at(24) }),
    ).toBe(
      'Roster: you will lose the group "FC" on 2026-12-03 00:00 UTC: you no longer meet its rule (clearance 1 is below 2).',
    );
  });
});

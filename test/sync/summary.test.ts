import { describe, expect, it } from 'vitest';
import { plan, removalKey } from '../../src/sync/plan.ts';
import { formatPlan, formatSkipped } from '../../src/sync/plan-text.ts';
import { planLabels, summarizePlan } from '../../src/sync/summary.ts';

const now = new Date('2026-01-01T00:00:00Z');

const sample = plan({
  platform: 'teamspeak',
  target: 'main',
  desired: [
    {
      mappingId: 'm1',
      groupId: 'g1',
      groupName: 'FC',
      displayName: 'Fleet Commanders',
      platformGroupId: '7',
      mode: 'managed',
      members: new Set(['1', '2']),
    },
    {
      mappingId: 'm2',
      groupId: 'g2',
      groupName: 'Logi',
      displayName: 'Logi',
      platformGroupId: null,
      mode: 'managed',
      members: new Set(['3']),
    },
    {
      mappingId: 'm3',
      groupId: 'g3',
      groupName: 'Caps',
      displayName: 'Caps',
      platformGroupId: null,
      mode: 'grantOnly',
      members: new Set(),
    },
  ],
  platformGroups: [
    { id: '7', name: 'FC' },
    { id: '9', name: 'Caps' },
  ],
  observed: new Map([['7', new Set(['2', '4', '5'])]]),
  presentAccounts: null,
  desiredNicknames: new Map([['2', '[AAA] Bob']]),
  observedNicknames: new Map([['2', 'bob']]),
  pendingRemovals: new Map([[removalKey('7', '4'), new Date(now.getTime() - 3_600_000)]]),
  now,
  removalGraceMs: 1_800_000,
  lastApplied: new Map([['7', new Set(['1', '2', '4'])]]),
});

describe('plan summary', () => {
  it('counts every kind of change and serializes as plain JSON', () => {
    const summary = summarizePlan(sample);
    expect(summary.counts).toEqual({
      creates: 1,
      renames: 1,
      adds: 2,
      removes: 1,
      heldRemovals: 1,
      nicknames: 1,
      absentAccounts: 0,
      driftAdded: 1,
      driftRemoved: 1,
      managedMemberships: 3,
    });
    expect(summary.adopts).toEqual([{ mappingId: 'm3', platformGroupId: '9', name: 'Caps' }]);
    expect(summary.heldRemovals).toEqual([
      { mappingId: 'm1', platformGroupId: '7', accountId: '5', dueAt: '2026-01-01T00:30:00.000Z' },
    ]);
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
  });

  it('prints a dry run with group names, members named beside their ids, ids in numeric order', () => {
    const labels = planLabels(
      new Map([
        ['m1', 'Fleet Commanders'],
        ['m2', 'Logi'],
        ['m3', 'Caps'],
      ]),
      new Map([
        ['u1', '1'],
        ['u2', '2'],
        ['u3', '3'],
        ['u5', '5'],
      ]),
      (userId) => ({ u1: 'Alice', u2: 'Bob', u3: 'Carol', u5: 'Eve' })[userId],
      new Map([
        ['2', 'bob'],
        ['4', 'stranger'],
        ['5', 'Eve'],
      ]),
    );
    const summary = summarizePlan(sample, labels);
    expect(summary.accounts['4']).toEqual({ name: null, nickname: 'stranger' });
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
    expect(formatPlan(summary)).toEqual([
      'plan for teamspeak target "main":',
      '  create group "Logi"',
      '  adopt existing group "Caps" (id 9)',
      '  rename "FC" -> "Fleet Commanders"',
      '  add 1 to "Fleet Commanders":',
      '    1  Alice',
      '  add 1 to "Logi":',
      '    3  Carol',
      '  remove 1 from "Fleet Commanders":',
      '    4  "stranger" (no directory user)',
      '  hold 1 removals from "Fleet Commanders" (grace period):',
      '    5  Eve until 2026-01-01T00:30:00.000Z',
      '  nickname changes (1):',
      '    2  Bob: "bob" -> "[AAA] Bob"',
    ]);
  });

  it('sorts ids as numbers and shows the first ones of a long list, then how many more; or all of them', () => {
    const ids = Array.from({ length: 25 }, (_, i) => String(1000 - i * 40)); // 1000 down to 40
    const big = plan({
      ...emptyInput,
      platform: 'teamspeak',
      presentAccounts: null,
      desired: [
        {
          mappingId: 'm1',
          groupId: 'g1',
          groupName: 'Pilots',
          displayName: 'Pilots',
          platformGroupId: '7',
          mode: 'managed',
          members: new Set([...ids, '9', '10']),
        },
      ],
      platformGroups: [{ id: '7', name: 'Pilots' }],
    });
    expect(big.adds[0]!.accountIds.slice(0, 4)).toEqual(['9', '10', '40', '80']);
    const summary = summarizePlan(
      big,
      planLabels(new Map([['m1', 'Pilots']]), new Map(), () => undefined, new Map()),
    );
    const lines = formatPlan(summary, { showAll: '--all shows every one' });
    expect(lines.slice(1, 4)).toEqual([
      '  add 27 to "Pilots":',
      '    9    (no directory user)',
      '    10   (no directory user)',
    ]);
    expect(lines).toHaveLength(2 + 20 + 1);
    expect(lines.at(-1)).toBe('    ... and 7 more (--all shows every one)');
    const all = formatPlan(summary, { limit: null });
    expect(all).toHaveLength(2 + 27);
    expect(all.at(-1)).toBe('    1000  (no directory user)');
  });

  it('names the member and the group of a skipped change, and summarises a long list', () => {
    const skipped = [
      {
        accountId: '42',
        groupId: '900',
        groupName: 'Directors',
        reason: "role is at or above the bot's highest role",
      },
      { accountId: '43', reason: "Discord does not let bots change the guild owner's nickname" },
    ];
    const accounts = {
      '42': { name: 'Alice', nickname: '[CORP] Alice' },
      '43': { name: 'Bob', nickname: null },
    };
    expect(formatSkipped(skipped, accounts, 20, '')).toEqual([
      `  skipped   42 Alice ("[CORP] Alice") in "Directors": role is at or above the bot's highest role`,
      `  skipped   43 Bob: Discord does not let bots change the guild owner's nickname`,
    ]);
    expect(formatSkipped(skipped, accounts, 1, '--all shows every one').at(-1)).toBe(
      '  skipped   ... and 1 more (--all shows every one)',
    );
  });

  it('says when there is nothing to do', () => {
    const empty = plan({ ...emptyInput });
    expect(formatPlan(summarizePlan(empty))).toEqual(['plan for discord target "guild":', '  nothing to do']);
  });
});

const emptyInput = {
  platform: 'discord' as const,
  target: 'guild',
  desired: [],
  platformGroups: [],
  observed: new Map(),
  presentAccounts: new Set<string>(),
  desiredNicknames: new Map(),
  observedNicknames: new Map(),
  pendingRemovals: new Map(),
  now,
  removalGraceMs: 0,
  lastApplied: null,
};

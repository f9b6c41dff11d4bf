import { describe, expect, it } from 'vitest';
import { plan, removalKey } from '../../src/sync/plan.ts';
import { formatPlan, summarizePlan } from '../../src/sync/summary.ts';

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

  it('prints one line per change for a dry run', () => {
    const names: Record<string, string> = { m1: 'FC', m2: 'Logi', m3: 'Caps' };
    expect(formatPlan(summarizePlan(sample), (id) => names[id]!)).toEqual([
      'plan for teamspeak target "main":',
      '  create group "Logi"',
      '  adopt existing group "Caps" (id 9)',
      '  rename "FC" -> "Fleet Commanders"',
      '  add 1 to FC: 1',
      '  add 1 to Logi: 3',
      '  remove 1 from FC: 4',
      '  hold removal of 5 from FC until 2026-01-01T00:30:00.000Z',
      '  nickname 2: "bob" -> "[AAA] Bob"',
    ]);
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

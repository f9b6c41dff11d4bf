import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plan, removalKey, type DesiredGroup, type Plan, type PlanInput } from '../../src/sync/plan.ts';
import type { PlatformGroup } from '../../src/sync/target.ts';

const accounts = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8', 'a9'];

interface PlatformState {
  readonly groups: Map<string, { name: string; members: Set<string> }>;
}

function baseInput(fields: Partial<PlanInput>): PlanInput {
  return {
    platform: 'teamspeak',
    target: 'main',
    desired: [],
    platformGroups: [],
    observed: new Map(),
    presentAccounts: null,
    desiredNicknames: new Map(),
    observedNicknames: new Map(),
    pendingRemovals: new Map(),
    now: new Date('2026-01-01T00:00:00Z'),
    removalGraceMs: 0,
    lastApplied: null,
    ...fields,
  };
}

/** Feeds the platform state to the planner the way the engine does. */
function inputOf(
  state: PlatformState,
  desired: readonly DesiredGroup[],
  fields: Partial<PlanInput> = {},
): PlanInput {
  return baseInput({
    desired,
    platformGroups: [...state.groups].map(([id, g]) => ({ id, name: g.name })),
    // Observations of every group, unmanaged ones too: the planner must ignore what it does not manage.
    observed: new Map([...state.groups].map(([id, g]) => [id, new Set(g.members)])),
    ...fields,
  });
}

/**
 * Applies a plan to a copy of the platform state as a target would: creations (fresh ids),
 * adoptions, renames, then adds, then removes. Fails on anything a correct plan never asks.
 */
function applyPlan(p: Plan, state: PlatformState, desired: readonly DesiredGroup[]) {
  const groups = new Map(
    [...state.groups].map(([id, g]) => [id, { name: g.name, members: new Set(g.members) }]),
  );
  const idOf = new Map<string, string>();
  const touched = new Set<string>();
  for (const d of desired)
    if (d.platformGroupId && groups.has(d.platformGroupId)) idOf.set(d.mappingId, d.platformGroupId);
  const createdNames = new Set<string>();
  for (const c of p.creates) {
    expect(idOf.has(c.mappingId), `create for ${c.mappingId}, which has a live group`).toBe(false);
    expect(createdNames.has(c.name), `"${c.name}" created twice`).toBe(false);
    createdNames.add(c.name);
    const id = `new:${c.mappingId}`;
    groups.set(id, { name: c.name, members: new Set() });
    idOf.set(c.mappingId, id);
  }
  for (const a of p.adopts) {
    expect(idOf.has(a.mappingId), `adoption for ${a.mappingId}, which has a group`).toBe(false);
    expect([...idOf.values()]).not.toContain(a.platformGroupId);
    idOf.set(a.mappingId, a.platformGroupId);
    touched.add(a.platformGroupId);
  }
  const resolve = (mappingId: string, platformGroupId: string | null) => {
    const id = idOf.get(mappingId);
    expect(id, `delta for unknown mapping ${mappingId}`).toBeDefined();
    if (platformGroupId !== null) expect(platformGroupId).toBe(id);
    touched.add(id!);
    return groups.get(id!)!;
  };
  for (const r of p.renames) {
    const g = resolve(r.mappingId, r.platformGroupId);
    expect(r.from).toBe(g.name);
    g.name = r.to;
  }
  for (const add of p.adds)
    for (const a of add.accountIds) resolve(add.mappingId, add.platformGroupId).members.add(a);
  for (const rem of p.removes)
    for (const a of rem.accountIds) resolve(rem.mappingId, rem.platformGroupId).members.delete(a);
  return { groups, idOf, touched };
}

type IdState = 'live' | 'live-renamed' | 'live-with-decoy' | 'dead' | 'none' | 'none-orphan' | 'dead-orphan';

interface Scenario {
  readonly state: PlatformState;
  readonly desired: DesiredGroup[];
  /** Platform groups Roster does not manage (including look-alikes of managed ones). */
  readonly unmanaged: Set<string>;
  /** Mapping id -> id of the orphan group it should adopt. */
  readonly orphans: Map<string, string>;
  readonly presentAccounts: Set<string> | null;
}

const members = fc.subarray(accounts);

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    mapped: fc.array(
      fc.record({
        mode: fc.constantFrom<DesiredGroup['mode']>('managed', 'grantOnly'),
        idState: fc.constantFrom<IdState>(
          'live',
          'live-renamed',
          'live-with-decoy',
          'dead',
          'none',
          'none-orphan',
          'dead-orphan',
        ),
        wanted: members,
        onPlatform: members,
        decoyMembers: members,
      }),
      { maxLength: 6 },
    ),
    unmanaged: fc.array(members, { maxLength: 4 }),
    present: fc.option(members, { nil: null }),
  })
  .map(({ mapped, unmanaged, present }) => {
    const groups = new Map<string, { name: string; members: Set<string> }>();
    const unmanagedIds = new Set<string>();
    const orphans = new Map<string, string>();
    unmanaged.forEach((m, j) => {
      groups.set(`u${j}`, { name: `Server Admin ${j}`, members: new Set(m) });
      unmanagedIds.add(`u${j}`);
    });
    const desired = mapped.map((g, i): DesiredGroup => {
      const mappingId = `m${i}`;
      const displayName = `Group ${i}`;
      let platformGroupId: string | null = null;
      switch (g.idState) {
        case 'live':
        case 'live-renamed':
        case 'live-with-decoy':
          platformGroupId = `p${i}`;
          groups.set(platformGroupId, {
            name: g.idState === 'live-renamed' ? `Old name ${i}` : displayName,
            members: new Set(g.onPlatform),
          });
          if (g.idState === 'live-with-decoy') {
            // A group someone made by hand with the very same name: tracked by id, so never touched.
            groups.set(`d${i}`, { name: displayName, members: new Set(g.decoyMembers) });
            unmanagedIds.add(`d${i}`);
          }
          break;
        case 'dead':
          platformGroupId = `x${i}`;
          break;
        case 'dead-orphan':
          platformGroupId = `x${i}`;
          groups.set(`o${i}`, { name: displayName, members: new Set(g.onPlatform) });
          orphans.set(mappingId, `o${i}`);
          break;
        case 'none-orphan':
          groups.set(`o${i}`, { name: displayName, members: new Set(g.onPlatform) });
          orphans.set(mappingId, `o${i}`);
          break;
        case 'none':
          break;
      }
      return {
        mappingId,
        groupId: `g${i}`,
        groupName: `group-${i}`,
        displayName,
        platformGroupId,
        mode: g.mode,
        members: new Set(g.wanted),
      };
    });
    return {
      state: { groups },
      desired,
      unmanaged: unmanagedIds,
      orphans,
      presentAccounts: present === null ? null : new Set(present),
    };
  });

describe('plan (properties)', () => {
  it('applied to the observed state, yields the desired members of managed groups; grantOnly groups only gain', () => {
    fc.assert(
      fc.property(scenario, ({ state, desired, presentAccounts }) => {
        const p = plan(inputOf(state, desired, { presentAccounts }));
        const after = applyPlan(p, state, desired);
        const present = (a: string) => presentAccounts === null || presentAccounts.has(a);
        for (const d of desired) {
          const id = after.idOf.get(d.mappingId)!;
          const group = after.groups.get(id)!;
          expect(group.name).toBe(d.displayName);
          const before = state.groups.get(id)?.members ?? new Set<string>();
          const reachable = [...d.members].filter((a) => before.has(a) || present(a));
          if (d.mode === 'managed') {
            expect([...group.members].sort()).toEqual(reachable.sort());
          } else {
            expect([...group.members].sort()).toEqual([...new Set([...before, ...reachable])].sort());
          }
        }
      }),
    );
  });

  it('never touches a platform group it does not manage, even one with a managed group’s name', () => {
    fc.assert(
      fc.property(scenario, ({ state, desired, unmanaged, presentAccounts }) => {
        const p = plan(inputOf(state, desired, { presentAccounts }));
        const after = applyPlan(p, state, desired);
        for (const id of unmanaged) {
          expect(after.touched.has(id), `touched ${id}`).toBe(false);
          expect(after.groups.get(id)).toEqual(state.groups.get(id));
        }
        expect(p.heldRemovals.filter((h) => unmanaged.has(h.platformGroupId))).toEqual([]);
      }),
    );
  });

  it('creates only for mappings without a live group, adopts orphans of the expected name, and never creates a name twice', () => {
    fc.assert(
      fc.property(scenario, ({ state, desired, orphans }) => {
        const p = plan(inputOf(state, desired));
        const live = new Set(
          desired
            .filter((d) => d.platformGroupId && state.groups.has(d.platformGroupId))
            .map((d) => d.mappingId),
        );
        expect(new Map(p.adopts.map((a) => [a.mappingId, a.platformGroupId]))).toEqual(orphans);
        const expectedCreates = desired.filter((d) => !live.has(d.mappingId) && !orphans.has(d.mappingId));
        expect(p.creates).toEqual(
          expectedCreates.map((d) => ({ mappingId: d.mappingId, name: d.displayName })),
        );
        expect(new Set(p.creates.map((c) => c.name)).size).toBe(p.creates.length);
      }),
    );
  });

  it('is idempotent: re-planning the state the plan produced finds nothing to do', () => {
    fc.assert(
      fc.property(scenario, ({ state, desired, presentAccounts }) => {
        const after = applyPlan(plan(inputOf(state, desired, { presentAccounts })), state, desired);
        const saved = desired.map((d) => ({ ...d, platformGroupId: after.idOf.get(d.mappingId)! }));
        const again = plan(inputOf({ groups: after.groups }, saved, { presentAccounts }));
        expect([again.creates, again.adopts, again.renames, again.adds, again.removes]).toEqual([
          [],
          [],
          [],
          [],
          [],
        ]);
      }),
    );
  });

  it('never plans an add for an account the platform does not have, and counts it', () => {
    fc.assert(
      fc.property(scenario, members, ({ state, desired }, presentList) => {
        const present = new Set(presentList);
        const p = plan(inputOf(state, desired, { presentAccounts: present }));
        for (const add of p.adds) for (const a of add.accountIds) expect(present.has(a)).toBe(true);
        const after = applyPlan(p, state, desired);
        let absent = 0;
        for (const d of desired) {
          const before = state.groups.get(after.idOf.get(d.mappingId)!)?.members ?? new Set();
          absent += [...d.members].filter((a) => !before.has(a) && !present.has(a)).length;
        }
        expect(p.absentAccounts).toBe(absent);
      }),
    );
  });

  it('counts managed memberships as the observed members of managed-mode groups only', () => {
    fc.assert(
      fc.property(scenario, ({ state, desired }) => {
        const p = plan(inputOf(state, desired));
        const after = applyPlan(p, state, desired);
        const expected = desired
          .filter((d) => d.mode === 'managed')
          .reduce((n, d) => n + (state.groups.get(after.idOf.get(d.mappingId)!)?.members.size ?? 0), 0);
        expect(p.managedMemberships).toBe(expected);
      }),
    );
  });

  it('holds a removal until it has been planned for the whole grace period, keeping the clock (property)', () => {
    const now = new Date('2026-01-01T12:00:00Z').getTime();
    fc.assert(
      fc.property(
        scenario,
        fc.integer({ min: 0, max: 120 }),
        fc.array(fc.tuple(fc.nat(9), fc.constantFrom(...accounts), fc.integer({ min: 0, max: 180 })), {
          maxLength: 15,
        }),
        ({ state, desired }, graceMinutes, earlier) => {
          const ids = [...state.groups.keys()];
          fc.pre(ids.length > 0);
          const pendingRemovals = new Map(
            earlier.map(([g, a, minutesAgo]) => [
              removalKey(ids[g % ids.length]!, a),
              new Date(now - minutesAgo * 60_000),
            ]),
          );
          const p = plan(
            inputOf(state, desired, {
              pendingRemovals,
              now: new Date(now),
              removalGraceMs: graceMinutes * 60_000,
            }),
          );
          const removed = new Set(
            p.removes.flatMap((r) => r.accountIds.map((a) => removalKey(r.platformGroupId!, a))),
          );
          const held = new Map(
            p.heldRemovals.map((h) => [removalKey(h.platformGroupId, h.accountId), h.dueAt.getTime()]),
          );
          // Every removal that is wanted now is either applied or held, and its clock is kept.
          const wanted = new Set<string>();
          for (const d of desired.filter((x) => x.mode === 'managed')) {
            const id =
              d.platformGroupId && state.groups.has(d.platformGroupId)
                ? d.platformGroupId
                : p.adopts.find((a) => a.mappingId === d.mappingId)?.platformGroupId;
            if (!id) continue;
            for (const a of state.groups.get(id)!.members)
              if (!d.members.has(a)) wanted.add(removalKey(id, a));
          }
          expect(new Set(p.pendingRemovals.keys())).toEqual(wanted);
          for (const key of wanted) {
            const since = pendingRemovals.get(key)?.getTime() ?? now;
            expect(p.pendingRemovals.get(key)!.getTime()).toBe(since);
            const due = since + graceMinutes * 60_000;
            if (due <= now) expect(removed.has(key), key).toBe(true);
            else expect(held.get(key), key).toBe(due);
          }
          expect(removed.size + held.size).toBe(wanted.size);
        },
      ),
    );
  });

  it('counts drift against what the last applied run left (property)', () => {
    fc.assert(
      fc.property(
        scenario,
        fc.array(members, { minLength: 20, maxLength: 20 }),
        fc.boolean(),
        ({ state, desired }, lastLists, hasLast) => {
          const ids = [...state.groups.keys()];
          const lastApplied = hasLast ? new Map(ids.map((id, i) => [id, new Set(lastLists[i % 20])])) : null;
          const p = plan(inputOf(state, desired, { lastApplied }));
          if (!lastApplied) {
            expect(p.drift).toEqual({ added: 0, removed: 0 });
            return;
          }
          const after = applyPlan(p, state, desired);
          let added = 0;
          let removed = 0;
          for (const d of desired) {
            const id = after.idOf.get(d.mappingId)!;
            const before = state.groups.get(id)?.members ?? new Set<string>();
            const last = lastApplied.get(id);
            if (!last) continue;
            // Someone removed by hand what Roster had put there and still wants.
            removed += [...d.members].filter((a) => !before.has(a) && last.has(a)).length;
            // Someone added by hand what Roster does not want, in a group it fully manages.
            if (d.mode === 'managed')
              added += [...before].filter((a) => !d.members.has(a) && !last.has(a)).length;
          }
          expect(p.drift).toEqual({ added, removed });
        },
      ),
    );
  });
});

describe('plan (cases)', () => {
  const desiredGroup = (
    fields: Partial<Omit<DesiredGroup, 'members'>> & { members: string[] },
  ): DesiredGroup => ({
    mappingId: 'm1',
    groupId: 'g1',
    groupName: 'FC',
    displayName: 'FC',
    platformGroupId: '7',
    mode: 'managed',
    ...fields,
    members: new Set(fields.members),
  });

  it('adopts a group created just before a crash instead of creating it again', () => {
    // Run 1 created "FC" on the platform (id 42) and died before saving the id.
    const p = plan(
      baseInput({
        desired: [desiredGroup({ platformGroupId: null, members: ['a1'] })],
        platformGroups: [{ id: '42', name: 'FC' }],
        observed: new Map([['42', new Set(['a1'])]]),
      }),
    );
    expect(p.creates).toEqual([]);
    expect(p.adopts).toEqual([{ mappingId: 'm1', platformGroupId: '42', name: 'FC' }]);
    expect(p.adds).toEqual([]);
  });

  it('does not adopt the live group of another mapping, even when it bears the wanted name', () => {
    const platformGroups: PlatformGroup[] = [{ id: '7', name: 'Logi' }];
    const p = plan(
      baseInput({
        desired: [
          // m1 tracks group 7, still called "Logi" before its rename to "FC".
          desiredGroup({ members: [] }),
          desiredGroup({
            mappingId: 'm2',
            groupId: 'g2',
            displayName: 'Logi',
            platformGroupId: null,
            members: ['a1'],
          }),
        ],
        platformGroups,
      }),
    );
    expect(p.adopts).toEqual([]);
    expect(p.creates).toEqual([{ mappingId: 'm2', name: 'Logi' }]);
    expect(p.renames).toEqual([{ mappingId: 'm1', platformGroupId: '7', from: 'Logi', to: 'FC' }]);
    expect(p.adds).toEqual([{ mappingId: 'm2', platformGroupId: null, accountIds: ['a1'] }]);
  });

  it('lets one orphan be adopted by one mapping only', () => {
    const p = plan(
      baseInput({
        desired: [
          desiredGroup({ platformGroupId: null, members: [] }),
          desiredGroup({ mappingId: 'm2', platformGroupId: null, members: [] }),
        ],
        platformGroups: [{ id: '42', name: 'FC' }],
      }),
    );
    expect(p.adopts).toEqual([{ mappingId: 'm1', platformGroupId: '42', name: 'FC' }]);
    expect(p.creates).toEqual([{ mappingId: 'm2', name: 'FC' }]);
  });

  it('keeps the removal clock across runs, and drops it when the removal is no longer planned', () => {
    const t0 = new Date('2026-01-01T00:00:00Z').getTime();
    const minute = 60_000;
    const platformGroups = [{ id: '7', name: 'FC' }];
    const observed = new Map([['7', new Set(['a1', 'a2'])]]);
    const run = (at: number, wanted: string[], pendingRemovals: ReadonlyMap<string, Date>) =>
      plan(
        baseInput({
          desired: [desiredGroup({ members: wanted })],
          platformGroups,
          observed,
          pendingRemovals,
          now: new Date(at),
          removalGraceMs: 30 * minute,
        }),
      );

    const first = run(t0, ['a1'], new Map());
    expect(first.removes).toEqual([]);
    expect(first.heldRemovals).toEqual([
      { mappingId: 'm1', platformGroupId: '7', accountId: 'a2', dueAt: new Date(t0 + 30 * minute) },
    ]);

    const second = run(t0 + 29 * minute, ['a1'], first.pendingRemovals);
    expect(second.removes).toEqual([]);
    expect(second.heldRemovals[0]!.dueAt).toEqual(new Date(t0 + 30 * minute));

    const due = run(t0 + 30 * minute, ['a1'], second.pendingRemovals);
    expect(due.removes).toEqual([{ mappingId: 'm1', platformGroupId: '7', accountIds: ['a2'] }]);

    // The directory wants a2 again for a moment: the clock is dropped, and starts afresh later.
    const back = run(t0 + 29 * minute, ['a1', 'a2'], second.pendingRemovals);
    expect(back.pendingRemovals.size).toBe(0);
    const again = run(t0 + 31 * minute, ['a1'], back.pendingRemovals);
    expect(again.removes).toEqual([]);
    expect(again.heldRemovals[0]!.dueAt).toEqual(new Date(t0 + 61 * minute));
  });

  it('never removes from a grantOnly group, even with a removal clock running', () => {
    const p = plan(
      baseInput({
        desired: [desiredGroup({ mode: 'grantOnly', members: ['a1'] })],
        platformGroups: [{ id: '7', name: 'FC' }],
        observed: new Map([['7', new Set(['a2', 'a3'])]]),
        pendingRemovals: new Map([[removalKey('7', 'a2'), new Date(0)]]),
      }),
    );
    expect(p.removes).toEqual([]);
    expect(p.heldRemovals).toEqual([]);
    expect(p.managedMemberships).toBe(0);
    expect(p.adds).toEqual([{ mappingId: 'm1', platformGroupId: '7', accountIds: ['a1'] }]);
  });

  it('plans nicknames only for accounts the platform showed, and only when they differ', () => {
    const p = plan(
      baseInput({
        desiredNicknames: new Map([
          ['a1', '[AAA] Alice'],
          ['a2', '[AAA] Bob'],
          ['a3', '[AAA] Carol'],
          ['a0', '[AAA] Zed'],
        ]),
        observedNicknames: new Map<string, string | null>([
          ['a1', '[AAA] Alice'],
          ['a2', 'bob'],
          ['a0', null],
          ['a9', 'stranger'],
        ]),
      }),
    );
    expect(p.nicknames).toEqual([
      { accountId: 'a0', from: null, to: '[AAA] Zed' },
      { accountId: 'a2', from: 'bob', to: '[AAA] Bob' },
    ]);
  });

  it('counts drift as hand edits since the last applied run', () => {
    const p = plan(
      baseInput({
        desired: [desiredGroup({ members: ['a1', 'a2', 'a5'] })],
        platformGroups: [{ id: '7', name: 'FC' }],
        // a2 was removed by hand; a3 added by hand; a4 left by Roster but no longer wanted (not drift); a5 new.
        observed: new Map([['7', new Set(['a1', 'a3', 'a4'])]]),
        lastApplied: new Map([['7', new Set(['a1', 'a2', 'a4'])]]),
      }),
    );
    expect(p.drift).toEqual({ added: 1, removed: 1 });
    expect(p.adds).toEqual([{ mappingId: 'm1', platformGroupId: '7', accountIds: ['a2', 'a5'] }]);
    expect(p.removes).toEqual([{ mappingId: 'm1', platformGroupId: '7', accountIds: ['a3', 'a4'] }]);
  });
});

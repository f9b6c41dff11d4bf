import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import {
  GroupMapping,
  GroupMember,
  PendingRemoval,
  SyncRun,
  SyncSnapshot,
  TeamspeakLink,
  User,
} from '../../src/store/entities/index.ts';
import { createReconciler, type ReconcilerOptions } from '../../src/sync/engine.ts';
import type { Platform } from '../../src/sync/target.ts';
import { backends, createTestDatabase, type TestDatabase } from '../support/database.ts';
import { MemoryTarget } from '../support/memory-target.ts';
import { addCorporation, addGroup, addMapping, addTeamspeakLink, addUser } from '../support/rows.ts';

const logger = createLogger({ level: 'silent' });
const permissive = { maxRemovals: 1_000_000, maxRemovalShare: 1, removalGraceMinutes: 0 } as const;

let nextCorporationId = 98_000_001;

describe.each(backends())('reconciler on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => t?.dispose());

  const reconciler = (target: MemoryTarget, options: Partial<ReconcilerOptions> = {}) =>
    createReconciler(t.db, [target], { ...permissive, ...options }, logger);

  /**
   * A corporation that may log in, with alice, bob and carol linked on `target` (client ids 11,
   * 12, 13) and dave not linked. FC (alice, bob) and Logi (bob, carol) are managed, Caps (carol)
   * is grantOnly. On the platform: two groups Roster does not manage, with members.
   */
  async function world(target: string, platform: Platform = 'teamspeak') {
    const em = t.db.fork();
    const corporation = addCorporation(em, nextCorporationId++, { authorizedToLogin: true });
    const [alice, bob, carol, dave] = ['Alice', 'Bob', 'Carol', 'Dave'].map((n, i) =>
      addUser(em, `${n} ${target}`, {
        corporationId: corporation.corporationId,
        discordUserId: platform === 'discord' && i < 3 ? `${target}-${11 + i}` : null,
      }),
    ) as [User, User, User, User];
    if (platform === 'teamspeak')
      for (const [i, u] of [alice, bob, carol].entries()) addTeamspeakLink(em, u.id, target, String(11 + i));
    const fc = addGroup(em, `FC ${target}`, [alice.id, bob.id]);
    const logi = addGroup(em, `Logi ${target}`, [bob.id, carol.id]);
    const caps = addGroup(em, `Caps ${target}`, [carol.id]);
    const mappings = {
      fc: addMapping(em, fc.id, platform, target, { displayName: 'FC' }),
      logi: addMapping(em, logi.id, platform, target, { displayName: 'Logi' }),
      caps: addMapping(em, caps.id, platform, target, { displayName: 'Caps', mode: 'grantOnly' }),
    };
    await em.flush();
    const memory = new MemoryTarget(platform, target);
    const account = platform === 'discord' ? (n: number) => `${target}-${n}` : (n: number) => String(n);
    memory.addGroup('1', 'Server Admin', [account(11), '99']);
    memory.addGroup('2', 'Guest', [account(12), account(13), '98']);
    return { users: { alice, bob, carol, dave }, groups: { fc, logi, caps }, mappings, memory, account };
  }

  const platformIdOf = async (mappingId: string) =>
    (await t.db.fork().findOneOrFail(GroupMapping, { id: mappingId })).platformGroupId;
  const runRow = (id: string) => t.db.fork().findOneOrFail(SyncRun, { id });

  function expectUnmanagedUntouched(memory: MemoryTarget, account: (n: number) => string = String) {
    expect(memory.writtenGroupIds().has('1')).toBe(false);
    expect(memory.writtenGroupIds().has('2')).toBe(false);
    expect(memory.snapshot()['1']).toEqual({ name: 'Server Admin', members: [account(11), '99'].sort() });
    expect(memory.snapshot()['2']).toEqual({
      name: 'Guest',
      members: [account(12), account(13), '98'].sort(),
    });
  }

  it('creates and fills the groups on a first run, saves their ids and records the run; a second run does nothing', async () => {
    const w = await world('first');
    const r = reconciler(w.memory);
    const first = await r.run('teamspeak', 'first', { trigger: 'test' });
    expect(first.status).toBe('applied');
    expect(first.errors).toEqual([]);
    expect(first.plan?.counts).toMatchObject({ creates: 3, adds: 5, removes: 0 });

    const ids = {
      fc: await platformIdOf(w.mappings.fc.id),
      logi: await platformIdOf(w.mappings.logi.id),
      caps: await platformIdOf(w.mappings.caps.id),
    };
    expect(w.memory.groups.get(ids.fc!)?.name).toBe('FC');
    expect(w.memory.membersOf(ids.fc!)).toEqual(['11', '12']);
    expect(w.memory.membersOf(ids.logi!)).toEqual(['12', '13']);
    expect(w.memory.membersOf(ids.caps!)).toEqual(['13']);
    expect(
      w.memory
        .callsOf('createGroup')
        .map((c) => c.args[0])
        .sort(),
    ).toEqual(['Caps', 'FC', 'Logi']);
    expectUnmanagedUntouched(w.memory);

    const row = await runRow(first.runId);
    expect(row).toMatchObject({
      status: 'applied',
      platform: 'teamspeak',
      target: 'first',
      trigger: 'test',
      dryRun: false,
      creates: 3,
      adds: 5,
      removes: 0,
    });
    expect(row.finishedAt).not.toBeNull();
    expect(row.callsIssued).toBe(first.callsIssued);
    expect(first.callsIssued).toBe(w.memory.calls.length);

    const before = w.memory.calls.length;
    const second = await r.run('teamspeak', 'first');
    expect(second.status).toBe('applied');
    expect(second.plan?.counts).toMatchObject({
      creates: 0,
      renames: 0,
      adds: 0,
      removes: 0,
      driftAdded: 0,
      driftRemoved: 0,
    });
    const calls = w.memory.calls.slice(before).map((c) => c.method);
    expect(calls).not.toContain('createGroup');
    expect(calls).not.toContain('renameGroup');
    expect(second.callsIssued).toBe(calls.length);
  });

  it('removes a member taken out of a group in the directory at the next run', async () => {
    const w = await world('removal');
    const r = reconciler(w.memory);
    expect((await r.run('teamspeak', 'removal')).status).toBe('applied');
    await t.db.fork().nativeDelete(GroupMember, { groupId: w.groups.fc.id, userId: w.users.bob.id });

    const result = await r.run('teamspeak', 'removal');
    expect(result.status).toBe('applied');
    expect(result.plan?.counts).toMatchObject({ adds: 0, removes: 1 });
    expect(w.memory.membersOf((await platformIdOf(w.mappings.fc.id))!)).toEqual(['11']);
    expect(w.memory.membersOf((await platformIdOf(w.mappings.logi.id))!)).toEqual(['12', '13']);
    expectUnmanagedUntouched(w.memory);
  });

  it('takes every managed group from a user who may no longer log in or who unlinks; grantOnly groups keep them', async () => {
    const w = await world('unauthorized');
    const r = reconciler(w.memory);
    expect((await r.run('teamspeak', 'unauthorized')).status).toBe('applied');
    const em = t.db.fork();
    await em.nativeUpdate(User, { id: w.users.bob.id }, { authorizedToLogin: false });
    await em.nativeDelete(TeamspeakLink, { userId: w.users.carol.id, target: 'unauthorized' });

    const result = await r.run('teamspeak', 'unauthorized');
    expect(result.status).toBe('applied');
    expect(w.memory.membersOf((await platformIdOf(w.mappings.fc.id))!)).toEqual(['11']);
    expect(w.memory.membersOf((await platformIdOf(w.mappings.logi.id))!)).toEqual([]);
    expect(w.memory.membersOf((await platformIdOf(w.mappings.caps.id))!)).toEqual(['13']);
    // Roster strips no group it does not manage, even from someone it no longer wants.
    expectUnmanagedUntouched(w.memory);
  });

  it('adopts a group created just before a crash instead of creating a duplicate', async () => {
    const w = await world('crash');
    const r = reconciler(w.memory);
    w.memory.crashAfterCreate(1);
    const crashed = await r.run('teamspeak', 'crash');
    expect(crashed.status).toBe('failed');
    expect(crashed.errors.join()).toMatch(/connection lost after creating/);
    expect((await runRow(crashed.runId)).status).toBe('failed');
    const orphanName = w.memory.callsOf('createGroup')[0]!.args[0] as string;
    const [orphanId] = w.memory.idsNamed(orphanName);
    const unsaved = Object.values(w.mappings).filter((m) => m.displayName === orphanName)[0]!;
    expect(await platformIdOf(unsaved.id)).toBeNull();

    const creationsBefore = w.memory.callsOf('createGroup').length;
    const next = await r.run('teamspeak', 'crash');
    expect(next.status).toBe('applied');
    expect(next.plan?.adopts).toEqual([
      { mappingId: unsaved.id, platformGroupId: orphanId, name: orphanName },
    ]);
    expect(next.plan?.creates).toEqual([]);
    expect(w.memory.callsOf('createGroup')).toHaveLength(creationsBefore);
    for (const name of ['FC', 'Logi', 'Caps']) expect(w.memory.idsNamed(name), name).toHaveLength(1);
    expect(await platformIdOf(unsaved.id)).toBe(orphanId);
    expect(w.memory.membersOf((await platformIdOf(w.mappings.fc.id))!)).toEqual(['11', '12']);
    expect(w.memory.membersOf((await platformIdOf(w.mappings.logi.id))!)).toEqual(['12', '13']);
  });

  it('recreates a tracked group someone deleted on the platform, and renames by id', async () => {
    const w = await world('recreate');
    const r = reconciler(w.memory);
    await r.run('teamspeak', 'recreate');
    const fcId = (await platformIdOf(w.mappings.fc.id))!;
    const logiId = (await platformIdOf(w.mappings.logi.id))!;
    w.memory.groups.delete(fcId);
    await t.db.fork().nativeUpdate(GroupMapping, { id: w.mappings.logi.id }, { displayName: 'Logistics' });

    const result = await r.run('teamspeak', 'recreate');
    expect(result.status).toBe('applied');
    expect(result.plan?.creates).toEqual([{ mappingId: w.mappings.fc.id, name: 'FC' }]);
    expect(result.plan?.renames).toEqual([
      { mappingId: w.mappings.logi.id, platformGroupId: logiId, from: 'Logi', to: 'Logistics' },
    ]);
    const newFcId = (await platformIdOf(w.mappings.fc.id))!;
    expect(newFcId).not.toBe(fcId);
    expect(w.memory.membersOf(newFcId)).toEqual(['11', '12']);
    expect(await platformIdOf(w.mappings.logi.id)).toBe(logiId);
    expect(w.memory.groups.get(logiId)?.name).toBe('Logistics');
  });

  it('refuses a mass removal, records the refusal, and applies it when forced', async () => {
    const w = await world('guard');
    const em = t.db.fork();
    const crowd = Array.from({ length: 8 }, (_, i) =>
      addUser(em, `Crowd ${i}`, { corporationId: w.users.alice.corporationId }),
    );
    crowd.forEach((u, i) => addTeamspeakLink(em, u.id, 'guard', String(20 + i)));
    for (const u of crowd)
      em.create(GroupMember, { id: crypto.randomUUID(), groupId: w.groups.fc.id, userId: u.id });
    await em.flush();
    const r = reconciler(w.memory, { maxRemovals: 100, maxRemovalShare: 0.25 });
    expect((await r.run('teamspeak', 'guard')).status).toBe('applied');
    const fcId = (await platformIdOf(w.mappings.fc.id))!;
    expect(w.memory.membersOf(fcId)).toHaveLength(10);

    // A wiped group: 10 of 12 managed memberships would go.
    await t.db.fork().nativeDelete(GroupMember, { groupId: w.groups.fc.id });
    const applies = w.memory.callsOf('apply').length;
    const refused = await r.run('teamspeak', 'guard');
    expect(refused.status).toBe('refused');
    expect(refused.reason).toMatch(/maxRemovalShare/);
    expect(refused.plan?.counts.removes).toBe(10);
    expect(w.memory.callsOf('apply')).toHaveLength(applies);
    expect(w.memory.membersOf(fcId)).toHaveLength(10);
    const row = await runRow(refused.runId);
    expect(row).toMatchObject({ status: 'refused', forced: false, removes: 0, managedMemberships: 12 });
    expect(row.refusedReason).toMatch(/10 of 12 managed memberships/);

    const forced = await r.run('teamspeak', 'guard', { force: true });
    expect(forced.status).toBe('applied');
    expect(w.memory.membersOf(fcId)).toEqual([]);
    expect(await runRow(forced.runId)).toMatchObject({
      status: 'applied',
      forced: true,
      removes: 10,
      refusedReason: null,
    });
    expectUnmanagedUntouched(w.memory);
  });

  it('refuses a run that removes more than maxRemovals, whatever the share', async () => {
    const w = await world('max');
    const r = reconciler(w.memory, { maxRemovals: 1, maxRemovalShare: 1 });
    await r.run('teamspeak', 'max');
    await t.db.fork().nativeDelete(GroupMember, { groupId: w.groups.fc.id });
    const refused = await r.run('teamspeak', 'max');
    expect(refused.status).toBe('refused');
    expect(refused.reason).toMatch(/sync\.maxRemovals \(1\)/);
    expect(w.memory.membersOf((await platformIdOf(w.mappings.fc.id))!)).toEqual(['11', '12']);
  });

  it('computes and returns the plan in a dry run, and changes nothing', async () => {
    const w = await world('dry');
    // An orphan of "FC" that a real run would adopt.
    w.memory.addGroup('50', 'FC', ['11', '77']);
    const before = w.memory.snapshot();
    const r = reconciler(w.memory);
    const result = await r.run('teamspeak', 'dry', { dryRun: true });
    expect(result.status).toBe('planned');
    expect(result.plan?.adopts).toEqual([{ mappingId: w.mappings.fc.id, platformGroupId: '50', name: 'FC' }]);
    expect(result.plan?.creates.map((c) => c.name).sort()).toEqual(['Caps', 'Logi']);
    expect(result.plan?.counts).toMatchObject({ creates: 2, adds: 4, removes: 1 });
    expect(w.memory.snapshot()).toEqual(before);
    expect(new Set(w.memory.calls.map((c) => c.method))).toEqual(new Set(['listGroups', 'observe']));
    for (const m of Object.values(w.mappings)) expect(await platformIdOf(m.id)).toBeNull();
    const em = t.db.fork();
    expect(await em.count(PendingRemoval, { target: 'dry' })).toBe(0);
    expect(await em.count(SyncSnapshot, { id: 'teamspeak:dry' })).toBe(0);
    expect(await runRow(result.runId)).toMatchObject({
      status: 'planned',
      dryRun: true,
      creates: 2,
      adds: 4,
      removes: 1,
    });
  });

  it('records a run whose observation fails, and the next run converges', async () => {
    const w = await world('outage');
    const r = reconciler(w.memory);
    w.memory.failNext('observe', new Error('connection refused'));
    const failed = await r.run('teamspeak', 'outage');
    expect(failed.status).toBe('failed');
    expect(failed.reason).toBe('connection refused');
    const row = await runRow(failed.runId);
    expect(row).toMatchObject({ status: 'failed', errors: ['connection refused'] });
    expect(row.finishedAt).not.toBeNull();

    // Nothing is written before everything is read: the failed run created no group.
    expect(w.memory.callsOf('createGroup')).toEqual([]);
    const next = await r.run('teamspeak', 'outage');
    expect(next.status).toBe('applied');
    expect(next.plan?.creates).toHaveLength(3);
    for (const name of ['FC', 'Logi', 'Caps']) expect(w.memory.idsNamed(name), name).toHaveLength(1);
    expect(w.memory.membersOf((await platformIdOf(w.mappings.fc.id))!)).toEqual(['11', '12']);
  });

  it('records a run whose listing fails, and releases the lease', async () => {
    const w = await world('listfail');
    const r = reconciler(w.memory);
    w.memory.failNext('listGroups');
    expect((await r.run('teamspeak', 'listfail')).status).toBe('failed');
    expect((await r.run('teamspeak', 'listfail')).status).toBe('applied');
  });

  it('lets one run of a target at a time: a second daemon gets busy', async () => {
    const w = await world('lease');
    const daemonA = reconciler(w.memory, { instanceId: 'daemon-a' });
    const daemonB = reconciler(w.memory, { instanceId: 'daemon-b' });
    const hold = w.memory.hold('listGroups');
    const first = daemonA.run('teamspeak', 'lease');
    await hold.reached;
    const second = await daemonB.run('teamspeak', 'lease');
    expect(second.status).toBe('busy');
    hold.release();
    expect((await first).status).toBe('applied');
    expect(w.memory.callsOf('createGroup')).toHaveLength(3);
    // The lease is released at the end of a run.
    expect((await daemonB.run('teamspeak', 'lease')).status).toBe('applied');
  });

  it('lets one run of a target at a time within one daemon too', async () => {
    const w = await world('local');
    const r = reconciler(w.memory);
    const hold = w.memory.hold('listGroups');
    const first = r.run('teamspeak', 'local');
    await hold.reached;
    const second = await r.run('teamspeak', 'local');
    expect(second.status).toBe('busy');
    hold.release();
    expect((await first).status).toBe('applied');
    expect(w.memory.callsOf('createGroup')).toHaveLength(3);
    for (const name of ['FC', 'Logi', 'Caps']) expect(w.memory.idsNamed(name), name).toHaveLength(1);
    expect((await r.run('teamspeak', 'local')).status).toBe('applied');
  });

  it('holds a removal for the grace period, on the injected clock, across runs', async () => {
    const w = await world('grace');
    let clock = new Date('2026-03-01T10:00:00Z');
    const r = reconciler(w.memory, { removalGraceMinutes: 30, now: () => clock });
    await r.run('teamspeak', 'grace');
    const fcId = (await platformIdOf(w.mappings.fc.id))!;
    await t.db.fork().nativeDelete(GroupMember, { groupId: w.groups.fc.id, userId: w.users.bob.id });

    clock = new Date('2026-03-01T11:00:00Z');
    const held = await r.run('teamspeak', 'grace');
    expect(held.plan?.counts).toMatchObject({ removes: 0, heldRemovals: 1 });
    expect(held.plan?.heldRemovals[0]).toMatchObject({ accountId: '12', dueAt: '2026-03-01T11:30:00.000Z' });
    expect(w.memory.membersOf(fcId)).toEqual(['11', '12']);
    expect(await t.db.fork().count(PendingRemoval, { target: 'grace' })).toBe(1);

    clock = new Date('2026-03-01T11:29:59Z');
    const still = await r.run('teamspeak', 'grace');
    expect(still.plan?.heldRemovals[0]?.dueAt).toBe('2026-03-01T11:30:00.000Z');
    expect(w.memory.membersOf(fcId)).toEqual(['11', '12']);

    clock = new Date('2026-03-01T11:30:00Z');
    const due = await r.run('teamspeak', 'grace');
    expect(due.plan?.counts).toMatchObject({ removes: 1, heldRemovals: 0 });
    expect(w.memory.membersOf(fcId)).toEqual(['11']);
    expect(await t.db.fork().count(PendingRemoval, { target: 'grace' })).toBe(0);
  });

  it('drops the removal clock when the member comes back before the grace ends', async () => {
    const w = await world('flap');
    let clock = new Date('2026-03-01T10:00:00Z');
    const r = reconciler(w.memory, { removalGraceMinutes: 30, now: () => clock });
    await r.run('teamspeak', 'flap');
    const fcId = (await platformIdOf(w.mappings.fc.id))!;
    await t.db.fork().nativeDelete(GroupMember, { groupId: w.groups.fc.id, userId: w.users.bob.id });
    await r.run('teamspeak', 'flap');
    expect(await t.db.fork().count(PendingRemoval, { target: 'flap' })).toBe(1);

    const em = t.db.fork();
    em.create(GroupMember, { id: crypto.randomUUID(), groupId: w.groups.fc.id, userId: w.users.bob.id });
    await em.flush();
    clock = new Date('2026-03-01T10:20:00Z');
    await r.run('teamspeak', 'flap');
    expect(await t.db.fork().count(PendingRemoval, { target: 'flap' })).toBe(0);

    await t.db.fork().nativeDelete(GroupMember, { groupId: w.groups.fc.id, userId: w.users.bob.id });
    clock = new Date('2026-03-01T10:40:00Z');
    const again = await r.run('teamspeak', 'flap');
    expect(again.plan?.heldRemovals[0]?.dueAt).toBe('2026-03-01T11:10:00.000Z');
    expect(w.memory.membersOf(fcId)).toEqual(['11', '12']);
  });

  it('counts drift when someone edits a managed group by hand, and reverts it', async () => {
    const w = await world('drift');
    const r = reconciler(w.memory);
    await r.run('teamspeak', 'drift');
    const fcId = (await platformIdOf(w.mappings.fc.id))!;
    w.memory.groups.get(fcId)!.members.delete('12');
    w.memory.groups.get(fcId)!.members.add('66');
    const result = await r.run('teamspeak', 'drift');
    expect(result.plan?.counts).toMatchObject({ driftAdded: 1, driftRemoved: 1, adds: 1, removes: 1 });
    expect(w.memory.membersOf(fcId)).toEqual(['11', '12']);
    expect((await runRow(result.runId)).drift).toBe(2);
  });

  it('on Discord, never adds accounts that are not in the guild', async () => {
    const w = await world('guild', 'discord');
    // Only alice and carol are guild members; bob left the guild.
    w.memory.accounts.set(w.account(11), 'alice');
    w.memory.accounts.set(w.account(13), null);
    const r = reconciler(w.memory);
    const result = await r.run('discord', 'guild');
    expect(result.status).toBe('applied');
    expect(result.plan?.counts.absentAccounts).toBe(2);
    const added = w.memory
      .callsOf('apply')
      .flatMap((c) => (c.args[0] as { adds: { accountIds: string[] }[] }).adds.flatMap((a) => a.accountIds));
    expect(added).not.toContain(w.account(12));
    expect(w.memory.membersOf((await platformIdOf(w.mappings.fc.id))!)).toEqual([w.account(11)]);
    expectUnmanagedUntouched(w.memory, w.account);
  });

  it('refuses to run a target that is not configured', async () => {
    const r = reconciler(new MemoryTarget('teamspeak', 'known'));
    await expect(r.run('teamspeak', 'unknown')).rejects.toThrow(/no teamspeak target named "unknown"/);
    await expect(r.run('discord', 'known')).rejects.toThrow(/no discord target/);
  });
});

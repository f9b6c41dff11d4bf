/**
 * End to end: the real reconciler engine with the real TeamSpeak adapter, against the fake
 * ServerQuery server over TCP, on a real PostgreSQL database. Each test has its own fake server
 * and its own target name, so tests share the database without seeing each other's mappings.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeTeamspeak } from '../fakes/teamspeak/index.ts';
import { createReconciler } from '../../src/sync/engine.ts';
import { loadSyncInputs } from '../../src/sync/inputs.ts';
import { usersScope } from '../../src/sync/scope.ts';
import { GroupMapping, GroupMember, SyncRun, TeamspeakLink, User } from '../../src/store/entities/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addGroup, addMapping, addTeamspeakLink, addUser } from '../support/rows.ts';
import { capturedLogger, connectedTarget, fakeServer } from '../sync/teamspeak/helpers.ts';
import type { Logger } from '../../src/logger.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.dispose();
});

const silent = pino({ level: 'silent' });
const guardOptions = {
  maxRemovalShare: 0.25,
  maxRemovals: 1000,
  guardMinRemovals: 0,
  removalGraceMinutes: 0,
};

let worlds = 0;

interface Member {
  readonly userId: string;
  readonly cldbid: string;
}

/** One fake server, one connected target on it, a reconciler, and builders of directory rows. */
async function world(
  options: {
    flood?: 'default';
    logger?: Logger;
    commandTimeoutMs?: number;
    guard?: Partial<typeof guardOptions>;
  } = {},
) {
  const n = ++worlds;
  const name = `ts-e2e-${n}`;
  const fake = await fakeServer(options.flood === 'default' ? { flood: {} } : {});
  const targetOptions = {
    name,
    ...(options.flood === 'default' ? { commandsPerWindow: 10, windowMs: 3000 } : {}),
    ...(options.commandTimeoutMs ? { commandTimeoutMs: options.commandTimeoutMs } : {}),
  };
  const target = await connectedTarget(fake, targetOptions);
  const reconciler = createReconciler(
    t.db,
    [target],
    { ...guardOptions, ...options.guard },
    options.logger ?? silent,
  );

  return {
    n,
    name,
    fake,
    target,
    reconciler,
    /** Directory users who may log in, each linked to a new client in the fake's database. */
    async users(count: number): Promise<Member[]> {
      const em = t.db.fork();
      const members = Array.from({ length: count }, (_, i) => {
        const { cldbid } = fake.addDbClient({ nickname: `Pilot ${n}-${i}` });
        const user = addUser(em, `Pilot ${n}-${i}`, { authorizedToLogin: true });
        addTeamspeakLink(em, user.id, name, cldbid);
        return { userId: user.id, cldbid };
      });
      await em.flush();
      return members;
    },
    /** A directory group with these members, mapped (managed) onto this target. */
    async mappedGroup(label: string, members: readonly Member[]) {
      const em = t.db.fork();
      const group = addGroup(
        em,
        groupName(n, label),
        members.map((m) => m.userId),
      );
      const mapping = addMapping(em, group.id, 'teamspeak', name);
      await em.flush();
      return { groupId: group.id, mappingId: mapping.id, name: group.name };
    },
    run(options: { force?: boolean } = {}) {
      return reconciler.run('teamspeak', name, { trigger: 'e2e', ...options });
    },
  };
}

const groupName = (n: number, label: string) => `${label} ${n}`;

async function platformGroupIdOf(mappingId: string): Promise<string | null> {
  const mapping = await t.db.fork().findOneOrFail(GroupMapping, { id: mappingId });
  return mapping.platformGroupId ?? null;
}

async function savedId(mappingId: string): Promise<string> {
  const id = await platformGroupIdOf(mappingId);
  if (id === null) throw new Error(`mapping ${mappingId} has no platform group id`);
  return id;
}

async function removeMember(groupId: string, member: Member) {
  await t.db.fork().nativeDelete(GroupMember, { groupId, userId: member.userId });
}

async function addMembers(groupId: string, members: readonly Member[]) {
  const em = t.db.fork();
  for (const m of members) em.create(GroupMember, { id: crypto.randomUUID(), groupId, userId: m.userId });
  await em.flush();
}

async function syncRun(runId: string) {
  return t.db.fork().findOneOrFail(SyncRun, { id: runId });
}

const ids = (members: readonly Member[]) =>
  members.map((m) => m.cldbid).sort((a, b) => Number(a) - Number(b));

/** Waits until the condition holds (polling, no deadline but the test's own timeout). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** Every command line of the log that names this server group id. */
function linesNaming(fake: FakeTeamspeak, sgid: string): string[] {
  return fake
    .commandLog()
    .map((e) => e.line)
    .filter((line) => new RegExp(`(^|\\s)sgid=${sgid}(\\s|$)`).test(line));
}

describe('TeamSpeak end to end: the reconciler with the real adapter against the fake server', () => {
  it('first run creates the server groups, fills them and saves their ids', async () => {
    const w = await world();
    const [a, b, c] = (await w.users(3)) as [Member, Member, Member];
    const alpha = await w.mappedGroup('Alpha', [a, b]);
    const beta = await w.mappedGroup('Beta', [b, c]);
    const empty = await w.mappedGroup('Empty', []);
    const before = w.fake.serverGroups().length;

    const result = await w.run();

    expect(result.status).toBe('applied');
    expect(result.errors).toEqual([]);
    expect(result.plan?.counts).toMatchObject({ creates: 3, adds: 4, removes: 0 });
    const groups = w.fake.serverGroups();
    expect(groups).toHaveLength(before + 3);
    const alphaId = await savedId(alpha.mappingId);
    const betaId = await savedId(beta.mappingId);
    const emptyId = await savedId(empty.mappingId);
    expect(groups.find((g) => g.sgid === alphaId)).toEqual({
      sgid: alphaId,
      name: alpha.name,
      type: 1,
      members: ids([a, b]),
    });
    expect(groups.find((g) => g.sgid === betaId)).toEqual({
      sgid: betaId,
      name: beta.name,
      type: 1,
      members: ids([b, c]),
    });
    expect(groups.find((g) => g.sgid === emptyId)).toEqual({
      sgid: emptyId,
      name: empty.name,
      type: 1,
      members: [],
    });

    const run = await syncRun(result.runId);
    expect(run).toMatchObject({
      status: 'applied',
      creates: 3,
      adds: 4,
      removes: 0,
      refusedReason: null,
      errors: [],
    });
    expect(run.callsIssued).toBe(result.callsIssued);
    expect(run.finishedAt).not.toBeNull();

    // A second run finds everything in place: no write at all.
    w.fake.clearCommandLog();
    const again = await w.run();
    expect(again.status).toBe('applied');
    expect(again.plan?.counts).toMatchObject({ creates: 0, renames: 0, adds: 0, removes: 0 });
    expect(
      w.fake
        .commandLog()
        .map((e) => e.name)
        .sort(),
    ).toEqual([
      'clientlist',
      'servergroupclientlist',
      'servergroupclientlist',
      'servergroupclientlist',
      'servergrouplist',
    ]);
    expect(w.fake.serverGroups()).toEqual(groups);
  });

  it('a member removed from the directory group leaves the server group at the next run', async () => {
    const w = await world();
    const members = await w.users(5);
    const group = await w.mappedGroup('Fleet', members);
    await w.run();
    const sgid = await savedId(group.mappingId);
    expect(w.fake.groupMembers(sgid)).toEqual(ids(members));

    await removeMember(group.groupId, members[2]!);
    const result = await w.run();

    expect(result.status).toBe('applied');
    expect(result.plan?.counts).toMatchObject({ adds: 0, removes: 1, driftAdded: 0, driftRemoved: 0 });
    expect(w.fake.groupMembers(sgid)).toEqual(ids(members.filter((_, i) => i !== 2)));
    expect(await syncRun(result.runId)).toMatchObject({ status: 'applied', removes: 1, adds: 0 });
  });

  it('never touches server groups it does not manage, nor their members', async () => {
    const w = await world();
    const members = await w.users(10);
    const outsiders = await w.users(2);
    // Unmanaged groups, some sharing members with managed ones, one holding a member Roster removes.
    const admins = w.fake.createServerGroup('Server Admins', { members: ids([members[0]!, outsiders[0]!]) });
    w.fake.createServerGroup('Music Bots', { members: ids(outsiders) });
    w.fake.createServerGroup('Event Team', { members: ids(members.slice(0, 4)) });
    w.fake.createServerGroup('Channel Template', { type: 0 });
    const group = await w.mappedGroup('Corp', members.slice(0, 9));
    const unmanagedBefore = w.fake.serverGroups();

    expect((await w.run()).status).toBe('applied');
    const managed = await savedId(group.mappingId);
    // Next: a removal, a hand-made add to the managed group (reverted), a directory add.
    await removeMember(group.groupId, members[0]!);
    await addMembers(group.groupId, [members[9]!]);
    w.fake.addGroupMembers(managed, [outsiders[1]!.cldbid]);
    const second = await w.run();
    expect(second.status).toBe('applied');
    expect(second.plan?.counts).toMatchObject({ adds: 1, removes: 2, driftAdded: 1 });
    expect(w.fake.groupMembers(managed)).toEqual(ids(members.slice(1, 10)));

    const after = w.fake.serverGroups().filter((g) => g.sgid !== managed);
    expect(after).toEqual(unmanagedBefore);
    for (const g of unmanagedBefore) expect(linesNaming(w.fake, g.sgid)).toEqual([]);
    // The member Roster removed from its group keeps the unmanaged group it had.
    expect(w.fake.groupMembers(admins)).toContain(members[0]!.cldbid);
  });

  it('the guard refuses a mass removal, records why, changes nothing; force applies it', async () => {
    const { logger, lines } = capturedLogger();
    const w = await world({ logger });
    const members = await w.users(8);
    const group = await w.mappedGroup('Wing', members);
    const other = await w.mappedGroup('Other', members.slice(0, 4));
    await w.run();
    const sgid = await savedId(group.mappingId);
    const before = w.fake.serverGroups();

    // A wiped group in the directory: 8 of 12 managed memberships would go.
    await t.db.fork().nativeDelete(GroupMember, { groupId: group.groupId });
    w.fake.clearCommandLog();
    const refused = await w.run();

    expect(refused.status).toBe('refused');
    expect(refused.reason).toMatch(/remove 8 of 12 managed memberships .*sync\.maxRemovalShare/);
    expect(refused.plan?.counts.removes).toBe(8);
    expect(w.fake.serverGroups()).toEqual(before);
    expect(
      w.fake.commandLog().filter((e) => e.name.startsWith('servergroup') && e.name.endsWith('client')),
    ).toEqual([]);
    const run = await syncRun(refused.runId);
    expect(run).toMatchObject({ status: 'refused', removes: 0, forced: false });
    expect(run.refusedReason).toBe(refused.reason);
    expect(
      lines.some((l) => l.includes('blast-radius guard refused the run') && l.includes('maxRemovalShare')),
    ).toBe(true);

    const forced = await w.run({ force: true });
    expect(forced.status).toBe('applied');
    expect(w.fake.groupMembers(sgid)).toEqual([]);
    expect(w.fake.groupMembers(await savedId(other.mappingId))).toEqual(ids(members.slice(0, 4)));
    expect(await syncRun(forced.runId)).toMatchObject({
      status: 'applied',
      forced: true,
      removes: 8,
      refusedReason: null,
    });
  });

  it('first contact: an adopted group with one stranger does not trip the guard (the default guardMinRemovals)', async () => {
    // The configuration's defaults: share 25 %, at least 10 removals before the share rule applies.
    const w = await world({ guard: { guardMinRemovals: undefined, maxRemovalShare: 0.25 } });
    const members = await w.users(21);
    const stranger = w.fake.addDbClient({ nickname: 'Stranger' }).cldbid;
    const directors = await w.mappedGroup('Directors', members.slice(0, 1));
    const existing = w.fake.createServerGroup(directors.name, { members: [stranger] });
    const fleet = await w.mappedGroup('Fleet', members);

    const first = await w.run();
    expect(first.status).toBe('applied');
    expect(first.plan?.counts).toMatchObject({ creates: 1, removes: 1, adds: 22, managedMemberships: 1 });
    expect(await savedId(directors.mappingId)).toBe(existing);
    expect(w.fake.groupMembers(existing)).toEqual(ids(members.slice(0, 1)));
    expect(w.fake.groupMembers(await savedId(fleet.mappingId))).toEqual(ids(members));
  });

  it('a refused run applies nothing at all, creates no group, and says what it would have done', async () => {
    const w = await world({ guard: { guardMinRemovals: 2, maxRemovalShare: 0.25 } });
    const members = await w.users(4);
    const wing = await w.mappedGroup('Wing', members.slice(0, 1));
    // On the server already: "Wing" with three members the directory does not put there.
    const existing = w.fake.createServerGroup(wing.name, {
      members: members.slice(1).map((m) => m.cldbid),
    });
    const fresh = await w.mappedGroup('Fresh', members);
    const before = w.fake.serverGroups();
    w.fake.clearCommandLog();

    const refused = await w.run();
    expect(refused.status).toBe('refused');
    expect(refused.reason).toBe(
      'the run would remove 3 of 3 managed memberships (100%), more than sync.maxRemovalShare (25%); nothing was changed: the run would have created 1 and renamed 0 groups, added 5 and removed 3 memberships (an operator can force it)',
    );
    expect(w.fake.serverGroups()).toEqual(before);
    expect(w.fake.commandLog().map((e) => e.name)).not.toContain('servergroupadd');
    expect(await platformGroupIdOf(wing.mappingId)).toBeNull();
    expect(await platformGroupIdOf(fresh.mappingId)).toBeNull();

    const forced = await w.run({ force: true });
    expect(forced.status).toBe('applied');
    expect(await savedId(wing.mappingId)).toBe(existing);
    expect(w.fake.groupMembers(existing)).toEqual(ids(members.slice(0, 1)));
    expect(w.fake.groupMembers(await savedId(fresh.mappingId))).toEqual(ids(members));
  });

  it('survives a connection dropped in the middle of applying, and the next run converges', async () => {
    const w = await world();
    const members = await w.users(10);
    const one = await w.mappedGroup('One', members.slice(0, 5));
    const two = await w.mappedGroup('Two', members.slice(5, 10));
    await w.run();
    const [sg1, sg2] = [await savedId(one.mappingId), await savedId(two.mappingId)];

    // Directory changes: adds to both groups and a removal; the server dies at the second write.
    await addMembers(one.groupId, members.slice(5, 7));
    await addMembers(two.groupId, members.slice(0, 2));
    await removeMember(one.groupId, members[0]!);
    w.fake.dropOnNext('servergroupaddclient', 1);
    w.fake.clearCommandLog();
    const failed = await w.run();

    expect(failed.status).toBe('failed');
    expect(failed.errors.join('\n')).toMatch(/connection/i);
    const run = await syncRun(failed.runId);
    expect(run.status).toBe('failed');
    expect(run.errors.length).toBeGreaterThan(0);
    expect(run.finishedAt).not.toBeNull();
    // The first add was the one dropped: nothing landed.
    expect(w.fake.groupMembers(sg1)).toEqual(ids(members.slice(0, 5)));

    await until(() => w.target.status().connected);
    const next = await w.run();
    expect(next.status).toBe('applied');
    expect(next.errors).toEqual([]);
    // What the failed run did not do is not mistaken for a hand edit on the server.
    expect(next.plan?.counts).toMatchObject({ adds: 4, removes: 1, driftAdded: 0, driftRemoved: 0 });
    expect(w.fake.groupMembers(sg1)).toEqual(ids(members.slice(1, 7)));
    expect(w.fake.groupMembers(sg2)).toEqual(ids([...members.slice(0, 2), ...members.slice(5, 10)]));
    const last = await w.run();
    expect(last.plan?.counts).toMatchObject({ adds: 0, removes: 0 });
  });

  it('survives a server that stops answering while the run observes, and the next run converges', async () => {
    const w = await world({ commandTimeoutMs: 300 });
    const members = await w.users(4);
    const group = await w.mappedGroup('Hung', members.slice(0, 2));
    await w.run();
    const sgid = await savedId(group.mappingId);

    await addMembers(group.groupId, members.slice(2));
    w.fake.stallOnNext('servergroupclientlist', 1);
    const failed = await w.run();
    expect(failed.status).toBe('failed');
    expect(failed.reason).toMatch(/no answer within 300 ms/);
    expect((await syncRun(failed.runId)).status).toBe('failed');
    expect(w.fake.groupMembers(sgid)).toEqual(ids(members.slice(0, 2)));

    await until(() => w.target.status().connected);
    const next = await w.run();
    expect(next.status).toBe('applied');
    expect(w.fake.groupMembers(sgid)).toEqual(ids(members));
  });

  it('a user who may no longer log in loses every managed server group at the next run', async () => {
    const w = await world();
    const members = await w.users(8);
    const revoked = members[3]!;
    const groups = await Promise.all([
      w.mappedGroup('Red', members),
      w.mappedGroup('Green', members.slice(0, 6)),
      w.mappedGroup('Blue', members.slice(2, 8)),
    ]);
    const lounge = w.fake.createServerGroup('Lounge', { members: [revoked.cldbid] });
    await w.run();
    const sgids = await Promise.all(groups.map((g) => savedId(g.mappingId)));
    for (const sgid of sgids) expect(w.fake.groupMembers(sgid)).toContain(revoked.cldbid);

    await t.db.fork().nativeUpdate(User, { id: revoked.userId }, { authorizedToLogin: false });
    const result = await w.run();

    expect(result.status).toBe('applied');
    expect(result.plan?.counts).toMatchObject({ adds: 0, removes: 3 });
    for (const sgid of sgids) expect(w.fake.groupMembers(sgid)).not.toContain(revoked.cldbid);
    expect(w.fake.groupMembers(sgids[0]!)).toEqual(ids(members.filter((m) => m !== revoked)));
    // Still a member of the directory groups, and of the server group Roster does not manage.
    expect(await t.db.fork().count(GroupMember, { userId: revoked.userId })).toBe(3);
    expect(w.fake.groupMembers(lounge)).toEqual([revoked.cldbid]);
  });

  it('renames the server group it tracks when the display name changes, escaping included', async () => {
    const w = await world();
    const members = await w.users(2);
    const group = await w.mappedGroup('Logi', members);
    await w.run();
    const sgid = await savedId(group.mappingId);

    const display = `Logi | Ops/${w.n} \\ "Wing"`;
    await t.db.fork().nativeUpdate(GroupMapping, { id: group.mappingId }, { displayName: display });
    const result = await w.run();

    expect(result.status).toBe('applied');
    expect(result.plan?.renames).toEqual([
      { mappingId: group.mappingId, platformGroupId: sgid, from: group.name, to: display },
    ]);
    expect(w.fake.serverGroups().filter((g) => g.name === display)).toEqual([
      { sgid, name: display, type: 1, members: ids(members) },
    ]);
    expect(w.fake.commandCount('servergroupadd')).toBe(1);
    // Tracked by id: the next run finds the new name in place.
    const again = await w.run();
    expect(again.plan?.counts).toMatchObject({ creates: 0, renames: 0, adds: 0, removes: 0 });
  });

  it('reports a link to a client the server no longer knows as skipped, and applies the rest', async () => {
    const w = await world();
    const members = await w.users(4);
    // A fifth user linked to a client database id the server does not have (deleted there).
    const em = t.db.fork();
    const ghost = addUser(em, `Ghost ${w.n}`, { authorizedToLogin: true });
    addTeamspeakLink(em, ghost.id, w.name, '99999');
    await em.flush();
    const group = await w.mappedGroup('Ghosts', [...members, { userId: ghost.id, cldbid: '99999' }]);

    const result = await w.run();

    expect(result.status).toBe('applied');
    expect(result.errors).toEqual([]);
    const sgid = await savedId(group.mappingId);
    expect(w.fake.groupMembers(sgid)).toEqual(ids(members));
    expect(result.report?.skipped).toEqual([
      expect.objectContaining({
        accountId: '99999',
        groupId: sgid,
        reason: expect.stringMatching(/error 512/),
      }),
    ]);
    expect((await syncRun(result.runId)).skipped).toEqual([expect.objectContaining({ accountId: '99999' })]);

    // The next run remembers the stale id: the newcomer goes in one batched add, with no
    // client-by-client retry of the batch, and the stale link is still reported.
    const [newcomer] = (await w.users(1)) as [Member];
    await addMembers(group.groupId, [newcomer]);
    const adds = () => w.fake.commandLog().filter((e) => e.name === 'servergroupaddclient').length;
    const addsBefore = adds();
    const next = await w.run();
    expect(adds() - addsBefore).toBe(1);
    expect(w.fake.groupMembers(sgid)).toEqual(ids([...members, newcomer]));
    expect(next.report?.skipped).toEqual([
      expect.objectContaining({ accountId: '99999', reason: expect.stringMatching(/stale/) }),
    ]);
  });

  it('adopts the group it created before a crash instead of creating a duplicate', async () => {
    const w = await world();
    const members = await w.users(3);
    const group = await w.mappedGroup('Crashed', members);
    // The crash: the group was created on the server (and got a member), its id never saved.
    const orphan = w.fake.createServerGroup(group.name, { members: [members[0]!.cldbid] });
    expect(await platformGroupIdOf(group.mappingId)).toBeNull();
    const before = w.fake.serverGroups().length;

    w.fake.clearCommandLog();
    const result = await w.run();

    expect(result.status).toBe('applied');
    expect(result.plan?.counts.creates).toBe(0);
    expect(result.plan?.adopts).toEqual([
      { mappingId: group.mappingId, platformGroupId: orphan, name: group.name },
    ]);
    expect(w.fake.commandCount('servergroupadd')).toBe(0);
    expect(w.fake.serverGroups()).toHaveLength(before);
    expect(w.fake.serverGroups().filter((g) => g.name === group.name)).toHaveLength(1);
    expect(await platformGroupIdOf(group.mappingId)).toBe(orphan);
    expect(w.fake.groupMembers(orphan)).toEqual(ids(members));
  });

  it('batches: one read per managed group, at most one add and one remove per changed group', async () => {
    const w = await world();
    const members = await w.users(30);
    const groups = await Promise.all(
      Array.from({ length: 5 }, (_, i) => w.mappedGroup(`Batch${i}`, members.slice(i * 5, i * 5 + 15))),
    );
    const first = await w.run();
    expect(first.status).toBe('applied');
    const sgids = await Promise.all(groups.map((g) => savedId(g.mappingId)));
    // Creation run: each group filled with a single add.
    expect(w.fake.commandCount('servergroupaddclient')).toBe(5);

    // Changes: group 0 gains 3 and loses 2, group 1 only gains, group 2 only loses, 3 and 4 unchanged.
    await addMembers(groups[0]!.groupId, members.slice(20, 23));
    for (const m of members.slice(0, 2)) await removeMember(groups[0]!.groupId, m);
    await addMembers(groups[1]!.groupId, members.slice(25, 30));
    await removeMember(groups[2]!.groupId, members[10]!);
    w.fake.clearCommandLog();
    const callsBefore = w.target.callsIssued();

    const result = await w.run();

    expect(result.status).toBe('applied');
    expect(result.plan?.counts).toMatchObject({ adds: 8, removes: 3 });
    const log = w.fake.commandLog();
    const count = (name: string, sgid?: string) =>
      log.filter((e) => e.name === name && (sgid === undefined || linesNaming(w.fake, sgid).includes(e.line)))
        .length;
    for (const sgid of sgids) expect(count('servergroupclientlist', sgid)).toBe(1);
    expect(count('servergroupclientlist')).toBe(5);
    expect(count('servergroupaddclient', sgids[0])).toBe(1);
    expect(count('servergroupdelclient', sgids[0])).toBe(1);
    expect(count('servergroupaddclient', sgids[1])).toBe(1);
    expect(count('servergroupdelclient', sgids[1])).toBe(0);
    expect(count('servergroupaddclient', sgids[2])).toBe(0);
    expect(count('servergroupdelclient', sgids[2])).toBe(1);
    for (const sgid of sgids.slice(3))
      expect(linesNaming(w.fake, sgid)).toEqual([`servergroupclientlist sgid=${sgid}`]);
    expect(log.map((e) => e.name).sort()).toEqual(
      [
        'servergrouplist',
        ...Array<string>(5).fill('servergroupclientlist'),
        'clientlist',
        'servergroupaddclient',
        'servergroupaddclient',
        'servergroupdelclient',
        'servergroupdelclient',
      ].sort(),
    );
    // The run's recorded count is what the server received.
    expect(result.callsIssued).toBe(log.length);
    expect(w.target.callsIssued() - callsBefore).toBe(log.length);
    expect((await syncRun(result.runId)).callsIssued).toBe(log.length);
    expect(w.fake.groupMembers(sgids[0]!)).toEqual(ids([...members.slice(2, 15), ...members.slice(20, 23)]));
  });

  it("stays within TeamSpeak's default flood protection (10 commands per 3 s, not whitelisted)", async () => {
    const w = await world({ flood: 'default' });
    const members = await w.users(12);
    // Online clients with other nicknames: the run also messages them (more commands).
    for (const m of members.slice(0, 3))
      w.fake.connectClient({ nickname: `someone ${m.cldbid}`, cldbid: m.cldbid });
    await Promise.all(
      Array.from({ length: 4 }, (_, i) => w.mappedGroup(`Flood${i}`, members.slice(i * 2, i * 2 + 6))),
    );

    const result = await w.run();

    expect(result.status).toBe('applied');
    expect(result.errors).toEqual([]);
    expect(result.report?.nicknamesChanged).toBe(3);
    // Connect (4) + list + clientlist + 4 creates + 4 adds + clientlist + 3 messages (a group just
    // created is empty: it is not read): nearly two windows.
    expect(w.fake.commandCount()).toBeGreaterThan(15);
    expect(w.fake.floodEvents()).toEqual([]);
    expect(w.fake.commandLog().filter((e) => e.errorId === 524)).toEqual([]);
    expect(w.fake.bans()).toEqual([]);
    expect(w.target.status().connected).toBe(true);
  });
});

describe('TeamSpeak scoped runs: only what a change touched, read from the server first', () => {
  it('a scoped run reads only the affected clients and fixes only them; hand-made drift outside waits for the full run', async () => {
    const w = await world();
    const [u0, u1, u2, u3, u4, u5] = (await w.users(6)) as [Member, Member, Member, Member, Member, Member];
    const alpha = await w.mappedGroup('Alpha', [u0, u1, u2, u3]);
    const beta = await w.mappedGroup('Beta', [u2, u3, u4, u5]);
    const gamma = await w.mappedGroup('Gamma', [u0, u5]);
    expect((await w.run()).status).toBe('applied');
    const [alphaId, betaId, gammaId] = (await Promise.all(
      [alpha, beta, gamma].map((g) => savedId(g.mappingId)),
    )) as [string, string, string];

    // By hand on the server: u4 put into Alpha, u5 taken out of Gamma.
    w.fake.addGroupMembers(alphaId, [u4.cldbid]);
    w.fake.server().group(gammaId).members.delete(u5.cldbid);
    // In the directory: u1 leaves Alpha and joins Gamma.
    await removeMember(alpha.groupId, u1);
    await addMembers(gamma.groupId, [u1]);
    w.fake.clearCommandLog();

    const scoped = await w.reconciler.run('teamspeak', w.name, {
      trigger: 'e2e',
      scope: usersScope([u1.userId]),
    });

    expect(scoped.status).toBe('applied');
    expect(scoped.scope).toEqual({ groups: 0, accounts: 1 });
    expect(scoped.plan?.counts).toMatchObject({ adds: 1, removes: 1 });
    expect(w.fake.commandLog().map((e) => e.line)).toEqual([
      `servergroupsbyclientid cldbid=${u1.cldbid}`,
      'clientlist',
      `servergroupaddclient sgid=${gammaId} cldbid=${u1.cldbid}`,
      `servergroupdelclient sgid=${alphaId} cldbid=${u1.cldbid}`,
    ]);
    expect(scoped.callsIssued).toBe(4);
    // Outside the scope nothing moved, the hand edits included.
    expect(w.fake.groupMembers(alphaId)).toEqual(ids([u0, u2, u3, u4]));
    expect(w.fake.groupMembers(betaId)).toEqual(ids([u2, u3, u4, u5]));
    expect(w.fake.groupMembers(gammaId)).toEqual(ids([u0, u1]));

    // The scheduled full run repairs the hand edits, and knows them for drift (the scoped run kept the snapshot whole).
    const full = await w.run();
    expect(full.status).toBe('applied');
    expect(full.scope).toBeNull();
    expect(full.plan?.counts).toMatchObject({ adds: 1, removes: 1, driftAdded: 1, driftRemoved: 1 });
    expect(w.fake.groupMembers(alphaId)).toEqual(ids([u0, u2, u3]));
    expect(w.fake.groupMembers(gammaId)).toEqual(ids([u0, u1, u5]));
  });

  it('a run scoped to users reads only them from the directory: changes of other users wait for the full run, an unlinked account is named itself', async () => {
    const w = await world({ guard: { maxRemovalShare: 1 } });
    const [u0, u1, u2, u3] = (await w.users(4)) as [Member, Member, Member, Member];
    const alpha = await w.mappedGroup('Solo', [u0, u1, u2]);
    const beta = await w.mappedGroup('Duo', [u2, u3]);
    expect((await w.run()).status).toBe('applied');
    const [alphaId, betaId] = (await Promise.all([alpha, beta].map((g) => savedId(g.mappingId)))) as [
      string,
      string,
    ];

    // In the directory: u0 and u1 leave Solo, u3 loses the right to log in; only u0's change is sent.
    await removeMember(alpha.groupId, u0);
    await removeMember(alpha.groupId, u1);
    await t.db.fork().nativeUpdate(User, { id: u3.userId }, { authorizedToLogin: false });
    const scoped = await w.reconciler.run('teamspeak', w.name, { scope: usersScope([u0.userId]) });
    expect(scoped.status).toBe('applied');
    expect(scoped.plan?.counts).toMatchObject({ adds: 0, removes: 1 });
    // What such a run reads: that user alone, whatever the directory's size.
    const read = await loadSyncInputs(t.db.fork(), 'teamspeak', w.name, { userIds: [u0.userId] });
    expect([...read.dir.users.keys()]).toEqual([u0.userId]);
    expect([...read.accountOf]).toEqual([[u0.userId, u0.cldbid]]);
    expect([...read.membersOf.values()].flat()).toEqual([]);
    expect(w.fake.groupMembers(alphaId)).toEqual(ids([u1, u2]));
    expect(w.fake.groupMembers(betaId)).toEqual(ids([u2, u3]));

    // An unlink: the user has no account here any more, the account itself is in scope.
    await t.db.fork().nativeDelete(TeamspeakLink, { userId: u2.userId, target: w.name });
    const unlinked = await w.reconciler.run('teamspeak', w.name, {
      scope: {
        groups: [],
        users: [u2.userId],
        accounts: [{ platform: 'teamspeak', target: w.name, accountId: u2.cldbid }],
      },
    });
    expect(unlinked.status).toBe('applied');
    expect(unlinked.plan?.counts).toMatchObject({ adds: 0, removes: 2 });
    expect(w.fake.groupMembers(alphaId)).toEqual(ids([u1]));
    expect(w.fake.groupMembers(betaId)).toEqual(ids([u3]));

    // The full run catches up with what no scope named.
    const full = await w.run();
    expect(full.plan?.counts).toMatchObject({ adds: 0, removes: 2 });
    expect(w.fake.groupMembers(alphaId)).toEqual([]);
    expect(w.fake.groupMembers(betaId)).toEqual([]);
  });

  it('a change to one member costs at most 3 commands; a change that touches nothing here costs none; a whole group is listed once', async () => {
    const w = await world();
    const members = await w.users(8);
    const groups = await Promise.all(
      Array.from({ length: 5 }, (_, i) => w.mappedGroup(`Many${i}`, members.slice(i, i + 4))),
    );
    expect((await w.run()).status).toBe('applied');
    const sgids = await Promise.all(groups.map((g) => savedId(g.mappingId)));

    await removeMember(groups[2]!.groupId, members[3]!);
    w.fake.clearCommandLog();
    const one = await w.reconciler.run('teamspeak', w.name, { scope: usersScope([members[3]!.userId]) });
    expect(one.status).toBe('applied');
    expect(one.callsIssued).toBeLessThanOrEqual(3);
    expect(w.fake.commandCount()).toBe(one.callsIssued);
    expect(w.fake.groupMembers(sgids[2]!)).toEqual(ids([members[2]!, members[4]!, members[5]!]));

    w.fake.clearCommandLog();
    const none = await w.reconciler.run('teamspeak', w.name, { scope: usersScope(['not-a-user']) });
    expect(none.status).toBe('applied');
    expect(none.callsIssued).toBe(0);
    expect(w.fake.commandCount()).toBe(0);

    await addMembers(groups[0]!.groupId, members.slice(5, 8));
    w.fake.clearCommandLog();
    const whole = await w.reconciler.run('teamspeak', w.name, {
      scope: { groups: [groups[0]!.groupId], users: [], accounts: [] },
    });
    expect(whole.status).toBe('applied');
    expect(whole.plan?.counts).toMatchObject({ adds: 3, removes: 0 });
    expect(
      w.fake
        .commandLog()
        .map((e) => e.name)
        .sort(),
    ).toEqual(['clientlist', 'servergroupaddclient', 'servergroupclientlist', 'servergrouplist']);
    expect(linesNaming(w.fake, sgids[0]!)[0]).toBe(`servergroupclientlist sgid=${sgids[0]}`);
  });
});

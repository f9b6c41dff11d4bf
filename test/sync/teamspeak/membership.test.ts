import { describe, expect, it } from 'vitest';
import type { ApplyBatch } from '../../../src/sync/target.ts';
import { commandNames, connectedTarget, fakeServer } from './helpers.ts';

const batch = (parts: Partial<ApplyBatch>): ApplyBatch => ({
  runId: 'run-1',
  adds: [],
  removes: [],
  nicknames: [],
  reason: 'test',
  ...parts,
});

function dbClients(fake: Awaited<ReturnType<typeof fakeServer>>, count: number): string[] {
  return Array.from({ length: count }, (_, i) => fake.addDbClient({ nickname: `user${i}` }).cldbid);
}

describe('TeamSpeak target: observe', () => {
  it('reads each group once and the online nicknames with one clientlist', async () => {
    const fake = await fakeServer();
    const [a, b, c] = dbClients(fake, 3) as [string, string, string];
    const g1 = fake.createServerGroup('One', { members: [a, b] });
    const g2 = fake.createServerGroup('Two');
    const online = fake.connectClient({ nickname: 'Alice Online', cldbid: c });
    const t = await connectedTarget(fake);
    fake.clearCommandLog();

    const observed = await t.observe([g1, g2, g1]);
    expect(commandNames(fake)).toEqual(['servergroupclientlist', 'servergroupclientlist', 'clientlist']);
    expect(observed.members).toEqual(
      new Map([
        [g1, new Set([a, b])],
        [g2, new Set()],
      ]),
    );
    expect(observed.nicknames).toEqual(new Map([[online.cldbid, 'Alice Online']]));
  });

  it('leaves out a group the server no longer has instead of failing the run', async () => {
    const fake = await fakeServer();
    const g1 = fake.createServerGroup('Kept');
    const t = await connectedTarget(fake);
    const observed = await t.observe([g1, '4242']);
    expect([...observed.members.keys()]).toEqual([g1]);
  });
});

describe('TeamSpeak target: apply', () => {
  it('adds and removes with one batched command per group', async () => {
    const fake = await fakeServer();
    const ids = dbClients(fake, 12);
    const g1 = fake.createServerGroup('One', { members: ids.slice(0, 4) });
    const g2 = fake.createServerGroup('Two', { members: ids.slice(6, 9) });
    const t = await connectedTarget(fake);
    fake.clearCommandLog();
    const before = t.callsIssued();

    const report = await t.apply(
      batch({
        adds: [
          { groupId: g1, accountIds: ids.slice(4, 10) },
          { groupId: g2, accountIds: ids.slice(9, 12) },
        ],
        removes: [
          { groupId: g1, accountIds: ids.slice(0, 3) },
          { groupId: g2, accountIds: ids.slice(6, 8) },
        ],
      }),
    );
    expect(report).toEqual({ added: 9, removed: 5, nicknamesChanged: 0, skipped: [], errors: [] });
    expect(commandNames(fake).sort()).toEqual([
      'servergroupaddclient',
      'servergroupaddclient',
      'servergroupdelclient',
      'servergroupdelclient',
    ]);
    expect(t.callsIssued() - before).toBe(4);
    expect(fake.commandLog()[0]?.line).toBe(
      `servergroupaddclient sgid=${g1} ${ids
        .slice(4, 10)
        .map((id) => `cldbid=${id}`)
        .join('|')}`,
    );
    expect(fake.groupMembers(g1)).toEqual([ids[3], ...ids.slice(4, 10)]);
    expect(fake.groupMembers(g2)).toEqual([ids[8], ...ids.slice(9, 12)]);
  });

  it('splits very long batches', async () => {
    const fake = await fakeServer();
    const ids = dbClients(fake, 7);
    const g = fake.createServerGroup('Big');
    const t = await connectedTarget(fake, { maxIdsPerCommand: 3 });
    fake.clearCommandLog();
    const report = await t.apply(batch({ adds: [{ groupId: g, accountIds: ids }] }));
    expect(report.added).toBe(7);
    expect(commandNames(fake)).toEqual([
      'servergroupaddclient',
      'servergroupaddclient',
      'servergroupaddclient',
    ]);
  });

  it('keeps the rest of a batch when one cldbid no longer exists, and reports it as skipped', async () => {
    const fake = await fakeServer();
    const [a, b, c] = dbClients(fake, 3) as [string, string, string];
    const g = fake.createServerGroup('Members', { members: [c] });
    const t = await connectedTarget(fake);
    fake.clearCommandLog();

    const report = await t.apply(
      batch({
        adds: [{ groupId: g, accountIds: [a, '9999', b, 'not-an-id'] }],
        removes: [{ groupId: g, accountIds: [c, '8888'] }],
      }),
    );
    expect(fake.groupMembers(g)).toEqual([a, b]);
    expect(report.added).toBe(2);
    expect(report.removed).toBe(1);
    expect(report.errors).toEqual([]);
    expect(report.skipped.map((s) => [s.accountId, s.groupId])).toEqual([
      ['not-an-id', g],
      ['9999', g],
      ['8888', g],
    ]);
    expect(report.skipped[1]?.reason).toMatch(/invalid clientID \(error 512\)/);
    // One batch each, then the per-client fallback for each refused batch.
    expect(commandNames(fake).filter((n) => n === 'servergroupaddclient')).toHaveLength(1 + 3);
  });

  it('treats "already a member" and "not a member" as done, and a missing group as an error', async () => {
    const fake = await fakeServer();
    const [a, b] = dbClients(fake, 2) as [string, string];
    const g = fake.createServerGroup('G', { members: [a] });
    const t = await connectedTarget(fake);
    const report = await t.apply(
      batch({
        adds: [
          { groupId: g, accountIds: [a, b] },
          { groupId: '4242', accountIds: [a] },
        ],
        removes: [{ groupId: g, accountIds: ['1'] }],
      }),
    );
    expect(fake.groupMembers(g)).toEqual([a, b]);
    expect(report.added).toBe(2);
    expect(report.removed).toBe(1);
    expect(report.skipped).toEqual([]);
    expect(report.errors).toEqual([
      expect.stringMatching(/^servergroupaddclient sgid=4242 .*invalid group ID \(error 2560\)/),
    ]);
  });
});

describe('TeamSpeak target: nicknames and linking', () => {
  it('asks an online client to rename at most once per interval', async () => {
    const fake = await fakeServer();
    const online = fake.connectClient({ nickname: 'bob' });
    const offline = fake.addDbClient({ nickname: 'carol' });
    const t = await connectedTarget(fake, { nicknameMessageIntervalMs: 60_000 });
    const nicknames = [
      { accountId: online.cldbid, nickname: '[ABC] Bob' },
      { accountId: offline.cldbid, nickname: '[ABC] Carol' },
    ];
    expect((await t.apply(batch({ nicknames }))).nicknamesChanged).toBe(1);
    expect((await t.apply(batch({ nicknames }))).nicknamesChanged).toBe(0);
    expect(fake.messages()).toEqual([
      expect.objectContaining({
        targetmode: 1,
        targetCldbid: online.cldbid,
        msg: expect.stringContaining('"[ABC] Bob"'),
      }),
    ]);
  });

  it('messages again once the interval has passed, and never when switched off', async () => {
    const fake = await fakeServer();
    const online = fake.connectClient({ nickname: 'bob' });
    const t = await connectedTarget(fake, { nicknameMessageIntervalMs: 1 });
    const nicknames = [{ accountId: online.cldbid, nickname: 'Bob' }];
    await t.apply(batch({ nicknames }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await t.apply(batch({ nicknames }));
    expect(fake.messages()).toHaveLength(2);

    const off = await connectedTarget(fake, { nickname: 'Roster2', messageNicknames: false });
    expect((await off.apply(batch({ nicknames }))).nicknamesChanged).toBe(0);
    expect(fake.messages()).toHaveLength(2);
  });

  it('lists online voice clients with their ids in one clientlist, query clients left out', async () => {
    const fake = await fakeServer();
    const x = fake.connectClient({ nickname: 'link-7f3a9c', uid: 'uidX=' });
    const y = fake.connectClient({ nickname: 'link-7f3a9c2', uid: 'uidY=' });
    const t = await connectedTarget(fake);
    const before = fake.commandLog().length;
    expect(await t.listOnlineClients()).toEqual([
      { clientDbId: x.cldbid, uniqueId: 'uidX=', nickname: 'link-7f3a9c' },
      { clientDbId: y.cldbid, uniqueId: 'uidY=', nickname: 'link-7f3a9c2' },
    ]);
    expect(
      fake
        .commandLog()
        .slice(before)
        .map((e) => e.name),
    ).toEqual(['clientlist']);
  });

  it('finds known clients by unique id (one lookup each, or paging clientdblist for many) and by database id', async () => {
    const fake = await fakeServer();
    const known = Array.from({ length: 40 }, (_, i) =>
      fake.connectClient({ nickname: `P${i}`, uid: `uid${i}=` }),
    );
    for (const c of known) fake.disconnectClient(c.clid);
    const t = await connectedTarget(fake, { uidLookupsBeforeList: 3 });
    let mark = fake.commandLog().length;
    const few = await t.findKnownClients({ uniqueIds: ['uid1=', 'uid2=', 'nobody='], clientDbIds: [] });
    expect(few.map((c) => [c.uniqueId, c.clientDbId])).toEqual([
      ['uid1=', known[1]!.cldbid],
      ['uid2=', known[2]!.cldbid],
    ]);
    expect(
      fake
        .commandLog()
        .slice(mark)
        .map((e) => e.name),
    ).toEqual(Array(3).fill('clientgetdbidfromuid'));
    mark = fake.commandLog().length;
    const many = await t.findKnownClients({
      uniqueIds: known
        .slice(0, 35)
        .map((c) => c.uid)
        .concat('nobody='),
      clientDbIds: [known[39]!.cldbid, '999999'],
    });
    expect(many).toHaveLength(36);
    expect(many[0]).toEqual({ clientDbId: known[39]!.cldbid, uniqueId: 'uid39=', nickname: 'P39' });
    const commands = fake
      .commandLog()
      .slice(mark)
      .map((e) => e.name);
    expect(commands.filter((c) => c === 'clientdblist').length).toBeLessThanOrEqual(2);
    expect(commands).not.toContain('clientgetdbidfromuid');
  });
});

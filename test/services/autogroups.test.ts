import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildAutogroups } from '../../src/services/autogroups.ts';
import { bootstrap } from '../../src/services/bootstrap.ts';
import {
  AuditEntry,
  Corporation,
  Group,
  GroupMapping,
  GroupMember,
  User,
} from '../../src/store/entities/index.ts';
import { backends, createTestDatabase, type TestDatabase } from '../support/database.ts';
import {
  addAlliance,
  addCoalition,
  addCorporation,
  addGroup,
  addMapping,
  addMember,
  addUser,
} from '../support/rows.ts';

/**
 * The directory: AAA (may log in) and BBB in alliance ALLY; CCC without alliance but a direct
 * member of coalition NORTH (may log in), which also holds ALLY; DDD in alliance OTHR.
 * The steps below run in order, each on the state the previous one left.
 */
describe.each(backends())('rebuildAutogroups on %s', (kind) => {
  let t: TestDatabase;
  let rootId: string;
  const user: Record<string, string> = {};
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    rootId = (await bootstrap(t.db.fork())).rootId;
    const em = t.db.fork();
    addAlliance(em, 10, { ticker: 'ALLY', name: 'The Alliance' });
    addAlliance(em, 20, { ticker: 'OTHR', name: 'Others' });
    addCorporation(em, 1, { ticker: 'AAA', name: 'Alpha', allianceId: 10, authorizedToLogin: true });
    addCorporation(em, 2, { ticker: 'BBB', name: 'Bravo', allianceId: 10 });
    addCorporation(em, 3, { ticker: 'CCC', name: 'Charlie' });
    addCorporation(em, 4, { ticker: 'DDD', name: 'Delta', allianceId: 20 });
    addCoalition(em, 'The North', {
      ticker: 'NORTH',
      allianceIds: [10],
      corporationIds: [3],
      authorizedToLogin: true,
    });
    const users = {
      alice: addUser(em, 'alice', { corporationId: 1 }),
      guest: addUser(em, 'guest', { corporationId: 1, clearanceLevel: -1 }),
      bob: addUser(em, 'bob', { corporationId: 2, clearanceLevel: 10, authorizedToLogin: true }),
      carol: addUser(em, 'carol', { corporationId: 3 }),
      dave: addUser(em, 'dave', { corporationId: 4 }),
      eve: addUser(em, 'eve', { corporationId: null, authorizedToLogin: true }),
    };
    for (const [name, u] of Object.entries(users)) user[name] = u.id;
    // A manual group: never touched by a rebuild.
    addGroup(em, 'Fleet Commanders', [users.alice.id, users.dave.id]);
    await em.flush();
  });
  afterAll(async () => t?.dispose());

  /** Every group (name -> sorted member names). */
  async function groups(): Promise<Record<string, string[]>> {
    const em = t.db.fork();
    const [all, members, users] = await Promise.all([
      em.find(Group, {}),
      em.find(GroupMember, {}),
      em.find(User, {}),
    ]);
    const nameOf = new Map(users.map((u) => [u.id, u.characterName]));
    return Object.fromEntries(
      all.map((g) => [
        g.name,
        members
          .filter((m) => m.groupId === g.id)
          .map((m) => nameOf.get(m.userId)!)
          .sort(),
      ]),
    );
  }

  const initial = {
    'corp:AAA': ['alice'],
    'corp:BBB': ['bob'],
    'corp:CCC': ['carol'],
    'corp:DDD': ['dave'],
    'alliance:ALLY': ['alice', 'bob'],
    'alliance:OTHR': ['dave'],
    'coalition:NORTH': ['alice', 'bob', 'carol'],
    superusers: ['bob', 'root'],
    // The guest may log in (through AAA) but is in no corporation group nor in members; dave may not log in.
    members: ['alice', 'bob', 'carol', 'eve', 'root'],
    guests: ['guest'],
    'Fleet Commanders': ['alice', 'dave'],
  };

  it('builds every autogroup by the naming scheme, keeping the bootstrap’s superusers group', async () => {
    const superusers = await t.db.fork().findOneOrFail(Group, { name: 'superusers' });
    const result = await rebuildAutogroups(t.db.fork());
    expect(result).toMatchObject({ created: 9, renamed: 0, added: 17, removed: 0, deleted: [] });
    expect(result.changedUserIds).toHaveLength(new Set(result.changedUserIds).size);
    expect(await groups()).toEqual(initial);
    const after = await t.db.fork().findOneOrFail(Group, { name: 'superusers' });
    expect(after.id).toBe(superusers.id);
    expect(after.ownerId).toBe(rootId);
    const auto = await t.db.fork().find(Group, { kind: 'auto' });
    expect(auto).toHaveLength(10);
    expect(auto.find((g) => g.name === 'corp:AAA')).toMatchObject({
      autoKey: 'corporation:1',
      description: 'Members of Alpha',
      ownerId: null,
    });
  });

  it('is idempotent, and bootstrap after a rebuild changes nothing either', async () => {
    expect(await rebuildAutogroups(t.db.fork())).toMatchObject({
      created: 0,
      renamed: 0,
      added: 0,
      removed: 0,
      deleted: [],
      changedUserIds: [],
    });
    await bootstrap(t.db.fork());
    expect(await rebuildAutogroups(t.db.fork())).toMatchObject({
      created: 0,
      renamed: 0,
      added: 0,
      removed: 0,
      deleted: [],
      changedUserIds: [],
    });
    expect(await groups()).toEqual(initial);
  });

  it('rebuilds rather than patches: members who moved, left or became guests are removed', async () => {
    const em = t.db.fork();
    await em.nativeUpdate(User, { id: user.alice! }, { corporationId: 4 });
    await em.nativeUpdate(User, { id: user.bob! }, { corporationId: null });
    await em.nativeUpdate(User, { id: user.guest! }, { clearanceLevel: 0 });
    await em.nativeUpdate(User, { id: user.carol! }, { clearanceLevel: -1 });
    // A row someone slipped into an autogroup by hand goes too.
    const ccc = await em.findOneOrFail(Group, { name: 'corp:CCC' });
    const slipped = t.db.fork();
    addMember(slipped, ccc.id, user.eve!);
    await slipped.flush();

    const result = await rebuildAutogroups(t.db.fork());
    expect(await groups()).toEqual({
      'corp:AAA': ['guest'],
      'corp:BBB': [],
      'corp:CCC': [],
      'corp:DDD': ['alice', 'dave'],
      'alliance:ALLY': ['guest'],
      'alliance:OTHR': ['alice', 'dave'],
      'coalition:NORTH': ['guest'],
      superusers: ['bob', 'root'],
      // alice lost her login with AAA; carol keeps hers through NORTH, as a guest now.
      members: ['bob', 'eve', 'guest', 'root'],
      guests: ['carol'],
      'Fleet Commanders': ['alice', 'dave'],
    });
    expect(result).toMatchObject({ created: 0, renamed: 0, added: 7, removed: 12, deleted: [] });
    // Who joined or left an autogroup: what the syncs after this rebuild are scoped to.
    expect([...result.changedUserIds].sort()).toEqual(
      [user.alice!, user.bob!, user.guest!, user.carol!, user.eve!].sort(),
    );
    expect(await rebuildAutogroups(t.db.fork())).toMatchObject({
      created: 0,
      renamed: 0,
      added: 0,
      removed: 0,
      deleted: [],
      changedUserIds: [],
    });
  });

  it('renames an autogroup in place when its ticker changes, so its mappings survive', async () => {
    const em = t.db.fork();
    const group = await em.findOneOrFail(Group, { name: 'corp:AAA' });
    addMapping(em, group.id, 'teamspeak', 'main', { platformGroupId: '42' });
    await em.flush();
    await t.db.fork().nativeUpdate(Corporation, { corporationId: 1 }, { ticker: 'AAX', name: 'Alpha Prime' });

    expect(await rebuildAutogroups(t.db.fork())).toMatchObject({
      created: 0,
      renamed: 1,
      added: 0,
      removed: 0,
      deleted: [],
      changedUserIds: [],
    });
    const renamed = await t.db.fork().findOneOrFail(Group, { id: group.id });
    expect(renamed).toMatchObject({ name: 'corp:AAX', description: 'Members of Alpha Prime' });
    expect((await groups())['corp:AAX']).toEqual(['guest']);
    expect(await t.db.fork().count(GroupMapping, { groupId: group.id, platformGroupId: '42' })).toBe(1);
  });

  it('removes the autogroup of a corporation that left the directory, ending its mappings', async () => {
    const ddd = await t.db.fork().findOneOrFail(Group, { name: 'corp:DDD' });
    const em = t.db.fork();
    addMapping(em, ddd.id, 'discord', 'guild', { platformGroupId: '777' });
    await em.flush();
    await t.db.fork().nativeDelete(Corporation, { corporationId: 4 });
    const result = await rebuildAutogroups(t.db.fork());
    // alice and dave are in no known corporation now, so also out of alliance:OTHR.
    expect(result).toMatchObject({
      created: 0,
      renamed: 0,
      added: 0,
      removed: 2,
      changedUserIds: expect.arrayContaining([user.alice!, user.dave!]),
      deleted: [
        {
          name: 'corp:DDD',
          key: 'corporation:4',
          members: 2,
          endedMappings: [{ platform: 'discord', target: 'guild', platformGroupId: '777' }],
        },
      ],
    });
    expect((await groups())['alliance:OTHR']).toEqual([]);
    expect(await t.db.fork().findOne(Group, { id: ddd.id })).toBeNull();
    expect(await t.db.fork().count(GroupMember, { groupId: ddd.id })).toBe(0);
    expect(await t.db.fork().count(GroupMapping, { groupId: ddd.id })).toBe(0);
    // Written with its audit entry, which says the platform group was left in place.
    const entry = await t.db.fork().findOneOrFail(AuditEntry, { subject: `group:${ddd.id}` });
    expect(entry).toMatchObject({ action: 'autogroup.delete', actorId: null });
    expect(JSON.stringify(entry.after)).toContain('left in place');
  });

  it('gives a new corporation the ticker of one that left, or of one still in the directory', async () => {
    const em = t.db.fork();
    // DDD left (above); a new corporation takes its ticker, and another reuses BBB's.
    addCorporation(em, 5, { ticker: 'DDD', name: 'Delta Reborn' });
    addCorporation(em, 6, { ticker: 'BBB', name: 'Bravo Two' });
    const frank = addUser(em, 'frank', { corporationId: 5 });
    const gina = addUser(em, 'gina', { corporationId: 6 });
    await em.flush();

    await rebuildAutogroups(t.db.fork());
    const names = Object.keys(await groups());
    expect(new Set(names).size).toBe(names.length);
    const byKey = new Map((await t.db.fork().find(Group, { kind: 'auto' })).map((g) => [g.autoKey, g]));
    const memberNames = async (key: string) =>
      (await t.db.fork().find(GroupMember, { groupId: byKey.get(key)!.id })).map((m) => m.userId);
    expect(await memberNames('corporation:5')).toEqual([frank.id]);
    expect(await memberNames('corporation:6')).toEqual([gina.id]);
    // The corporation still in the directory keeps its name; the living one takes the left one's.
    expect(byKey.get('corporation:2')!.name).toBe('corp:BBB');
    expect(byKey.get('corporation:5')!.name).toBe('corp:DDD');
    expect(byKey.get('corporation:6')!.name).toMatch(/^corp:BBB /);
    expect(byKey.has('corporation:4')).toBe(false);
    expect(await rebuildAutogroups(t.db.fork())).toMatchObject({
      created: 0,
      renamed: 0,
      added: 0,
      removed: 0,
      deleted: [],
      changedUserIds: [],
    });
  });

  it('swaps names between two autogroups without tripping the unique index', async () => {
    const em = t.db.fork();
    const before = new Map(
      (await em.find(Group, { autoKey: { $in: ['corporation:1', 'corporation:3'] } })).map((g) => [
        g.autoKey,
        g,
      ]),
    );
    expect([before.get('corporation:1')!.name, before.get('corporation:3')!.name]).toEqual([
      'corp:AAX',
      'corp:CCC',
    ]);
    await em.nativeUpdate(Corporation, { corporationId: 1 }, { ticker: 'CCC' });
    await em.nativeUpdate(Corporation, { corporationId: 3 }, { ticker: 'AAX' });

    expect(await rebuildAutogroups(t.db.fork())).toMatchObject({ created: 0, renamed: 2 });
    const after = new Map(
      (await t.db.fork().find(Group, { autoKey: { $in: ['corporation:1', 'corporation:3'] } })).map((g) => [
        g.autoKey,
        g,
      ]),
    );
    expect(after.get('corporation:1')).toMatchObject({
      id: before.get('corporation:1')!.id,
      name: 'corp:CCC',
    });
    expect(after.get('corporation:3')).toMatchObject({
      id: before.get('corporation:3')!.id,
      name: 'corp:AAX',
    });
    const names = Object.keys(await groups());
    expect(names.filter((n) => n.startsWith('~'))).toEqual([]);
  });

  it('builds the built-in guests group even where a manual group of that name is older', async () => {
    const em = t.db.fork();
    const builtin = await em.findOneOrFail(Group, { autoKey: 'builtin:guests' });
    await em.nativeDelete(GroupMember, { groupId: builtin.id });
    await em.nativeDelete(Group, { id: builtin.id });
    const manual = addGroup(em, 'guests', [user.alice!]);
    await em.flush();
    const result = await rebuildAutogroups(t.db.fork());
    expect(result.created).toBe(1);
    const now = await t.db.fork().findOneOrFail(Group, { autoKey: 'builtin:guests' });
    expect(now.name).toBe('guests (built-in)');
    expect(await t.db.fork().findOneOrFail(Group, { id: manual.id })).toMatchObject({ name: 'guests' });
    expect(await rebuildAutogroups(t.db.fork())).toMatchObject({ created: 0, renamed: 0, deleted: [] });
  });
});

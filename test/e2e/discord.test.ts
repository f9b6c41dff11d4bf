/**
 * End to end: the real reconciler engine drives the real Discord adapter (discord.js REST) against
 * the fake Discord API over HTTP on loopback, with the directory in a real PostgreSQL database.
 * Each test has its own fake guild(s) and target name(s); the database is shared by the file.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import {
  Corporation,
  GroupMapping,
  GroupMember,
  SyncRun,
  User,
  type Group,
} from '../../src/store/entities/index.ts';
import {
  SkipReason,
  createDiscordTarget,
  type DiscordTarget,
  type DiscordTargetOptions,
} from '../../src/sync/discord/index.ts';
import { createReconciler, type ReconcilerOptions, type RunResult } from '../../src/sync/engine.ts';
import { explain } from '../../src/sync/explain.ts';
import { usersScope } from '../../src/sync/scope.ts';
import {
  snowflake,
  startFakeDiscord,
  type DropMode,
  type FakeDiscord,
  type FakeDiscordOptions,
  type RecordedRequest,
} from '../fakes/discord/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addAlliance, addCorporation, addGroup, addMapping, addMember, addUser } from '../support/rows.ts';

const logger = createLogger({ level: 'silent' });
const permissive = { maxRemovalShare: 1, maxRemovals: 1_000_000, removalGraceMinutes: 0 } as const;

/** Discord's shapes with short windows, so pacing and 429s are exercised without Discord's 10 s. */
const shortLimits = {
  memberEdit: { limit: 5, windowMs: 100 },
  route: { limit: 20, windowMs: 100 },
  global: { limit: 100, windowMs: 200 },
} as const;

const PATCH_MEMBER = 'PATCH /guilds/:guild/members/:user';
const POST_ROLE = 'POST /guilds/:guild/roles';
const PATCH_ROLE = 'PATCH /guilds/:guild/roles/:role';
const LIST_MEMBERS = 'GET /guilds/:guild/members';
const LIST_ROLES = 'GET /guilds/:guild/roles';
const GET_GUILD = 'GET /guilds/:guild';
const GET_ME = 'GET /users/@me';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase('postgresql');
});
afterAll(async () => t?.dispose());

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Guild {
  readonly name: string;
  readonly fake: FakeDiscord;
  readonly target: DiscordTarget;
}

let nextTarget = 1;
/** A fake guild on loopback and the real adapter pointed at it, under a target name of its own. */
async function startGuild(
  options: { fake?: FakeDiscordOptions; target?: Partial<DiscordTargetOptions> } = {},
): Promise<Guild> {
  const name = `e2e-${nextTarget++}`;
  const fake = await startFakeDiscord({ rateLimits: shortLimits, ...options.fake });
  const target = createDiscordTarget(
    {
      name,
      token: fake.botToken,
      guildId: fake.guild.id,
      apiBaseUrl: fake.url,
      backoffBaseMs: 10,
      backoffMaxMs: 40,
      rateLimitOffsetMs: 5,
      ...options.target,
    },
    logger,
  );
  cleanups.push(async () => {
    await target.stop();
    await fake.close();
  });
  return { name, fake, target };
}

const reconcilerFor = (targets: readonly DiscordTarget[], options: Partial<ReconcilerOptions> = {}) =>
  createReconciler(t.db, targets, { ...permissive, ...options }, logger);

let nextCorporationId = 97_300_001;
let nextAllianceId = 99_300_001;

/** A corporation (ticker `CORP`, may log in), optionally in an alliance (ticker `ALLY`). */
async function corporation(fields: { alliance?: boolean } = {}) {
  const em = t.db.fork();
  const allianceId = fields.alliance ? nextAllianceId++ : null;
  if (allianceId !== null) addAlliance(em, allianceId, { ticker: 'ALLY' });
  const corp = addCorporation(em, nextCorporationId++, {
    ticker: 'CORP',
    allianceId,
    authorizedToLogin: true,
  });
  await em.flush();
  return corp.corporationId;
}

/** Users of `corporationId`, each linked to a fresh Discord account. */
async function users(corporationId: number, names: readonly string[]): Promise<User[]> {
  const em = t.db.fork();
  const rows = names.map((n) => addUser(em, n, { corporationId, discordUserId: snowflake() }));
  await em.flush();
  return rows;
}

/** A manual group with these members, mapped onto `target` (display name = group name unless given). */
async function mappedGroup(
  target: string,
  name: string,
  members: readonly User[],
  mapping: Partial<GroupMapping> = {},
): Promise<{ group: Group; mapping: GroupMapping }> {
  const em = t.db.fork();
  const group = addGroup(
    em,
    `${name} (${target})`,
    members.map((m) => m.id),
  );
  const row = addMapping(em, group.id, 'discord', target, { displayName: name, ...mapping });
  await em.flush();
  return { group, mapping: row };
}

const account = (user: User) => user.discordUserId!;
const platformIdOf = async (mappingId: string) =>
  (await t.db.fork().findOneOrFail(GroupMapping, { id: mappingId })).platformGroupId!;
const runRow = (id: string) => t.db.fork().findOneOrFail(SyncRun, { id });
const removeFromGroup = (group: Group, user: User) =>
  t.db.fork().nativeDelete(GroupMember, { groupId: group.id, userId: user.id });
const rolesOf = (g: Guild, user: User | string) =>
  g.fake.guild.members.get(typeof user === 'string' ? user : account(user))?.roles.toSorted();
const nickOf = (g: Guild, user: User) => g.fake.guild.members.get(account(user))?.nick;
const sorted = (...ids: string[]) => ids.toSorted();
/** Requests recorded since index `from` that Discord answered with success. */
const answered = (g: Guild, route: string, from = 0) =>
  g.fake.requests.slice(from).filter((r) => r.route === route && r.status >= 200 && r.status < 300);
const auditReason = (r: RecordedRequest) => decodeURIComponent(r.headers['x-audit-log-reason'] ?? '');

function expectApplied(result: RunResult) {
  expect(result.errors).toEqual([]);
  expect(result.status).toBe('applied');
}

type Fault = DropMode | number | null;
/**
 * Faults per route: the n-th request on `route` (counting from now) gets `plan[route][n]`: a
 * dropped connection (`reset`, `close`, or `after` = handled, answer lost) or an HTTP status.
 */
function faultsByRoute(fake: FakeDiscord, plan: Readonly<Record<string, readonly Fault[]>>): void {
  const seen = new Map<string, number>();
  let current: Fault = null;
  const takeDrop = fake.faults.takeDrop.bind(fake.faults);
  const takeError = fake.faults.takeError.bind(fake.faults);
  // The fake records a request, then asks for a drop, then for an error, in one tick.
  fake.faults.takeDrop = () => {
    const route = fake.requests.at(-1)?.route ?? '';
    const n = seen.get(route) ?? 0;
    seen.set(route, n + 1);
    current = plan[route]?.[n] ?? null;
    return typeof current === 'string' ? current : takeDrop();
  };
  fake.faults.takeError = () => (typeof current === 'number' ? current : takeError());
}

describe('Discord end to end: engine + adapter + fake Discord + PostgreSQL', () => {
  it('first run creates the roles (not mentionable, no permissions), assigns them and saves their ids; the next run does nothing', async () => {
    const g = await startGuild();
    const corp = await corporation();
    const [alice, bob, carol] = await users(corp, ['Alice', 'Bob', 'Carol']);
    const gamers = g.fake.guild.addRole({ name: 'Gamers' });
    for (const u of [alice!, bob!, carol!])
      g.fake.guild.addMember({ id: account(u), nick: `[CORP] ${u.characterName}` });
    g.fake.guild.members.get(account(bob!))!.roles.push(gamers.id);
    const pilots = await mappedGroup(g.name, 'Pilots', [alice!, bob!, carol!]);
    const fcs = await mappedGroup(g.name, 'Fleet Commanders', [alice!]);
    const rolesBefore = g.fake.guild.roles.size;

    const r = reconcilerFor([g.target]);
    const first = await r.run('discord', g.name, { trigger: 'test' });
    expectApplied(first);
    expect(first.plan?.counts).toMatchObject({
      creates: 2,
      adds: 4,
      removes: 0,
      nicknames: 0,
      driftAdded: 0,
      driftRemoved: 0,
    });

    const pilotsId = await platformIdOf(pilots.mapping.id);
    const fcsId = await platformIdOf(fcs.mapping.id);
    expect(g.fake.guild.roles.size).toBe(rolesBefore + 2);
    for (const [id, name] of [
      [pilotsId, 'Pilots'],
      [fcsId, 'Fleet Commanders'],
    ] as const) {
      expect(g.fake.guild.roles.get(id)).toMatchObject({
        name,
        mentionable: false,
        permissions: '0',
        hoist: false,
        managed: false,
      });
    }
    expect(rolesOf(g, alice!)).toEqual(sorted(pilotsId, fcsId));
    expect(rolesOf(g, bob!)).toEqual(sorted(gamers.id, pilotsId));
    expect(rolesOf(g, carol!)).toEqual([pilotsId]);
    expect(g.fake.count(POST_ROLE)).toBe(2);
    expect(answered(g, PATCH_MEMBER)).toHaveLength(3);

    const row = await runRow(first.runId);
    expect(row).toMatchObject({
      status: 'applied',
      platform: 'discord',
      target: g.name,
      trigger: 'test',
      creates: 2,
      adds: 4,
      removes: 0,
      drift: 0,
      skipped: [],
      errors: [],
    });
    expect(row.finishedAt).not.toBeNull();
    expect(row.callsIssued).toBe(first.callsIssued);
    expect(first.callsIssued).toBe(g.fake.requests.length);

    // Level-triggered and converged: the next run reads, plans nothing, and writes nothing.
    const mark = g.fake.requests.length;
    const second = await r.run('discord', g.name);
    expectApplied(second);
    expect(second.plan?.counts).toMatchObject({
      creates: 0,
      renames: 0,
      adds: 0,
      removes: 0,
      nicknames: 0,
      driftAdded: 0,
      driftRemoved: 0,
    });
    const writes = g.fake.requests.slice(mark).filter((q) => q.method !== 'GET');
    expect(writes).toEqual([]);
    expect(second.callsIssued).toBe(g.fake.requests.length - mark);
  });

  it('adopts an existing role by name (one just under the bot included) instead of creating a duplicate', async () => {
    const g = await startGuild();
    const corp = await corporation();
    const [alice] = await users(corp, ['Alice']);
    const guild = g.fake.guild;
    guild.addMember({ id: account(alice!), nick: '[CORP] Alice' });
    await mappedGroup(g.name, 'Pilots', [alice!]);
    const r = reconcilerFor([g.target]);
    expectApplied(await r.run('discord', g.name));

    // Between runs an admin makes "Logi" by hand and drags it just under the bot's role.
    const logiRole = guild.addRole({ name: 'Logi', position: guild.botTopPosition() });
    expect(logiRole.position).toBe(guild.botTopPosition() - 1);
    const logi = await mappedGroup(g.name, 'Logi', [alice!]);
    const mark = g.fake.requests.length;
    const result = await r.run('discord', g.name);
    expectApplied(result);
    expect(result.plan?.counts).toMatchObject({ creates: 0, adds: 1 });
    expect(result.plan?.adopts).toEqual([
      { mappingId: logi.mapping.id, platformGroupId: logiRole.id, name: 'Logi' },
    ]);
    expect(await platformIdOf(logi.mapping.id)).toBe(logiRole.id);
    expect(g.fake.requests.slice(mark).filter((q) => q.route === POST_ROLE)).toEqual([]);
    expect([...guild.roles.values()].filter((role) => role.name === 'Logi')).toHaveLength(1);
    expect(rolesOf(g, alice!)).toContain(logiRole.id);
  });

  it('removes the role from a user taken out of the group in the directory at the next run (the Python tool never did)', async () => {
    const g = await startGuild();
    const corp = await corporation();
    const [alice, bob] = await users(corp, ['Alice', 'Bob']);
    const gamers = g.fake.guild.addRole({ name: 'Gamers' });
    g.fake.guild.addMember({ id: account(alice!), nick: '[CORP] Alice' });
    g.fake.guild.addMember({ id: account(bob!), nick: '[CORP] Bob', roles: [gamers.id] });
    const pilots = await mappedGroup(g.name, 'Pilots', [alice!, bob!]);
    const r = reconcilerFor([g.target]);
    expectApplied(await r.run('discord', g.name));
    const pilotsId = await platformIdOf(pilots.mapping.id);
    expect(rolesOf(g, bob!)).toEqual(sorted(gamers.id, pilotsId));

    await removeFromGroup(pilots.group, bob!);
    const mark = g.fake.requests.length;
    const result = await r.run('discord', g.name);
    expectApplied(result);
    expect(result.plan?.counts).toMatchObject({ adds: 0, removes: 1, driftAdded: 0, driftRemoved: 0 });
    expect(rolesOf(g, bob!)).toEqual([gamers.id]);
    expect(rolesOf(g, alice!)).toEqual([pilotsId]);
    const patches = answered(g, PATCH_MEMBER, mark);
    expect(patches.map((p) => p.path)).toEqual([`/guilds/${g.fake.guild.id}/members/${account(bob!)}`]);
    expect(patches[0]?.body).toEqual({ roles: [gamers.id] });
    expect(await runRow(result.runId)).toMatchObject({ status: 'applied', adds: 0, removes: 1, drift: 0 });
  });

  it("never touches roles Roster does not manage: members keep every other role, and the guild's roles stay as they were", async () => {
    const g = await startGuild();
    const corp = await corporation();
    const [alice, bob, carol] = await users(corp, ['Alice', 'Bob', 'Carol']);
    const guild = g.fake.guild;
    const gamers = guild.addRole({ name: 'Gamers' });
    const veterans = guild.addRole({ name: 'Veterans', permissions: 1n << 10n, mentionable: true });
    const booster = guild.addRole({ name: 'Server Booster', managed: true });
    const admins = guild.addRole({ name: 'Admins', position: guild.botTopPosition() + 1 });
    const seeded = {
      alice: [gamers.id, booster.id],
      bob: [gamers.id, veterans.id, admins.id],
      carol: [veterans.id],
    };
    guild.addMember({ id: account(alice!), roles: seeded.alice, nick: '[CORP] Alice' });
    guild.addMember({ id: account(bob!), roles: seeded.bob, nick: '[CORP] Bob' });
    guild.addMember({ id: account(carol!), roles: seeded.carol, nick: '[CORP] Carol' });
    const outsider = guild.addMember({ roles: [gamers.id, veterans.id] }).user.id;
    /** Roster's roles, known once created; every other role must stay exactly as it is. */
    const managed = new Set<string>();
    const foreignRoles = () =>
      guild
        .sortedRoles()
        .filter((role) => !managed.has(role.id))
        .map(({ id, name, permissions, mentionable, managed: integration }) => ({
          id,
          name,
          permissions,
          mentionable,
          integration,
        }));
    const before = foreignRoles();
    const pilots = await mappedGroup(g.name, 'Pilots', [alice!, bob!, carol!]);
    const logi = await mappedGroup(g.name, 'Logi', [bob!]);
    const r = reconcilerFor([g.target]);

    expectApplied(await r.run('discord', g.name));
    await removeFromGroup(pilots.group, carol!);
    await removeFromGroup(logi.group, bob!);
    expectApplied(await r.run('discord', g.name));
    const pilotsId = await platformIdOf(pilots.mapping.id);
    managed.add(pilotsId).add(await platformIdOf(logi.mapping.id));

    const unmanagedRoles = (user: User | string) => rolesOf(g, user)?.filter((id) => !managed.has(id));
    expect(unmanagedRoles(alice!)).toEqual(sorted(...seeded.alice));
    expect(unmanagedRoles(bob!)).toEqual(sorted(...seeded.bob));
    expect(unmanagedRoles(carol!)).toEqual(sorted(...seeded.carol));
    expect(rolesOf(g, alice!)).toEqual(sorted(...seeded.alice, pilotsId));
    expect(rolesOf(g, carol!)).toEqual(sorted(...seeded.carol));
    expect(rolesOf(g, outsider)).toEqual(sorted(gamers.id, veterans.id));
    expect(foreignRoles()).toEqual(before);
    // Only the two roles Roster created were written, and only its members were PATCHed.
    const roleWrites = g.fake.requests.filter((q) => q.path.includes('/roles') && q.method !== 'GET');
    expect(roleWrites.map((q) => q.route)).toEqual([POST_ROLE, POST_ROLE]);
    expect(g.fake.requests.some((q) => q.route === PATCH_MEMBER && q.path.endsWith(outsider))).toBe(false);
    for (const patch of answered(g, PATCH_MEMBER)) {
      const roles = (patch.body as { roles?: string[] }).roles ?? [];
      const who = patch.path.split('/').at(-1)!;
      const seededRoles = [alice!, bob!, carol!].find((u) => account(u) === who);
      expect(roles.filter((id) => !managed.has(id)).toSorted()).toEqual(unmanagedRoles(seededRoles!));
    }
  });

  it('grantOnly mappings add but never remove, even after a directory removal or a hand-made grant', async () => {
    const g = await startGuild();
    const corp = await corporation();
    const [alice, bob, carol] = await users(corp, ['Alice', 'Bob', 'Carol']);
    for (const u of [alice!, bob!, carol!])
      g.fake.guild.addMember({ id: account(u), nick: `[CORP] ${u.characterName}` });
    const caps = await mappedGroup(g.name, 'Capitals', [alice!, bob!], { mode: 'grantOnly' });
    const pilots = await mappedGroup(g.name, 'Pilots', [alice!, bob!]);
    const r = reconcilerFor([g.target]);
    expectApplied(await r.run('discord', g.name));
    const capsId = await platformIdOf(caps.mapping.id);
    const pilotsId = await platformIdOf(pilots.mapping.id);
    expect(rolesOf(g, bob!)).toEqual(sorted(capsId, pilotsId));

    await removeFromGroup(caps.group, bob!);
    await removeFromGroup(pilots.group, bob!);
    g.fake.guild.members.get(account(carol!))!.roles.push(capsId); // granted by hand
    const result = await r.run('discord', g.name);
    expectApplied(result);
    expect(result.plan?.counts).toMatchObject({ adds: 0, removes: 1, driftAdded: 0 });
    expect(rolesOf(g, bob!)).toEqual([capsId]);
    expect(rolesOf(g, carol!)).toEqual([capsId]);
    expect(rolesOf(g, alice!)).toEqual(sorted(capsId, pilotsId));
  });

  it('takes every managed role from a user who may no longer log in or who unlinks, and nothing else', async () => {
    const g = await startGuild();
    const corp = await corporation();
    const shakyCorp = await corporation();
    const [alice, bob, carol] = await users(corp, ['Alice', 'Bob', 'Carol']);
    const [dave] = await users(shakyCorp, ['Dave']);
    const gamers = g.fake.guild.addRole({ name: 'Gamers' });
    for (const u of [alice!, bob!, carol!, dave!]) {
      g.fake.guild.addMember({ id: account(u), roles: [gamers.id], nick: `[CORP] ${u.characterName}` });
    }
    const everyone = [alice!, bob!, carol!, dave!];
    const pilots = await mappedGroup(g.name, 'Pilots', everyone);
    const logi = await mappedGroup(g.name, 'Logi', [bob!, carol!, dave!]);
    const r = reconcilerFor([g.target]);
    expectApplied(await r.run('discord', g.name));
    const pilotsId = await platformIdOf(pilots.mapping.id);
    const logiId = await platformIdOf(logi.mapping.id);
    for (const u of [bob!, carol!, dave!]) expect(rolesOf(g, u)).toEqual(sorted(gamers.id, pilotsId, logiId));

    const em = t.db.fork();
    await em.nativeUpdate(User, { id: bob!.id }, { authorizedToLogin: false }); // denied on the user
    await em.nativeUpdate(User, { id: carol!.id }, { discordUserId: null }); // unlinked
    await em.nativeUpdate(Corporation, { corporationId: shakyCorp }, { authorizedToLogin: false }); // denied by cascade

    const mark = g.fake.requests.length;
    const result = await r.run('discord', g.name);
    expectApplied(result);
    expect(result.plan?.counts).toMatchObject({ adds: 0, removes: 6 });
    for (const u of [bob!, carol!, dave!]) expect(rolesOf(g, u)).toEqual([gamers.id]);
    expect(rolesOf(g, alice!)).toEqual(sorted(gamers.id, pilotsId));
    expect(answered(g, PATCH_MEMBER, mark)).toHaveLength(3); // one per member, both roles at once
    expect(await runRow(result.runId)).toMatchObject({ status: 'applied', removes: 6, drift: 0 });
  });

  it('reverts managed roles added or removed by hand and records them as drift; directory changes are not drift', async () => {
    const g = await startGuild();
    const corp = await corporation();
    const [alice, bob, carol, erin] = await users(corp, ['Alice', 'Bob', 'Carol', 'Erin']);
    const gamers = g.fake.guild.addRole({ name: 'Gamers' });
    for (const u of [alice!, bob!, carol!, erin!])
      g.fake.guild.addMember({ id: account(u), nick: `[CORP] ${u.characterName}` });
    const pilots = await mappedGroup(g.name, 'Pilots', [alice!, bob!, carol!]);
    const r = reconcilerFor([g.target]);
    expectApplied(await r.run('discord', g.name));
    const pilotsId = await platformIdOf(pilots.mapping.id);

    const member = (u: User) => g.fake.guild.members.get(account(u))!;
    member(alice!).roles = member(alice!).roles.filter((id) => id !== pilotsId); // removed by hand
    member(erin!).roles.push(pilotsId); // added by hand
    member(bob!).roles.push(gamers.id); // an unmanaged role: not Roster's business
    await removeFromGroup(pilots.group, carol!); // a directory change: not drift

    const second = await r.run('discord', g.name);
    expectApplied(second);
    expect(second.plan?.counts).toMatchObject({ adds: 1, removes: 2, driftAdded: 1, driftRemoved: 1 });
    expect(await runRow(second.runId)).toMatchObject({ status: 'applied', adds: 1, removes: 2, drift: 2 });
    expect(rolesOf(g, alice!)).toEqual([pilotsId]);
    expect(rolesOf(g, erin!)).toEqual([]);
    expect(rolesOf(g, carol!)).toEqual([]);
    expect(rolesOf(g, bob!)).toEqual(sorted(gamers.id, pilotsId));

    const third = await r.run('discord', g.name);
    expectApplied(third);
    expect(third.plan?.counts).toMatchObject({ adds: 0, removes: 0, driftAdded: 0, driftRemoved: 0 });
    expect((await runRow(third.runId)).drift).toBe(0);
  });

  it('reports the hierarchy and the owner as skipped without failing the run (Discord rules)', async () => {
    const g = await startGuild();
    const corp = await corporation();
    const [pilot, director] = await users(corp, ['Pilot', 'Director']);
    const guild = g.fake.guild;
    const directors = guild.addRole({ name: 'Directors', position: guild.botTopPosition() + 1 });
    const council = guild.addRole({ name: 'Council', position: guild.botTopPosition() + 1 });
    guild.addMember({ id: account(pilot!) });
    guild.addMember({ id: account(director!), roles: [directors.id] });
    const em = t.db.fork();
    const owner = addUser(em, 'Owner', { corporationId: corp, discordUserId: guild.ownerId });
    await em.flush();
    const pilots = await mappedGroup(g.name, 'Pilots', [pilot!, director!, owner]);
    // An operator mapped a group onto an existing role that sits above the bot's highest role.
    await mappedGroup(g.name, 'Council', [pilot!], { platformGroupId: council.id });
    const r = reconcilerFor([g.target]);

    const first = await r.run('discord', g.name);
    expectApplied(first);
    const pilotsId = await platformIdOf(pilots.mapping.id);
    const expectedSkips = [
      // Named as the guild shows the role, so a report reads "Council", not its snowflake.
      {
        accountId: account(pilot!),
        groupId: council.id,
        groupName: 'Council',
        reason: SkipReason.roleAboveBot,
      },
      { accountId: account(director!), reason: SkipReason.memberAboveBot },
      { accountId: guild.ownerId, reason: SkipReason.ownerNickname },
    ];
    expect(first.report?.skipped).toEqual(expect.arrayContaining(expectedSkips));
    expect(first.report?.skipped).toHaveLength(3);
    const row = await runRow(first.runId);
    expect(row.status).toBe('applied');
    expect(row.skipped).toEqual(expect.arrayContaining(expectedSkips));
    expect(row.skipped).toHaveLength(3);
    // What Discord allows was applied: roles below the bot, to anyone; the pilot's nickname.
    expect(rolesOf(g, pilot!)).toEqual([pilotsId]);
    expect(rolesOf(g, director!)).toEqual(sorted(directors.id, pilotsId));
    expect(rolesOf(g, guild.ownerId)).toEqual([pilotsId]);
    expect(nickOf(g, pilot!)).toBe('[CORP] Pilot');
    expect(nickOf(g, director!)).toBeNull();
    expect(guild.members.get(guild.ownerId)?.nick).toBeNull();
    // Never attempted: the snapshot showed Discord would refuse them.
    expect(g.fake.requests.filter((q) => q.route === PATCH_MEMBER && q.status !== 200)).toEqual([]);

    // The next run reports them again, and does not mistake what it could not do for drift.
    const second = await r.run('discord', g.name);
    expectApplied(second);
    expect(second.report?.skipped).toHaveLength(3);
    expect(second.plan?.counts).toMatchObject({ driftAdded: 0, driftRemoved: 0 });
  });

  it("reports Discord's own refusals (50013) as skipped without failing the run (strict hierarchy)", async () => {
    const g = await startGuild({ fake: { hierarchy: 'strict' } });
    const corp = await corporation();
    const [pilot, director] = await users(corp, ['Pilot', 'Director']);
    const guild = g.fake.guild;
    const directors = guild.addRole({ name: 'Directors', position: guild.botTopPosition() + 1 });
    guild.addMember({ id: account(pilot!), nick: '[CORP] Pilot' });
    guild.addMember({ id: account(director!), roles: [directors.id], nick: '[CORP] Director' });
    const em = t.db.fork();
    const owner = addUser(em, 'Owner', { corporationId: corp, discordUserId: guild.ownerId });
    await em.flush();
    guild.members.get(guild.ownerId)!.nick = '[CORP] Owner';
    const pilots = await mappedGroup(g.name, 'Pilots', [pilot!, director!, owner]);
    const r = reconcilerFor([g.target]);

    const first = await r.run('discord', g.name);
    expectApplied(first);
    const pilotsId = await platformIdOf(pilots.mapping.id);
    const expectedSkips = [
      {
        accountId: account(director!),
        groupId: pilotsId,
        groupName: 'Pilots',
        reason: SkipReason.missingPermissions,
      },
      {
        accountId: guild.ownerId,
        groupId: pilotsId,
        groupName: 'Pilots',
        reason: SkipReason.missingPermissions,
      },
    ];
    expect(first.report?.skipped).toEqual(expect.arrayContaining(expectedSkips));
    expect(first.report?.skipped).toHaveLength(2);
    expect((await runRow(first.runId)).skipped).toEqual(expect.arrayContaining(expectedSkips));
    expect(rolesOf(g, pilot!)).toEqual([pilotsId]);
    expect(rolesOf(g, director!)).toEqual([directors.id]);
    expect(rolesOf(g, guild.ownerId)).toEqual([]);

    const second = await r.run('discord', g.name);
    expectApplied(second);
    expect(second.plan?.counts).toMatchObject({ adds: 2, driftAdded: 0, driftRemoved: 0 });
    expect(second.report?.skipped).toHaveLength(2);
  });

  it('remembers the edits Discord refused: not sent again until the member, the role positions or the bot change', async () => {
    const g = await startGuild({ fake: { hierarchy: 'strict' } });
    const corp = await corporation();
    const [pilot, director] = await users(corp, ['Pilot', 'Director']);
    const guild = g.fake.guild;
    const directors = guild.addRole({ name: 'Directors', position: guild.botTopPosition() + 1 });
    const badge = guild.addRole({ name: 'Badge' });
    guild.addMember({ id: account(pilot!), nick: '[CORP] Pilot' });
    guild.addMember({ id: account(director!), roles: [directors.id], nick: '[CORP] Director' });
    const em = t.db.fork();
    const owner = addUser(em, 'Owner', { corporationId: corp, discordUserId: guild.ownerId });
    await em.flush();
    guild.members.get(guild.ownerId)!.nick = '[CORP] Owner';
    const pilots = await mappedGroup(g.name, 'Pilots', [pilot!, director!, owner]);
    const r = reconcilerFor([g.target]);
    const patchesTo = (id: string) =>
      g.fake.requests.filter((q) => q.route === PATCH_MEMBER && q.path.endsWith(`/members/${id}`)).length;
    const refusedStatus = (id: string) =>
      g.fake.requests.filter(
        (q) => q.route === PATCH_MEMBER && q.path.endsWith(`/members/${id}`) && q.status === 403,
      ).length;

    const first = await r.run('discord', g.name);
    expectApplied(first);
    const pilotsId = await platformIdOf(pilots.mapping.id);
    // Refused as the real Discord refuses: 403, code 50013.
    expect(refusedStatus(account(director!))).toBe(1);
    expect(refusedStatus(guild.ownerId)).toBe(1);
    expect(g.target.status().refusedMembers).toBe(2);

    // Nothing changed: the refused edits are not sent again, and still show as skipped.
    g.fake.clearRecords();
    const second = await r.run('discord', g.name);
    expectApplied(second);
    expect(g.fake.count(PATCH_MEMBER)).toBe(0);
    expect(second.report?.skipped.map((s) => [s.accountId, s.groupId])).toEqual(
      expect.arrayContaining([
        [account(director!), pilotsId],
        [guild.ownerId, pilotsId],
      ]),
    );
    for (const s of second.report?.skipped ?? []) expect(s.reason).toMatch(/not sent again until/);
    // sync explain shows it on the member's group.
    const why = await explain(t.db.fork(), owner.id, 'discord', g.name);
    expect(why.groups.find((x) => x.platformGroupId === pilotsId)?.skipped).toMatch(/Missing Permissions/);

    // The owner's roles change (by hand): the owner's edit is tried again, the director's is not.
    guild.members.get(guild.ownerId)!.roles.push(badge.id);
    g.fake.clearRecords();
    expectApplied(await r.run('discord', g.name));
    expect(patchesTo(guild.ownerId)).toBe(1);
    expect(patchesTo(account(director!))).toBe(0);

    // The bot's role moves above Directors (the role positions change): both are tried again, the
    // director's edit now goes through; the owner stays refused, and held again after.
    guild.moveRole(guild.botRoleId, guild.roles.size);
    g.fake.clearRecords();
    expectApplied(await r.run('discord', g.name));
    expect(patchesTo(account(director!))).toBe(1);
    expect(patchesTo(guild.ownerId)).toBe(1);
    expect(rolesOf(g, director!)).toEqual([directors.id, pilotsId]);
    expect(g.target.status().refusedMembers).toBe(1);
    g.fake.clearRecords();
    expectApplied(await r.run('discord', g.name));
    expect(g.fake.count(PATCH_MEMBER)).toBe(0);
  });

  it.each([false, true])(
    'survives a 429 storm (global: %s) across the whole run and converges',
    async (global) => {
      const g = await startGuild();
      const corp = await corporation();
      const people = await users(
        corp,
        Array.from({ length: 12 }, (_, i) => `Pilot ${i}`),
      );
      for (const u of people) g.fake.guild.addMember({ id: account(u) });
      const pilots = await mappedGroup(g.name, 'Pilots', people);
      const fcs = await mappedGroup(g.name, 'FCs', people.slice(0, 4));
      // One storm from the first request (reads, role creation), another from the first member edit.
      g.fake.faults.rateLimitStorm(6, { retryAfterMs: 20, global });
      let armed = false;
      const takeStorm = g.fake.faults.takeStorm.bind(g.fake.faults);
      g.fake.faults.takeStorm = () => {
        if (!armed && g.fake.requests.at(-1)?.route === PATCH_MEMBER) {
          armed = true;
          g.fake.faults.rateLimitStorm(6, { retryAfterMs: 20, global });
        }
        return takeStorm();
      };

      const r = reconcilerFor([g.target]);
      const result = await r.run('discord', g.name);
      expectApplied(result);
      expect(armed).toBe(true);
      expect(g.fake.stats().stormRateLimited).toBe(12);
      expect(g.target.rateLimitStats().received429).toBeGreaterThanOrEqual(12);
      const pilotsId = await platformIdOf(pilots.mapping.id);
      const fcsId = await platformIdOf(fcs.mapping.id);
      for (const [i, u] of people.entries()) {
        expect(rolesOf(g, u)).toEqual(i < 4 ? sorted(pilotsId, fcsId) : [pilotsId]);
        expect(nickOf(g, u)).toBe(`[CORP] Pilot ${i}`);
      }
      expect(answered(g, POST_ROLE)).toHaveLength(2);
      expect([...g.fake.guild.roles.values()].filter((role) => role.name === 'Pilots')).toHaveLength(1);
      expect(answered(g, PATCH_MEMBER)).toHaveLength(12);
      expect(result.callsIssued).toBe(g.fake.requests.length);
      expect((await runRow(result.runId)).callsIssued).toBe(g.fake.requests.length);

      const again = await r.run('discord', g.name);
      expectApplied(again);
      expect(again.plan?.counts).toMatchObject({
        adds: 0,
        removes: 0,
        nicknames: 0,
        driftAdded: 0,
        driftRemoved: 0,
      });
    },
  );

  it('survives 5xx bursts and dropped connections in every phase, without duplicate roles', async () => {
    const g = await startGuild();
    const corp = await corporation();
    const people = await users(
      corp,
      Array.from({ length: 8 }, (_, i) => `Pilot ${i}`),
    );
    for (const u of people) g.fake.guild.addMember({ id: account(u) });
    const pilots = await mappedGroup(g.name, 'Pilots', people);
    const fcs = await mappedGroup(g.name, 'FCs', people.slice(0, 3));
    faultsByRoute(g.fake, {
      [GET_ME]: [502, 502],
      [LIST_ROLES]: [500, 500, 500, 500, 500, 'reset'],
      // The first creation is made but its answer is lost; the second is refused once.
      [POST_ROLE]: ['after', 503],
      [GET_GUILD]: [503, 'close'],
      [LIST_MEMBERS]: ['reset', 502, 502],
      // A lost answer to a PATCH is harmless: the full role list is sent again.
      [PATCH_MEMBER]: [503, 'reset', null, 'after', 500, 500, 500, 500, 500, null, 502],
    });

    const r = reconcilerFor([g.target]);
    const result = await r.run('discord', g.name);
    expectApplied(result);
    // Every scheduled fault was met (18 answers of 5xx, 6 dropped connections) and retried past.
    const stats = g.target.rateLimitStats();
    expect(g.fake.stats()).toMatchObject({ serverErrors: 18, dropped: 6 });
    expect(stats).toMatchObject({ serverErrors: 18, networkErrors: 6 });
    expect(stats.backoffRetries).toBeGreaterThan(0);

    const pilotsId = await platformIdOf(pilots.mapping.id);
    const fcsId = await platformIdOf(fcs.mapping.id);
    const named = (name: string) => [...g.fake.guild.roles.values()].filter((role) => role.name === name);
    expect(named('Pilots').map((role) => role.id)).toEqual([pilotsId]);
    expect(named('FCs').map((role) => role.id)).toEqual([fcsId]);
    for (const [i, u] of people.entries()) {
      expect(rolesOf(g, u)).toEqual(i < 3 ? sorted(pilotsId, fcsId) : [pilotsId]);
      expect(nickOf(g, u)).toBe(`[CORP] Pilot ${i}`);
    }
    expect(result.callsIssued).toBe(g.fake.requests.length);

    const again = await r.run('discord', g.name);
    expectApplied(again);
    expect(again.plan?.counts).toMatchObject({
      creates: 0,
      adds: 0,
      removes: 0,
      nicknames: 0,
      driftAdded: 0,
      driftRemoved: 0,
    });
  });

  it('records what an interrupted run did when Discord stays down, and the next run finishes the job without calling it drift', async () => {
    const g = await startGuild({
      target: { restRetries: 0, backoffRetries: 0, concurrency: 1, maxConsecutiveFailures: 2 },
    });
    const corp = await corporation();
    const people = await users(
      corp,
      Array.from({ length: 6 }, (_, i) => `Pilot ${i}`),
    );
    for (const u of people) g.fake.guild.addMember({ id: account(u), nick: `[CORP] ${u.characterName}` });
    const pilots = await mappedGroup(g.name, 'Pilots', []);
    const r = reconcilerFor([g.target]);
    expectApplied(await r.run('discord', g.name)); // creates the (empty) role
    const pilotsId = await platformIdOf(pilots.mapping.id);

    // Everyone joins the group; Discord answers two member edits, then fails.
    const em = t.db.fork();
    for (const u of people) addMember(em, pilots.group.id, u.id);
    await em.flush();
    faultsByRoute(g.fake, { [PATCH_MEMBER]: [null, null, 500, 500] });
    const broken = await r.run('discord', g.name);
    expect(broken.status).toBe('failed');
    expect(broken.plan?.counts).toMatchObject({ adds: 6, removes: 0 });
    expect(broken.report).toMatchObject({ added: 2, removed: 0 });
    expect(broken.errors).toHaveLength(3);
    expect(broken.errors.at(-1)).toMatch(/2 member edits failed in a row: 2 member edits not attempted/);
    const row = await runRow(broken.runId);
    expect(row).toMatchObject({ status: 'failed', adds: 2, drift: 0 });
    expect(row.errors).toEqual(broken.errors);
    expect(people.filter((u) => rolesOf(g, u)?.includes(pilotsId))).toHaveLength(2);

    // Discord is back: the next run applies the rest. What the last run could not do is not drift.
    const healed = await r.run('discord', g.name);
    expectApplied(healed);
    expect(healed.plan?.counts).toMatchObject({ adds: 4, removes: 0, driftAdded: 0, driftRemoved: 0 });
    expect((await runRow(healed.runId)).drift).toBe(0);
    for (const u of people) expect(rolesOf(g, u)).toEqual([pilotsId]);
  });

  it('sends an X-Audit-Log-Reason naming Roster and the run with every change', async () => {
    const g = await startGuild();
    const corp = await corporation();
    const [alice, bob] = await users(corp, ['Alice', 'Bob']);
    for (const u of [alice!, bob!]) g.fake.guild.addMember({ id: account(u) });
    const pilots = await mappedGroup(g.name, 'Pilots', [alice!, bob!]);
    const r = reconcilerFor([g.target]);
    const first = await r.run('discord', g.name);
    expectApplied(first);

    const mark = g.fake.requests.length;
    await t.db.fork().nativeUpdate(GroupMapping, { id: pilots.mapping.id }, { displayName: 'Line Pilots' });
    await removeFromGroup(pilots.group, bob!);
    const second = await r.run('discord', g.name);
    expectApplied(second);
    expect(second.plan?.counts).toMatchObject({ renames: 1, removes: 1 });
    expect(g.fake.guild.roles.get(await platformIdOf(pilots.mapping.id))?.name).toBe('Line Pilots');

    const writes = (from: number, to = g.fake.requests.length) =>
      g.fake.requests.slice(from, to).filter((q) => q.method !== 'GET');
    const firstWrites = writes(0, mark);
    const secondWrites = writes(mark);
    expect(firstWrites.map((q) => q.route).toSorted()).toEqual(
      [PATCH_MEMBER, PATCH_MEMBER, POST_ROLE].toSorted(),
    );
    expect(secondWrites.map((q) => q.route).toSorted()).toEqual([PATCH_MEMBER, PATCH_ROLE].toSorted());
    for (const [writesOfRun, runId] of [
      [firstWrites, first.runId],
      [secondWrites, second.runId],
    ] as const) {
      for (const q of writesOfRun) {
        expect(auditReason(q)).toMatch(/Roster/);
        expect(auditReason(q)).toContain(runId);
      }
    }
  });

  it('sets tickered nicknames (cut to 32 characters) in the same PATCH as the roles: one PATCH per changed member', async () => {
    const g = await startGuild();
    const allianceCorp = await corporation({ alliance: true });
    const plainCorp = await corporation();
    const [alice] = await users(allianceCorp, ['Alice']);
    const [bob, longName, settled, nickOnly] = await users(plainCorp, [
      'Bob',
      'Bartholomew Quintilian Featherstonehaugh',
      'Settled',
      'Nick Only',
    ]);
    const everyone = [alice!, bob!, longName!, settled!, nickOnly!];
    for (const u of everyone)
      g.fake.guild.addMember({ id: account(u), nick: u === settled ? '[CORP] Settled' : 'whatever' });
    const pilots = await mappedGroup(g.name, 'Pilots', [alice!, bob!, longName!, settled!]);
    const r = reconcilerFor([g.target]);
    const first = await r.run('discord', g.name);
    expectApplied(first);
    const pilotsId = await platformIdOf(pilots.mapping.id);

    // '[CORP] Bartholomew Quintilian Featherstonehaugh' is 47 characters: 31 of them and an ellipsis.
    const cut = '[CORP] Bartholomew Quintilian F…';
    expect(cut).toHaveLength(32);
    const expected = new Map([
      [account(alice!), { roles: [pilotsId], nick: '[ALLY] Alice' }],
      [account(bob!), { roles: [pilotsId], nick: '[CORP] Bob' }],
      [account(longName!), { roles: [pilotsId], nick: cut }],
      [account(settled!), { roles: [pilotsId] }],
      [account(nickOnly!), { nick: '[CORP] Nick Only' }],
    ]);
    const patches = answered(g, PATCH_MEMBER);
    expect(patches).toHaveLength(expected.size);
    for (const patch of patches) {
      const who = patch.path.split('/').at(-1)!;
      expect(patch.body).toEqual(expected.get(who));
    }
    expect(new Set(patches.map((p) => p.path)).size).toBe(patches.length);
    expect(first.plan?.counts).toMatchObject({ adds: 4, nicknames: 4 });
    expect(await runRow(first.runId)).toMatchObject({ adds: 4, nicknames: 4 });
    for (const u of everyone) expect(nickOf(g, u)).toBe(expected.get(account(u))?.nick ?? '[CORP] Settled');

    const mark = g.fake.requests.length;
    const again = await r.run('discord', g.name);
    expectApplied(again);
    expect(again.plan?.counts).toMatchObject({ nicknames: 0 });
    expect(answered(g, PATCH_MEMBER, mark)).toEqual([]);
  });

  it('does not PATCH linked users who are not in the guild: counted as absent, served once they join', async () => {
    const g = await startGuild();
    const corp = await corporation();
    const [alice, dave] = await users(corp, ['Alice', 'Dave']);
    g.fake.guild.addMember({ id: account(alice!), nick: '[CORP] Alice' });
    const pilots = await mappedGroup(g.name, 'Pilots', [alice!, dave!]);
    const fcs = await mappedGroup(g.name, 'FCs', [dave!]);
    const r = reconcilerFor([g.target]);

    const first = await r.run('discord', g.name);
    expectApplied(first);
    expect(first.plan?.counts).toMatchObject({ adds: 1, absentAccounts: 2 });
    expect(first.report?.skipped).toEqual([]);
    expect(g.fake.requests.some((q) => q.path.endsWith(account(dave!)))).toBe(false);
    expect(await runRow(first.runId)).toMatchObject({ status: 'applied', adds: 1, skipped: [] });

    g.fake.guild.addMember({ id: account(dave!) });
    const mark = g.fake.requests.length;
    const second = await r.run('discord', g.name);
    expectApplied(second);
    expect(second.plan?.counts).toMatchObject({ adds: 2, absentAccounts: 0, driftRemoved: 0 });
    expect(rolesOf(g, dave!)).toEqual(
      sorted(await platformIdOf(pilots.mapping.id), await platformIdOf(fcs.mapping.id)),
    );
    const patches = answered(g, PATCH_MEMBER, mark);
    expect(patches.map((p) => p.path)).toEqual([`/guilds/${g.fake.guild.id}/members/${account(dave!)}`]);
    const body = patches[0]?.body as { roles: string[]; nick: string };
    expect(body.roles.toSorted()).toEqual(rolesOf(g, dave!));
    expect(body.nick).toBe('[CORP] Dave');
  });

  it('keeps several guilds apart: each target has its own mappings, roles, snapshot and drift', async () => {
    const alpha = await startGuild();
    const bravo = await startGuild();
    const corp = await corporation();
    const [alice, bob, carol] = await users(corp, ['Alice', 'Bob', 'Carol']);
    for (const u of [alice!, bob!])
      alpha.fake.guild.addMember({ id: account(u), nick: `[CORP] ${u.characterName}` });
    for (const u of [alice!, bob!, carol!])
      bravo.fake.guild.addMember({ id: account(u), nick: `[CORP] ${u.characterName}` });
    const em = t.db.fork();
    const pilotsGroup = addGroup(em, `Pilots (${alpha.name}+${bravo.name})`, [alice!.id, bob!.id, carol!.id]);
    const onAlpha = addMapping(em, pilotsGroup.id, 'discord', alpha.name, { displayName: 'Pilots' });
    const onBravo = addMapping(em, pilotsGroup.id, 'discord', bravo.name, { displayName: 'Pilots' });
    await em.flush();
    const fcs = await mappedGroup(alpha.name, 'FCs', [bob!]);
    const r = reconcilerFor([alpha.target, bravo.target]);

    const [a1, b1] = await Promise.all([r.run('discord', alpha.name), r.run('discord', bravo.name)]);
    expectApplied(a1);
    expectApplied(b1);
    expect(a1.plan?.counts).toMatchObject({ creates: 2, adds: 3, absentAccounts: 1 });
    expect(b1.plan?.counts).toMatchObject({ creates: 1, adds: 3, absentAccounts: 0 });
    const alphaPilots = await platformIdOf(onAlpha.id);
    const bravoPilots = await platformIdOf(onBravo.id);
    const alphaFcs = await platformIdOf(fcs.mapping.id);
    expect(alpha.fake.guild.roles.has(alphaPilots) && bravo.fake.guild.roles.has(bravoPilots)).toBe(true);
    expect(bravo.fake.guild.roles.has(alphaPilots) || alpha.fake.guild.roles.has(bravoPilots)).toBe(false);
    expect([...bravo.fake.guild.roles.values()].some((role) => role.name === 'FCs')).toBe(false);
    expect(rolesOf(alpha, bob!)).toEqual(sorted(alphaPilots, alphaFcs));
    expect(rolesOf(bravo, bob!)).toEqual([bravoPilots]);
    expect(rolesOf(bravo, carol!)).toEqual([bravoPilots]);

    // A hand edit on bravo is bravo's drift; a directory change on alpha's own group is alpha's.
    const bravoCarol = bravo.fake.guild.members.get(account(carol!))!;
    bravoCarol.roles = [];
    await removeFromGroup(fcs.group, bob!);
    const bravoMark = bravo.fake.requests.length;
    const a2 = await r.run('discord', alpha.name);
    expectApplied(a2);
    expect(a2.plan?.counts).toMatchObject({ adds: 0, removes: 1, driftAdded: 0, driftRemoved: 0 });
    expect(rolesOf(alpha, bob!)).toEqual([alphaPilots]);
    expect(bravo.fake.requests.length).toBe(bravoMark);
    expect(rolesOf(bravo, carol!)).toEqual([]);

    const b2 = await r.run('discord', bravo.name);
    expectApplied(b2);
    expect(b2.plan?.counts).toMatchObject({ adds: 1, removes: 0, driftRemoved: 1 });
    expect(rolesOf(bravo, carol!)).toEqual([bravoPilots]);
    expect(rolesOf(bravo, bob!)).toEqual([bravoPilots]);
  });

  it('the blast-radius guard refuses a mass removal and changes nothing; force applies it', async () => {
    const g = await startGuild();
    const corp = await corporation();
    const people = await users(corp, ['A', 'B', 'C', 'D']);
    for (const u of people) g.fake.guild.addMember({ id: account(u), nick: `[CORP] ${u.characterName}` });
    const pilots = await mappedGroup(g.name, 'Pilots', people);
    const r = reconcilerFor([g.target], { maxRemovalShare: 0.5, maxRemovals: 100, guardMinRemovals: 0 });
    expectApplied(await r.run('discord', g.name));
    const pilotsId = await platformIdOf(pilots.mapping.id);

    // A wiped group: three of four memberships would go.
    await t.db.fork().nativeDelete(GroupMember, {
      groupId: pilots.group.id,
      userId: { $in: people.slice(1).map((u) => u.id) },
    });
    const mark = g.fake.requests.length;
    const refused = await r.run('discord', g.name);
    expect(refused.status).toBe('refused');
    expect(refused.reason).toMatch(/remove 3 of 4 managed memberships/);
    expect(refused.plan?.counts).toMatchObject({ removes: 3, managedMemberships: 4 });
    expect(g.fake.requests.slice(mark).filter((q) => q.method !== 'GET')).toEqual([]);
    for (const u of people) expect(rolesOf(g, u)).toEqual([pilotsId]);
    expect(await runRow(refused.runId)).toMatchObject({
      status: 'refused',
      forced: false,
      removes: 0,
      refusedReason: refused.reason,
    });

    const forced = await r.run('discord', g.name, { force: true, trigger: 'api:operator' });
    expectApplied(forced);
    expect(await runRow(forced.runId)).toMatchObject({
      status: 'applied',
      forced: true,
      trigger: 'api:operator',
      removes: 3,
      drift: 0,
    });
    expect(rolesOf(g, people[0]!)).toEqual([pilotsId]);
    for (const u of people.slice(1)) expect(rolesOf(g, u)).toEqual([]);
  });
});

describe('Discord scoped runs: only the members a change touched, read from Discord first', () => {
  const GET_MEMBER = 'GET /guilds/:guild/members/:user';

  it('a scoped run GETs and PATCHes only the affected member; hand-made drift outside waits for the full run', async () => {
    const g = await startGuild();
    const corp = await corporation();
    const [alice, bob, carol, erin] = (await users(corp, ['Alice', 'Bob', 'Carol', 'Erin'])) as [
      User,
      User,
      User,
      User,
    ];
    for (const u of [alice, bob, carol, erin])
      g.fake.guild.addMember({ id: account(u), nick: `[CORP] ${u.characterName}` });
    const pilots = await mappedGroup(g.name, 'Pilots', [alice, bob, carol]);
    const fcs = await mappedGroup(g.name, 'FCs', [alice]);
    const r = reconcilerFor([g.target]);
    expectApplied(await r.run('discord', g.name));
    const [pilotsId, fcsId] = [await platformIdOf(pilots.mapping.id), await platformIdOf(fcs.mapping.id)];

    const member = (u: User) => g.fake.guild.members.get(account(u))!;
    member(erin).roles.push(pilotsId); // added by hand
    member(alice).roles = member(alice).roles.filter((id) => id !== fcsId); // removed by hand
    await removeFromGroup(pilots.group, bob); // the change
    const from = g.fake.requests.length;

    const scoped = await r.run('discord', g.name, { trigger: 'test', scope: usersScope([bob.id]) });

    expectApplied(scoped);
    expect(scoped.scope).toEqual({ groups: 0, accounts: 1 });
    expect(scoped.plan?.counts).toMatchObject({ adds: 0, removes: 1 });
    expect(g.fake.requests.slice(from).map((q) => `${q.route} ${q.path.split('/').at(-1)}`)).toEqual([
      `${GET_MEMBER} ${account(bob)}`,
      `${PATCH_MEMBER} ${account(bob)}`,
    ]);
    expect(scoped.callsIssued).toBe(2);
    expect(rolesOf(g, bob)).toEqual([]);
    expect(rolesOf(g, erin)).toEqual([pilotsId]);
    expect(rolesOf(g, alice)).toEqual([pilotsId]);

    const full = await r.run('discord', g.name);
    expectApplied(full);
    expect(full.plan?.counts).toMatchObject({ adds: 1, removes: 1, driftAdded: 1, driftRemoved: 1 });
    expect(rolesOf(g, erin)).toEqual([]);
    expect(rolesOf(g, alice)).toEqual(sorted(pilotsId, fcsId));
    expect(g.fake.requests.slice(from).some((q) => q.route === LIST_MEMBERS)).toBe(true);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { rebuildAutogroups } from '../../src/services/autogroups.ts';
import { AuditEntry, GroupMapping, GroupMember, GroupNotice, User } from '../../src/store/entities/index.ts';
import { membersForLeaders } from '../../src/services/group-membership.ts';
import { createReconciler } from '../../src/sync/engine.ts';
import { deliverNotices } from '../../src/sync/notices.ts';
import type { DiscordTarget } from '../../src/sync/discord/index.ts';
import type { TeamspeakTarget } from '../../src/sync/teamspeak/index.ts';
import { startHarness, type Harness } from './discord/harness.ts';
import type { FakeTeamspeak } from '../fakes/teamspeak/index.ts';
import { connectedTarget, fakeServer } from './teamspeak/helpers.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import {
  addCorporation,
  addGroup,
  addMapping,
  addMember,
  addTeamspeakLink,
  addUser,
} from '../support/rows.ts';

const logger = createLogger({ level: 'silent' });
const permissive = { maxRemovals: 1_000_000, maxRemovalShare: 1, removalGraceMinutes: 0 } as const;
const HOUR = 3_600_000;

/**
 * Notice before removal, through the real adapters against the fakes: a member about to lose a
 * group with a grace (its rule, an end date, a lost login) gets a Discord DM through the bot and a
 * TeamSpeak private message when online, saying why and until when; the removal waits until then.
 */
describe('notice before removal', () => {
  let t: TestDatabase;
  let discord: Harness;
  let ts: FakeTeamspeak;
  let tsTarget: TeamspeakTarget;
  beforeAll(async () => {
    t = await createTestDatabase();
    discord = await startHarness();
    await discord.target.start();
  });
  afterAll(async () => {
    await discord?.close();
    await t?.dispose();
  });

  it('sends the notice, holds the removal through the grace, then removes it everywhere', async () => {
    ts = await fakeServer();
    tsTarget = await connectedTarget(ts, { name: 'ts-notice' });
    const targets: [DiscordTarget, TeamspeakTarget] = [discord.target, tsTarget];
    const alice = discord.fake.guild.addMember({ username: 'alice' }).user.id;
    const bobClient = ts.connectClient({ nickname: 'Bob' });
    const carolDb = ts.addDbClient({ nickname: 'Carol' });
    const daveDiscord = discord.fake.guild.addMember({ username: 'dave' }).user.id;

    const em = t.db.fork();
    const corp = addCorporation(em, 98_173_001, { authorizedToLogin: true });
    const users = {
      alice: addUser(em, 'Alice', {
        corporationId: corp.corporationId,
        clearanceLevel: 2,
        discordUserId: alice,
      }),
      bob: addUser(em, 'Bob', { corporationId: corp.corporationId, clearanceLevel: 2 }),
      carol: addUser(em, 'Carol', { corporationId: corp.corporationId }),
      dave: addUser(em, 'Dave', { corporationId: corp.corporationId, discordUserId: daveDiscord }),
    };
    addTeamspeakLink(em, users.bob.id, 'ts-notice', bobClient.cldbid);
    addTeamspeakLink(em, users.carol.id, 'ts-notice', carolDb.cldbid);
    const seniors = addGroup(em, 'Seniors', [], {
      kind: 'rule',
      rule: { clearance: { min: 2 } },
      removalGraceHours: 24,
    });
    const trial = addGroup(em, 'Trial', [users.dave.id], { removalGraceHours: 24 });
    const ending = new Date(Date.now() + 2 * HOUR);
    addMember(em, trial.id, users.carol.id, { expiresAt: ending });
    const mappings = [
      addMapping(em, seniors.id, 'discord', 'test-guild'),
      addMapping(em, seniors.id, 'teamspeak', 'ts-notice'),
      addMapping(em, trial.id, 'discord', 'test-guild'),
      addMapping(em, trial.id, 'teamspeak', 'ts-notice'),
    ];
    await em.flush();
    const reconciler = createReconciler(t.db, targets, permissive, logger);
    const syncAll = async () => {
      for (const target of targets)
        expect((await reconciler.run(target.platform, target.name, { trigger: 'test' })).status).toBe(
          'applied',
        );
    };
    const platformId = async (i: number) =>
      (await t.db.fork().findOneOrFail(GroupMapping, { id: mappings[i]!.id })).platformGroupId!;

    // The rule builds the group; the first runs put everyone in place. Carol's end date is within
    // the grace: she is told at once, and keeps the group until her end date.
    const first = await rebuildAutogroups(t.db.fork());
    expect(first.ruleGroups.added).toBe(2);
    expect(first.notices.given).toBe(1);
    await syncAll();
    const [seniorsRole, seniorsTs, trialRole, trialTs] = await Promise.all([0, 1, 2, 3].map(platformId));
    expect(discord.fake.guild.members.get(alice)!.roles).toContain(seniorsRole);
    expect(ts.groupMembers(seniorsTs!)).toEqual([bobClient.cldbid]);
    expect(ts.groupMembers(trialTs!)).toEqual([carolDb.cldbid]);

    // Alice and Bob drop below the rule; Dave loses his login.
    const change = t.db.fork();
    await change.nativeUpdate(User, { id: { $in: [users.alice.id, users.bob.id] } }, { clearanceLevel: 1 });
    await change.nativeUpdate(User, { id: users.dave.id }, { authorizedToLogin: false });
    const second = await rebuildAutogroups(t.db.fork());
    expect(second.notices).toEqual({ given: 3, held: 4 });
    expect(second.ruleGroups).toMatchObject({ removed: 0, held: 2 });
    const notices = await t.db.fork().find(GroupNotice, {}, { orderBy: { userId: 'asc' } });
    expect(notices.map((n) => [n.userId, n.reason]).sort()).toEqual(
      [
        [users.alice.id, 'rule'],
        [users.bob.id, 'rule'],
        [users.carol.id, 'expiry'],
        [users.dave.id, 'login'],
      ].sort(),
    );
    const audited = await t.db.fork().find(AuditEntry, { action: 'membership.notice' });
    expect(audited).toHaveLength(4);
    // Leaders see who was told, why and until when.
    const admin = {
      userId: 'admin',
      characterId: 1,
      clearanceLevel: 10,
      affiliation: { userId: 'admin', corporationId: null, allianceId: null, coalitionIds: [] },
      requestId: null,
    };
    const trialMembers = await membersForLeaders(t.db.fork(), admin, trial.id);
    expect(trialMembers.find((m) => m.userId === users.dave.id)?.notice).toMatchObject({ reason: 'login' });
    expect(trialMembers.find((m) => m.userId === users.carol.id)).toMatchObject({
      expiresAt: ending.toISOString(),
      notice: { reason: 'expiry', removeAt: ending.toISOString() },
    });

    const round = await deliverNotices(t.db.fork(), targets);
    // Carol is offline on TeamSpeak: she is told when she next connects.
    expect(round).toEqual({ sent: 3, offline: 1, refused: 0, failed: 0 });
    const [toAlice] = discord.fake.dms.to(alice);
    expect(toAlice).toMatch(/you will lose the group "Seniors" on \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(toAlice).toContain('you no longer meet its rule (clearance 1 is below 2 (clause clearance))');
    expect(discord.fake.dms.to(daveDiscord)[0]).toMatch(
      /"Trial".*you may no longer log in \(login denied on their own account\)/,
    );
    // (Bob was also asked for his nickname by the first run; the notice is the other message.)
    const toBob = ts
      .messages()
      .filter(
        (m) => m.targetmode === 1 && m.targetCldbid === bobClient.cldbid && m.msg.startsWith('Roster: '),
      );
    expect(toBob.map((m) => m.msg)).toEqual([expect.stringContaining('you will lose the group "Seniors"')]);
    expect(discord.fake.count('POST /users/@me/channels')).toBe(2);
    expect(discord.fake.count('POST /channels/:channel/messages')).toBe(2);
    // A second round sends nothing again.
    expect(await deliverNotices(t.db.fork(), targets)).toEqual({
      sent: 0,
      offline: 1,
      refused: 0,
      failed: 0,
    });
    ts.connectClient({ nickname: 'Carol', cldbid: carolDb.cldbid });
    expect(await deliverNotices(t.db.fork(), targets)).toEqual({
      sent: 1,
      offline: 0,
      refused: 0,
      failed: 0,
    });
    expect(
      ts.messages().find((m) => m.targetCldbid === carolDb.cldbid && m.msg.startsWith('Roster: '))?.msg,
    ).toContain(
      `"Trial" on ${ending.toISOString().slice(0, 16).replace('T', ' ')} UTC: your membership ends`,
    );

    // Within the grace everyone keeps their groups on the platforms, Dave too.
    await syncAll();
    expect(discord.fake.guild.members.get(alice)!.roles).toContain(seniorsRole);
    expect(discord.fake.guild.members.get(daveDiscord)!.roles).toContain(trialRole);
    expect(ts.groupMembers(seniorsTs!)).toEqual([bobClient.cldbid]);

    // The grace runs out (Carol's end date passes): the rebuild removes, the next runs follow.
    const later = t.db.fork();
    await later.nativeUpdate(GroupNotice, {}, { removeAt: new Date(Date.now() - 1000) });
    await later.nativeUpdate(
      GroupMember,
      { userId: users.carol.id, groupId: trial.id },
      { expiresAt: new Date(Date.now() - 1000) },
    );
    const third = await rebuildAutogroups(t.db.fork());
    expect(third.ruleGroups).toMatchObject({ removed: 2, held: 0 });
    expect(third.expired).toBe(1);
    expect((await t.db.fork().find(GroupNotice, {})).map((n) => n.reason)).toEqual(['login']);
    await syncAll();
    expect(discord.fake.guild.members.get(alice)!.roles).not.toContain(seniorsRole);
    expect(discord.fake.guild.members.get(daveDiscord)!.roles).not.toContain(trialRole);
    expect(ts.groupMembers(seniorsTs!)).toEqual([]);
    expect(ts.groupMembers(trialTs!)).toEqual([]);
    await tsTarget.stop();
  });
});

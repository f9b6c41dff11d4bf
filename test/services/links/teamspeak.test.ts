/**
 * TeamSpeak account linking over the real control plane (HTTP + PostgreSQL), against the fake
 * ServerQuery server through the real adapter, which is the link flows' port (domain/link-ports.ts).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { linkPorts, type TeamspeakLinkPorts } from '../../../src/domain/link-ports.ts';
import { completePendingTeamspeakLinks, startTeamspeakLink } from '../../../src/services/links/teamspeak.ts';
import { newUser } from '../../../src/store/records.ts';
import { freshCharacterId } from '../../support/rows.ts';
import { createTeamspeakLinkPoller } from '../../../src/services/links/teamspeak-poller.ts';
import type { Notifier } from '../../../src/services/notifier.ts';
import { AuditEntry, Challenge, TeamspeakLink, User } from '../../../src/store/entities/index.ts';
import { createTeamspeakTarget, type TeamspeakTarget } from '../../../src/sync/teamspeak/index.ts';
import { startFakeTeamspeak, type FakeTeamspeak } from '../../fakes/teamspeak/index.ts';
import { startTestApi, type TestApi } from '../../support/api.ts';

const TARGET = 'ts-main';
let fake: FakeTeamspeak;
let target: TeamspeakTarget;
let api: TestApi;

beforeAll(async () => {
  fake = await startFakeTeamspeak({ flood: { commands: 20, windowMs: 500 } });
  const options = {
    name: TARGET,
    host: fake.host,
    queryPort: fake.port,
    username: 'serveradmin',
    password: 'secret',
  };
  target = createTeamspeakTarget({
    ...options,
    commandsPerWindow: 20,
    windowMs: 500,
    reconnectMinMs: 20,
    reconnectMaxMs: 200,
  });
  await target.start();
  if (!target.status().connected)
    throw new Error(`TeamSpeak target did not connect: ${target.status().lastError}`);
  api = await startTestApi({
    config: { teamspeak: { targets: [options] } },
    links: linkPorts({ teamspeak: [target], discord: [] }),
  });
});

afterAll(async () => {
  await api?.stop();
  await target?.stop();
  await fake?.close();
});

beforeEach(() => {
  api.jobs.syncRequests.length = 0;
  for (const client of fake.onlineClients()) fake.disconnectClient(client.clid);
});

async function linker() {
  const user = await api.user();
  return { ...user, trpc: api.client(user.token) };
}

const expire = (userId: string) =>
  api.t.db.fork().nativeUpdate(Challenge, { userId }, { expiresAt: new Date(Date.now() - 1000) });

describe('teamspeak.startLink', () => {
  it('gives a random link nickname within TeamSpeak limits and stores only its hash', async () => {
    const { id, trpc } = await linker();
    const first = await trpc.teamspeak.startLink.mutate({ target: TARGET });
    const second = await trpc.teamspeak.startLink.mutate({ target: TARGET });
    for (const started of [first, second]) {
      expect(started.nickname).toMatch(/^roster-[a-z2-7]{10}$/);
      expect(started.nickname.length).toBeLessThanOrEqual(30);
    }
    expect(second.nickname).not.toBe(first.nickname);
    expect(new Date(second.expiresAt).getTime() - Date.now()).toBeGreaterThan(100_000);
    const rows = await api.t.db.fork().find(Challenge, { userId: id });
    // A new start replaces the pending one; the nickname itself is stored nowhere.
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(second.nickname.slice('roster-'.length));
  });

  it('refuses unknown targets and guests', async () => {
    const { trpc } = await linker();
    await expect(trpc.teamspeak.startLink.mutate({ target: 'nope' })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    const guest = await api.user({ clearanceLevel: -1 });
    await expect(
      api.client(guest.token).teamspeak.startLink.mutate({ target: TARGET }),
    ).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await expect(api.client().teamspeak.status.query()).rejects.toMatchObject({
      data: { code: 'UNAUTHORIZED' },
    });
  });
});

describe('teamspeak.completeLink', () => {
  it('links the one online client with the nickname, once, and requests a sync', async () => {
    const { id, trpc } = await linker();
    const { nickname } = await trpc.teamspeak.startLink.mutate({ target: TARGET });
    const client = fake.connectClient({ nickname });
    const link = await trpc.teamspeak.completeLink.mutate({ target: TARGET });
    expect(link).toMatchObject({ target: TARGET, clientDbId: client.cldbid, uniqueId: client.uid });
    expect(api.jobs.syncRequests).toEqual([
      {
        platform: 'teamspeak',
        target: TARGET,
        trigger: 'teamspeak.link',
        scope: { groups: [], users: [id], accounts: [] },
      },
    ]);
    const status = await trpc.teamspeak.status.query();
    expect(status.links).toEqual([
      expect.objectContaining({ target: TARGET, clientDbId: client.cldbid, uniqueId: client.uid }),
    ]);
    expect(status.pending).toEqual([]);
    expect(await api.t.db.fork().count(TeamspeakLink, { userId: id })).toBe(1);

    expect(link).toMatchObject({ alreadyLinked: false, message: expect.stringMatching(/^linked as /) });

    // Again: the link is made, and said so (no second sync).
    api.jobs.syncRequests.length = 0;
    await expect(trpc.teamspeak.completeLink.mutate({ target: TARGET })).resolves.toMatchObject({
      alreadyLinked: true,
      clientDbId: client.cldbid,
    });
    expect(api.jobs.syncRequests).toEqual([]);
    // Unlinked since: the spent nickname cannot link again.
    await trpc.teamspeak.unlink.mutate({ target: TARGET });
    await expect(trpc.teamspeak.completeLink.mutate({ target: TARGET })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringMatching(/already used/),
    });
  });

  it('after the poller linked the client, answers "already linked as ..." instead of a spent nickname', async () => {
    const { id, trpc } = await linker();
    const { nickname } = await trpc.teamspeak.startLink.mutate({ target: TARGET });
    const client = fake.connectClient({ nickname });
    const polled = await completePendingTeamspeakLinks(
      api.t.db.fork(),
      linkPorts({ teamspeak: [target], discord: [] }),
      api.deps.notifier,
    );
    expect(polled.linked).toContainEqual({ userId: id, target: TARGET });

    const answer = await trpc.teamspeak.completeLink.mutate({ target: TARGET });
    expect(answer).toMatchObject({
      target: TARGET,
      clientDbId: client.cldbid,
      uniqueId: client.uid,
      alreadyLinked: true,
    });
    expect(answer.message).toBe(
      `already linked as client database id ${client.cldbid} (unique id ${client.uid}) on TeamSpeak target "${TARGET}"`,
    );
  });

  it('tells the user to connect with the nickname when no client shows it', async () => {
    const { trpc } = await linker();
    await expect(trpc.teamspeak.completeLink.mutate({ target: TARGET })).rejects.toMatchObject({
      data: { code: 'PRECONDITION_FAILED' },
      message: expect.stringMatching(/startLink first/),
    });
    const { nickname } = await trpc.teamspeak.startLink.mutate({ target: TARGET });
    fake.connectClient({ nickname: `${nickname}x` });
    await expect(trpc.teamspeak.completeLink.mutate({ target: TARGET })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
      message: expect.stringMatching(/connect \(or rename yourself\) with exactly the nickname/),
    });
  });

  it('refuses an expired challenge even when the client is online', async () => {
    const { id, trpc } = await linker();
    const { nickname } = await trpc.teamspeak.startLink.mutate({ target: TARGET });
    fake.connectClient({ nickname });
    await expire(id);
    await expect(trpc.teamspeak.completeLink.mutate({ target: TARGET })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringMatching(/expired/),
    });
    expect(await api.t.db.fork().count(TeamspeakLink, { userId: id })).toBe(0);
  });

  // The real server keeps online nicknames unique, so two clients showing one nickname are forced
  // into the fake's state: the guard must hold whatever the server lets through.
  const forceNickname = (clid: string, nickname: string) => {
    const client = fake.onlineClients().find((c) => c.clid === clid);
    if (!client) throw new Error(`no online client ${clid}`);
    client.nickname = nickname;
  };

  it('refuses when two identities show the nickname, and accepts one identity connected twice', async () => {
    const { id, trpc } = await linker();
    const { nickname } = await trpc.teamspeak.startLink.mutate({ target: TARGET });
    const mine = fake.connectClient({ nickname });
    const intruder = fake.connectClient({ nickname: 'Intruder' });
    forceNickname(intruder.clid, nickname);
    await expect(trpc.teamspeak.completeLink.mutate({ target: TARGET })).rejects.toMatchObject({
      data: { code: 'PRECONDITION_FAILED' },
      message: expect.stringMatching(/2 clients .* nobody was linked/),
    });
    expect(await completePendingTeamspeakLinks(api.t.db.fork(), api.deps.links, api.deps.notifier)).toEqual({
      linked: [],
      unavailable: [],
    });
    expect(await api.t.db.fork().count(TeamspeakLink, { userId: id })).toBe(0);

    fake.disconnectClient(intruder.clid);
    const again = fake.connectClient({ nickname: 'Second window', cldbid: mine.cldbid });
    forceNickname(again.clid, nickname);
    expect(fake.onlineClients().filter((c) => c.nickname === nickname)).toHaveLength(2);
    await expect(trpc.teamspeak.completeLink.mutate({ target: TARGET })).resolves.toMatchObject({
      clientDbId: mine.cldbid,
    });
  });

  it('refuses an identity linked to another user (CONFLICT) and keeps the challenge usable', async () => {
    const alice = await linker();
    const bob = await linker();
    const aliceNick = (await alice.trpc.teamspeak.startLink.mutate({ target: TARGET })).nickname;
    const shared = fake.connectClient({ nickname: aliceNick });
    await alice.trpc.teamspeak.completeLink.mutate({ target: TARGET });

    const bobNick = (await bob.trpc.teamspeak.startLink.mutate({ target: TARGET })).nickname;
    fake.renameClient(shared.clid, bobNick);
    await expect(bob.trpc.teamspeak.completeLink.mutate({ target: TARGET })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: expect.stringMatching(/already linked to another user/),
    });
    expect(await api.t.db.fork().count(TeamspeakLink, { userId: bob.id })).toBe(0);

    // Bob's own identity still links with the same nickname once the other one is gone.
    fake.disconnectClient(shared.clid);
    const own = fake.connectClient({ nickname: bobNick });
    await expect(bob.trpc.teamspeak.completeLink.mutate({ target: TARGET })).resolves.toMatchObject({
      clientDbId: own.cldbid,
    });
  });

  it('replaces the identity when the user links another one', async () => {
    const { id, trpc } = await linker();
    const first = fake.connectClient({
      nickname: (await trpc.teamspeak.startLink.mutate({ target: TARGET })).nickname,
    });
    await trpc.teamspeak.completeLink.mutate({ target: TARGET });
    const second = fake.connectClient({
      nickname: (await trpc.teamspeak.startLink.mutate({ target: TARGET })).nickname,
    });
    await trpc.teamspeak.completeLink.mutate({ target: TARGET });
    const links = await api.t.db.fork().find(TeamspeakLink, { userId: id });
    expect(links.map((l) => l.clientDbId)).toEqual([second.cldbid]);
    expect(second.cldbid).not.toBe(first.cldbid);
  });
});

describe('periodic check', () => {
  it('completes pending links whose nickname shows up, and only those', async () => {
    const ready = await linker();
    const waiting = await linker();
    const late = await linker();
    const { nickname } = await ready.trpc.teamspeak.startLink.mutate({ target: TARGET });
    await waiting.trpc.teamspeak.startLink.mutate({ target: TARGET });
    const lateNick = (await late.trpc.teamspeak.startLink.mutate({ target: TARGET })).nickname;
    await expire(late.id);
    const client = fake.connectClient({ nickname });
    fake.connectClient({ nickname: lateNick });

    const done = await completePendingTeamspeakLinks(api.t.db.fork(), api.deps.links, api.deps.notifier);
    expect(done).toEqual({ linked: [{ userId: ready.id, target: TARGET }], unavailable: [] });
    expect((await ready.trpc.teamspeak.status.query()).links).toEqual([
      expect.objectContaining({ clientDbId: client.cldbid }),
    ]);
    expect((await waiting.trpc.teamspeak.status.query()).links).toEqual([]);
    expect((await late.trpc.teamspeak.status.query()).links).toEqual([]);
    expect(await completePendingTeamspeakLinks(api.t.db.fork(), api.deps.links, api.deps.notifier)).toEqual({
      linked: [],
      unavailable: [],
    });
  });

  it('runs as a poller that requests a sync per link and survives a failing platform', async () => {
    // The target's port with a listing that fails.
    const down: TeamspeakLinkPorts = {
      teamspeak: () => ({
        listOnlineClients: async () => Promise.reject(new Error('down')),
        findKnownClients: (query) => target.findKnownClients(query),
      }),
    };
    const { id, trpc } = await linker();
    const synced: string[] = [];
    const recording: Notifier = {
      ...api.deps.notifier,
      targetChanged: async (_platform, target) => void synced.push(target!),
    };
    const poller = createTeamspeakLinkPoller({
      db: api.t.db,
      links: down,
      intervalMs: 0,
      logger: pino({ level: 'silent' }),
      notifier: recording,
    });
    const { nickname } = await trpc.teamspeak.startLink.mutate({ target: TARGET });
    fake.connectClient({ nickname });
    expect(await poller.tick()).toBe(0);
    expect(await completePendingTeamspeakLinks(api.t.db.fork(), down, api.deps.notifier)).toEqual({
      linked: [],
      unavailable: [TARGET],
    });
    const working = createTeamspeakLinkPoller({
      db: api.t.db,
      links: api.deps.links,
      intervalMs: 0,
      logger: pino({ level: 'silent' }),
      notifier: recording,
    });
    expect(await working.tick()).toBe(1);
    expect(synced).toEqual([TARGET]);
    expect(await api.t.db.fork().count(TeamspeakLink, { userId: id })).toBe(1);
    await Promise.all([poller.stop(), working.stop()]);
  });
});

describe('the periodic check', () => {
  const poller = () =>
    createTeamspeakLinkPoller({
      db: api.t.db,
      links: api.deps.links,
      intervalMs: 0,
      logger: pino({ level: 'silent' }),
      notifier: api.deps.notifier,
    });

  it('asks for the sync of each link it makes: the target, for that user', async () => {
    const { id, trpc } = await linker();
    fake.connectClient({ nickname: (await trpc.teamspeak.startLink.mutate({ target: TARGET })).nickname });
    const check = poller();
    expect(await check.tick()).toBe(1);
    expect(api.jobs.syncRequests).toEqual([
      {
        platform: 'teamspeak',
        target: TARGET,
        trigger: 'teamspeak.link',
        scope: { groups: [], users: [id], accounts: [] },
      },
    ]);
    await check.stop();
  });

  it('keeps the links it made when their syncs cannot be asked for', async () => {
    const first = await linker();
    const second = await linker();
    for (const { trpc } of [first, second])
      fake.connectClient({ nickname: (await trpc.teamspeak.startLink.mutate({ target: TARGET })).nickname });
    const requestSync = api.jobs.requestSync;
    let asked = 0;
    api.jobs.requestSync = () => {
      asked++;
      return Promise.reject(new Error('pg-boss is down'));
    };
    const check = poller();
    try {
      expect(await check.tick()).toBe(2);
    } finally {
      api.jobs.requestSync = requestSync;
    }
    expect(asked).toBe(2);
    expect(await api.t.db.fork().count(TeamspeakLink, { userId: { $in: [first.id, second.id] } })).toBe(2);
    await check.stop();
  });
});

describe('teamspeak.unlink', () => {
  it('removes the link and requests a sync; a second unlink changes nothing', async () => {
    const { id, trpc } = await linker();
    fake.connectClient({ nickname: (await trpc.teamspeak.startLink.mutate({ target: TARGET })).nickname });
    const link = await trpc.teamspeak.completeLink.mutate({ target: TARGET });
    api.jobs.syncRequests.length = 0;
    expect(await trpc.teamspeak.unlink.mutate({ target: TARGET })).toEqual({ removed: true });
    expect(api.jobs.syncRequests).toEqual([
      {
        platform: 'teamspeak',
        target: TARGET,
        trigger: 'teamspeak.unlink',
        scope: {
          groups: [],
          users: [id],
          accounts: [{ platform: 'teamspeak', target: TARGET, accountId: link.clientDbId }],
        },
      },
    ]);
    expect(await api.t.db.fork().count(TeamspeakLink, { userId: id })).toBe(0);
    expect(await trpc.teamspeak.unlink.mutate({ target: TARGET })).toEqual({ removed: false });
    expect(api.jobs.syncRequests).toHaveLength(1);
  });
});

describe('the periodic check at scale', () => {
  it('completes 1,000 pending links in one poll with one clientlist', { timeout: 120_000 }, async () => {
    const em = api.t.db.fork();
    const users = Array.from({ length: 1_000 }, (_, i) =>
      newUser(em, { characterId: freshCharacterId(), characterName: `Bulk Linker ${i}` }),
    );
    await em.flush();
    for (let i = 0; i < users.length; i += 25) {
      const started = await Promise.all(
        users
          .slice(i, i + 25)
          .map((user) =>
            startTeamspeakLink(api.t.db.fork(), { userId: user.id, target: TARGET, ttlSeconds: 600 }),
          ),
      );
      for (const { nickname } of started) fake.connectClient({ nickname });
    }
    fake.clearCommandLog();
    const poller = createTeamspeakLinkPoller({
      db: api.t.db,
      links: api.deps.links,
      intervalMs: 0,
      logger: pino({ level: 'silent' }),
      notifier: api.deps.notifier,
    });
    expect(await poller.tick()).toBe(1_000);
    expect(fake.commandCount('clientlist')).toBe(1);
    expect(fake.commandLog().map((e) => e.name)).toEqual(['clientlist']);
    expect(await api.t.db.fork().count(TeamspeakLink, { userId: { $in: users.map((u) => u.id) } })).toBe(
      1_000,
    );
    await poller.stop();
  });
});

describe('admin links (user.linkDiscord, user.linkTeamspeak)', () => {
  it('records identities by unique id or database id, completed by the target, and reports the rest', async () => {
    const admin = await api.user({ clearanceLevel: 9 });
    const [a, b, c, d] = await Promise.all([api.user(), api.user(), api.user(), api.user()]);
    // Known to the server but offline: what an importer or an admin has.
    const x = fake.connectClient({ nickname: 'Xavier', uid: 'adminX=' });
    const y = fake.connectClient({ nickname: 'Yvonne', uid: 'adminY=' });
    fake.disconnectClient(x.clid);
    fake.disconnectClient(y.clid);
    const trpc = api.client(admin.token);
    const { results } = await trpc.user.linkTeamspeak.mutate({
      target: TARGET,
      links: [
        { id: a!.id, uniqueId: 'adminX=' },
        { id: b!.id, clientDbId: y.cldbid },
        { id: c!.id, uniqueId: 'nobody=' },
        { id: d!.id, uniqueId: 'adminX=' },
        { id: 'no-such-user', uniqueId: 'adminY=' },
      ],
    });
    expect(results.map((r) => [r.outcome, r.clientDbId, r.uniqueId])).toEqual([
      ['linked', x.cldbid, 'adminX='],
      ['linked', y.cldbid, 'adminY='],
      ['unknown-on-target', null, 'nobody='],
      ['taken', x.cldbid, 'adminX='],
      ['unknown-user', null, null],
    ]);
    expect(api.jobs.syncRequests).toEqual([
      {
        platform: 'teamspeak',
        target: TARGET,
        trigger: 'user.linkTeamspeak',
        scope: { groups: [], users: [a!.id, b!.id], accounts: [] },
      },
    ]);
    const audits = await api.t.db.fork().find(AuditEntry, { action: 'user.linkTeamspeak' });
    expect(audits.map((e) => e.subject).sort()).toEqual([`user:${a!.id}`, `user:${b!.id}`].sort());
    expect(audits.every((e) => e.actorId === admin.id)).toBe(true);

    // Again: unchanged; empty entry clears.
    const again = await trpc.user.linkTeamspeak.mutate({
      target: TARGET,
      links: [{ id: a!.id, uniqueId: 'adminX=', clientDbId: x.cldbid }, { id: b!.id }],
    });
    expect(again.results.map((r) => r.outcome)).toEqual(['unchanged', 'cleared']);
    expect(await api.t.db.fork().count(TeamspeakLink, { userId: b!.id })).toBe(0);
  });

  it('sets and clears a Discord account, refuses one linked to someone else, and needs user.link', async () => {
    const admin = await api.user({ clearanceLevel: 9 });
    const [a, b] = await Promise.all([api.user(), api.user()]);
    const trpc = api.client(admin.token);
    expect(await trpc.user.linkDiscord.mutate({ id: a!.id, discordUserId: '123456789012345678' })).toEqual({
      changed: true,
      discordUserId: '123456789012345678',
    });
    expect(
      await trpc.user.linkDiscord.mutate({ id: a!.id, discordUserId: '123456789012345678' }),
    ).toMatchObject({
      changed: false,
    });
    await expect(
      trpc.user.linkDiscord.mutate({ id: b!.id, discordUserId: '123456789012345678' }),
    ).rejects.toMatchObject({ data: { code: 'CONFLICT' } });
    await trpc.user.linkDiscord.mutate({ id: a!.id, discordUserId: null });
    expect((await api.t.db.fork().findOneOrFail(User, { id: a!.id })).discordUserId).toBeNull();
    const audits = await api.t.db
      .fork()
      .find(AuditEntry, { action: 'user.linkDiscord', subject: `user:${a!.id}` });
    expect(audits).toHaveLength(2);
    const eight = await api.user({ clearanceLevel: 8 });
    await expect(
      api.client(eight.token).user.linkDiscord.mutate({ id: b!.id, discordUserId: '223456789012345678' }),
    ).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await expect(
      trpc.user.linkTeamspeak.mutate({ target: 'nope', links: [{ id: b!.id, uniqueId: 'u=' }] }),
    ).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
  });
});

/**
 * Discord account linking by OAuth2 over the real control plane (HTTP + PostgreSQL): the
 * consent URL, the fake Discord's consent redirect, the daemon's callback, the token exchange,
 * users/@me and the guild PUT, through the real adapter, which is the link flows' port.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { discordLinkRoutes } from '../../../src/api/discord-routes.ts';
import { linkPorts } from '../../../src/domain/link-ports.ts';
import { Challenge, User } from '../../../src/store/entities/index.ts';
import { createDiscordTarget, type DiscordTarget } from '../../../src/sync/discord/index.ts';
import { startFakeDiscord, type FakeDiscord } from '../../fakes/discord/index.ts';
import { startTestApi, type TestApi } from '../../support/api.ts';
import { addGroup, addMapping } from '../../support/rows.ts';

const TARGET = 'main-guild';
const PUT_MEMBER = 'PUT /guilds/:guild/members/:user';
const TOKEN_EXCHANGE = 'POST /oauth2/token';
let fake: FakeDiscord;
let target: DiscordTarget;
let api: TestApi;
let pilotsRole: string;

beforeAll(async () => {
  // The consent screen is a browser page, not an API route: the test's "browser" is not paced.
  fake = await startFakeDiscord({ rateLimits: { route: { limit: 1000, windowMs: 1000 } } });
  const options = {
    name: TARGET,
    token: fake.botToken,
    guildId: fake.guild.id,
    apiBaseUrl: fake.url,
    oauthClientId: fake.oauth.clientId,
    oauthClientSecret: fake.oauth.clientSecret,
  };
  target = createDiscordTarget({ ...options, backoffBaseMs: 10, backoffMaxMs: 50, rateLimitOffsetMs: 5 });
  api = await startTestApi({
    config: {
      discord: { targets: [options, { name: 'no-oauth', token: 'x', guildId: '100000000000000077' }] },
    },
    links: linkPorts({ teamspeak: [], discord: [target] }),
    routes: (deps) => discordLinkRoutes(deps),
  });
  // The port is known once listening: Discord must send the browser back there.
  api.deps.config.controlPlane.publicUrl = api.url;
  pilotsRole = fake.guild.addRole({ name: 'Pilots' }).id;
});

afterAll(async () => {
  await api?.stop();
  await target?.stop();
  await fake?.close();
});

beforeEach(() => {
  api.jobs.syncRequests.length = 0;
  fake.clearRecords();
});

/** A user who may log in, member of a group mapped to the Pilots role. */
async function pilot(
  name: string,
  fields: { authorizedToLogin?: boolean | null; discordUserId?: string } = {},
) {
  const user = await api.user({
    characterName: name,
    authorizedToLogin: fields.authorizedToLogin === undefined ? true : fields.authorizedToLogin,
    discordUserId: fields.discordUserId ?? null,
  });
  const em = api.t.db.fork();
  const group = addGroup(em, `Pilots of ${name}`, [user.id]);
  addMapping(em, group.id, 'discord', TARGET, { platformGroupId: pilotsRole });
  await em.flush();
  return { ...user, trpc: api.client(user.token) };
}

/** Starts a link and plays the consent screen as `consentUserId`: returns the callback URL Discord redirects to. */
async function consent(
  trpc: Awaited<ReturnType<typeof pilot>>['trpc'],
  consentUserId: string | null,
): Promise<URL> {
  const started = await trpc.discord.startLink.mutate({ target: TARGET });
  if (started.method !== 'oauth') throw new Error('expected an OAuth2 link');
  fake.oauth.consentUserId = consentUserId;
  const res = await fetch(started.url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

const callback = async (url: URL | string, json = true) => {
  const res = await fetch(url, { headers: json ? { accept: 'application/json' } : {} });
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    body: json ? ((await res.json()) as Record<string, unknown>) : await res.text(),
  };
};

const discordIdOf = async (userId: string) =>
  (await api.t.db.fork().findOneOrFail(User, { id: userId })).discordUserId ?? null;

describe('discord.startLink (oauth)', () => {
  it('gives the consent URL with identify and guilds.join and a single-use state stored hashed', async () => {
    const { id, trpc } = await pilot('Alpha Pilot');
    const started = await trpc.discord.startLink.mutate({ target: TARGET });
    if (started.method !== 'oauth') throw new Error('expected an OAuth2 link');
    const url = new URL(started.url);
    expect(url.origin + url.pathname).toBe(`${fake.url}/v10/oauth2/authorize`);
    expect(url.searchParams.get('scope')).toBe('identify guilds.join');
    expect(url.searchParams.get('client_id')).toBe(fake.oauth.clientId);
    expect(url.searchParams.get('redirect_uri')).toBe(`${api.url}/discord/callback`);
    const state = url.searchParams.get('state')!;
    expect(state.length).toBeGreaterThanOrEqual(40);
    const rows = await api.t.db.fork().find(Challenge, { userId: id });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.kind).toBe('discord-oauth');
    expect(JSON.stringify(rows)).not.toContain(state);
  });

  it('refuses a target without OAuth2 client and unknown targets', async () => {
    const { trpc } = await pilot('Beta Pilot');
    await expect(trpc.discord.startLink.mutate({ target: 'no-oauth' })).rejects.toMatchObject({
      data: { code: 'PRECONDITION_FAILED' },
      message: expect.stringMatching(/oauthClientId/),
    });
    await expect(trpc.discord.startLink.mutate({ target: 'elsewhere' })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
  });
});

describe('GET /discord/callback', () => {
  it('links the account and adds the member with roles and nickname in one PUT', async () => {
    const { id, trpc } = await pilot('Gamma Pilot');
    const discordUser = fake.guild.addUser({ username: 'gamma' });
    const back = await consent(trpc, discordUser.id);
    expect(back.origin + back.pathname).toBe(`${api.url}/discord/callback`);

    const answer = await callback(back);
    expect(answer).toMatchObject({
      status: 200,
      body: { ok: true, discordUserId: discordUser.id, target: TARGET, guild: 'added' },
    });
    expect(await discordIdOf(id)).toBe(discordUser.id);
    expect(fake.count(TOKEN_EXCHANGE)).toBe(1);
    expect(fake.count(PUT_MEMBER)).toBe(1);
    expect(fake.guild.members.get(discordUser.id)).toMatchObject({
      roles: [pilotsRole],
      nick: 'Gamma Pilot',
    });
    expect(api.jobs.syncRequests).toEqual([
      {
        platform: 'discord',
        target: null,
        trigger: 'discord.link',
        scope: { groups: [], users: [id], accounts: [] },
      },
    ]);
    expect(await trpc.discord.completeLink.mutate({ target: TARGET })).toEqual({
      linked: true,
      target: TARGET,
      discordUserId: discordUser.id,
    });
    expect(await trpc.discord.status.query()).toMatchObject({ discordUserId: discordUser.id, pending: [] });

    // Reused: the state is spent before the code is tried again.
    expect(await callback(back)).toMatchObject({ status: 400, body: { ok: false, reason: 'used' } });
    expect(fake.count(TOKEN_EXCHANGE)).toBe(1);
  });

  it('keeps the link and answers it when the sync after it cannot be asked for', async () => {
    const { id, trpc } = await pilot('Sync Down Pilot');
    const discordUser = fake.guild.addUser({ username: 'syncdown' });
    const back = await consent(trpc, discordUser.id);
    const requestSync = api.jobs.requestSync;
    api.jobs.requestSync = () => Promise.reject(new Error('pg-boss is down'));
    try {
      expect(await callback(back)).toMatchObject({ status: 200, body: { ok: true, guild: 'added' } });
    } finally {
      api.jobs.requestSync = requestSync;
    }
    expect(await discordIdOf(id)).toBe(discordUser.id);
    expect(api.jobs.syncRequests).toEqual([]);
  });

  it('does not add again someone already on the server', async () => {
    const { trpc } = await pilot('Delta Pilot');
    const member = fake.guild.addMember({ username: 'delta' });
    const answer = await callback(await consent(trpc, member.user.id));
    expect(answer).toMatchObject({ status: 200, body: { guild: 'alreadyMember' } });
    expect(fake.guild.members.get(member.user.id)?.roles).toEqual([]);
  });

  it('links but does not add a user whose login is not authorized', async () => {
    const { id, trpc } = await pilot('Epsilon Pilot', { authorizedToLogin: null });
    const discordUser = fake.guild.addUser({ username: 'epsilon' });
    const answer = await callback(await consent(trpc, discordUser.id));
    expect(answer).toMatchObject({ status: 200, body: { guild: 'notAuthorized' } });
    expect(await discordIdOf(id)).toBe(discordUser.id);
    expect(fake.count(PUT_MEMBER)).toBe(0);
  });

  it('links but says exactly why it did not add a user whose grant lacks guilds.join', async () => {
    const { id, trpc } = await pilot('Omicron Pilot');
    const discordUser = fake.guild.addUser({ username: 'omicron' });
    fake.oauth.consentScopes = ['identify'];
    try {
      const answer = await callback(await consent(trpc, discordUser.id));
      expect(answer).toMatchObject({ status: 200, body: { guild: 'noGuildsJoin' } });
      const message = String((answer.body as Record<string, unknown>).message);
      expect(message).toMatch(/did not grant "guilds\.join"/);
      expect(message).not.toMatch(/not authorized/);
      expect(await discordIdOf(id)).toBe(discordUser.id);
      expect(fake.count(PUT_MEMBER)).toBe(0);
    } finally {
      fake.oauth.consentScopes = null;
    }
  });

  it('keeps the link when Discord refuses the guild add (a role above the bot)', async () => {
    const { id, trpc } = await pilot('Lambda Pilot');
    const botRole = fake.guild.roles.get(fake.guild.botRoleId)!;
    const high = fake.guild.addRole({ name: 'Officers', position: botRole.position + 1 });
    const em = api.t.db.fork();
    addMapping(em, addGroup(em, 'Officers', [id]).id, 'discord', TARGET, { platformGroupId: high.id });
    await em.flush();
    const discordUser = fake.guild.addUser({ username: 'lambda' });
    const answer = await callback(await consent(trpc, discordUser.id));
    expect(answer).toMatchObject({ status: 200, body: { ok: true, guild: 'failed' } });
    expect(await discordIdOf(id)).toBe(discordUser.id);
    expect(fake.guild.members.has(discordUser.id)).toBe(false);
    expect(api.jobs.syncRequests).toHaveLength(1);
  });

  it('refuses unknown, missing and expired states without exchanging the code', async () => {
    const { id, trpc } = await pilot('Zeta Pilot');
    expect(await callback(`${api.url}/discord/callback?code=abc&state=not-a-state`)).toMatchObject({
      status: 400,
      body: { reason: 'no-challenge' },
    });
    expect(await callback(`${api.url}/discord/callback?code=abc`)).toMatchObject({
      status: 400,
      body: { reason: 'no-challenge' },
    });

    const back = await consent(trpc, fake.guild.addUser().id);
    await api.t.db.fork().nativeUpdate(Challenge, { userId: id }, { expiresAt: new Date(Date.now() - 1000) });
    expect(await callback(back)).toMatchObject({
      status: 400,
      body: { ok: false, reason: 'expired', message: expect.stringMatching(/expired/) },
    });
    await expect(trpc.discord.completeLink.mutate({ target: TARGET })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringMatching(/expired/),
    });

    // A forged state of the right shape, and a state from an older start, are unknown too.
    const first = await consent(trpc, fake.guild.addUser().id);
    const second = await consent(trpc, fake.guild.addUser().id);
    expect(await callback(first)).toMatchObject({ status: 400, body: { reason: 'no-challenge' } });
    first.searchParams.set('state', `${second.searchParams.get('state')!.slice(0, -2)}AA`);
    expect(await callback(first)).toMatchObject({ status: 400, body: { reason: 'no-challenge' } });
    expect(fake.count(TOKEN_EXCHANGE)).toBe(0);
    expect(await discordIdOf(id)).toBeNull();
  });

  it('refuses a Discord account that belongs to another user, with a page that says so', async () => {
    const taken = fake.guild.addUser({ username: 'taken' });
    const owner = await pilot('Eta Pilot', { discordUserId: taken.id });
    const { id, trpc } = await pilot('Theta Pilot');
    const answer = await callback(await consent(trpc, taken.id), false);
    expect(answer.status).toBe(409);
    expect(answer.type).toMatch(/^text\/html/);
    expect(answer.body).toMatch(/already linked to another user/);
    expect(await discordIdOf(id)).toBeNull();
    expect(await discordIdOf(owner.id)).toBe(taken.id);
    expect(fake.count(PUT_MEMBER)).toBe(0);
    expect(api.jobs.syncRequests).toEqual([]);
  });

  it('reports a declined consent and a code Discord refuses', async () => {
    const { id, trpc } = await pilot('Iota Pilot');
    expect(await callback(await consent(trpc, null))).toMatchObject({
      status: 400,
      body: { reason: 'refused', message: expect.stringMatching(/declined/) },
    });

    const back = await consent(trpc, fake.guild.addUser().id);
    back.searchParams.set('code', 'forged-code');
    expect(await callback(back)).toMatchObject({ status: 400, body: { reason: 'refused' } });
    expect(await discordIdOf(id)).toBeNull();
    await expect(trpc.discord.completeLink.mutate({ target: TARGET })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringMatching(/did not complete/),
    });
  });
});

describe('discord.completeLink, unlink', () => {
  it('says what is pending, and unlinking clears the account and requests a sync', async () => {
    const { id, trpc } = await pilot('Kappa Pilot');
    await expect(trpc.discord.completeLink.mutate({ target: TARGET })).rejects.toMatchObject({
      data: { code: 'PRECONDITION_FAILED' },
      message: expect.stringMatching(/startLink first/),
    });
    const discordUser = fake.guild.addUser();
    const back = await consent(trpc, discordUser.id);
    await expect(trpc.discord.completeLink.mutate({ target: TARGET })).rejects.toMatchObject({
      data: { code: 'PRECONDITION_FAILED' },
      message: expect.stringMatching(/open the link URL/),
    });
    expect((await trpc.discord.status.query()).pending).toEqual([
      expect.objectContaining({ target: TARGET, method: 'oauth' }),
    ]);
    await callback(back);
    api.jobs.syncRequests.length = 0;

    expect(await trpc.discord.unlink.mutate({})).toEqual({ removed: true });
    expect(await discordIdOf(id)).toBeNull();
    // The account, no longer anyone's, is named in the scope: the runs take Roster's roles from it.
    expect(api.jobs.syncRequests).toEqual([
      {
        platform: 'discord',
        target: null,
        trigger: 'discord.unlink',
        scope: {
          groups: [],
          users: [id],
          accounts: [{ platform: 'discord', target: null, accountId: discordUser.id }],
        },
      },
    ]);
    expect(await trpc.discord.unlink.mutate({})).toEqual({ removed: false });
  });
});

/**
 * Discord account linking by one-time code: the `/link code:` slash command reaches the daemon's
 * interaction endpoint, signed with Ed25519 as Discord signs it (a key pair made here), over
 * real HTTP and PostgreSQL.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { discordLinkRoutes } from '../../../src/api/discord-routes.ts';
import { Challenge, User } from '../../../src/store/entities/index.ts';
import { startTestApi, type TestApi } from '../../support/api.ts';

const GUILD_A = '100000000000000010';
const GUILD_B = '100000000000000020';
const GUILD_ELSEWHERE = '100000000000000030';
let api: TestApi;
let privateKey: KeyObject;
let nextDiscordId = 300_000_000_000_000_000n;

const rawPublicKeyHex = (key: KeyObject) =>
  Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url').toString('hex');

beforeAll(async () => {
  const pair = generateKeyPairSync('ed25519');
  privateKey = pair.privateKey;
  const key = rawPublicKeyHex(pair.publicKey);
  const guild = (name: string, guildId: string, interactionPublicKey: string) => ({
    name,
    token: 'bot-token',
    guildId,
    interactionPublicKey,
  });
  api = await startTestApi({
    config: {
      discord: {
        targets: [
          guild('guild-a', GUILD_A, key),
          guild('guild-b', GUILD_B, key.toUpperCase()),
          { name: 'guild-c', token: 'x', guildId: '100000000000000040' },
        ],
      },
    },
    routes: (deps) => discordLinkRoutes(deps),
  });
});

afterAll(async () => {
  await api?.stop();
});

beforeEach(() => {
  api.jobs.syncRequests.length = 0;
});

const nowSeconds = () => String(Math.floor(Date.now() / 1000));

async function post(
  payload: unknown,
  options: {
    key?: KeyObject;
    timestamp?: string;
    tamper?: (body: string) => string;
    headers?: Record<string, string>;
  } = {},
) {
  const body = JSON.stringify(payload);
  const timestamp = options.timestamp ?? nowSeconds();
  const signature = sign(null, Buffer.from(timestamp + body), options.key ?? privateKey).toString('hex');
  const res = await fetch(`${api.url}/discord/interactions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-signature-ed25519': signature,
      'x-signature-timestamp': timestamp,
      ...options.headers,
    },
    body: options.tamper ? options.tamper(body) : body,
  });
  const text = await res.text();
  return {
    status: res.status,
    body: (text ? JSON.parse(text) : null) as {
      type?: number;
      data?: { content: string; flags: number };
      error?: string;
    },
  };
}

const discordId = () => String(nextDiscordId++);

const linkCommand = (code: unknown, guildId: string | null, userId: string) => ({
  id: '900000000000000001',
  application_id: '900000000000000002',
  type: 2,
  token: 'interaction-token',
  version: 1,
  ...(guildId
    ? { guild_id: guildId, member: { user: { id: userId, username: 'pilot' }, roles: [] } }
    : { user: { id: userId, username: 'pilot' } }),
  data: {
    id: '900000000000000003',
    name: 'link',
    type: 1,
    options: code === undefined ? [] : [{ name: 'code', type: 3, value: code }],
  },
});

async function codeFor(target = 'guild-a') {
  const user = await api.user({ characterName: `Coder ${nextDiscordId}` });
  const trpc = api.client(user.token);
  const started = await trpc.discord.startLink.mutate({ target, method: 'code' });
  if (started.method !== 'code') throw new Error('expected a code link');
  return { ...user, trpc, code: started.code, command: started.command };
}

const discordIdOf = async (userId: string) =>
  (await api.t.db.fork().findOneOrFail(User, { id: userId })).discordUserId ?? null;

describe('POST /discord/interactions: signatures', () => {
  it('answers a signed PING with PONG', async () => {
    expect(await post({ id: '1', type: 1, application_id: '2', token: 't', version: 1 })).toEqual({
      status: 200,
      body: { type: 1 },
    });
  });

  it('refuses with 401 a wrong key, a changed body, a stale timestamp and missing headers', async () => {
    const ping = { id: '1', type: 1, application_id: '2', token: 't', version: 1 };
    expect((await post(ping, { key: generateKeyPairSync('ed25519').privateKey })).status).toBe(401);
    expect((await post(ping, { tamper: (b) => b.replace('"t"', '"u"') })).status).toBe(401);
    expect((await post(ping, { timestamp: String(Math.floor(Date.now() / 1000) - 3600) })).status).toBe(401);
    expect((await post(ping, { headers: { 'x-signature-ed25519': '' } })).status).toBe(401);
    const res = await fetch(`${api.url}/discord/interactions`, {
      method: 'POST',
      body: JSON.stringify(ping),
    });
    expect(res.status).toBe(401);
  });
});

describe('/link code:', () => {
  it('gives a short code and links the account that sends it, once', async () => {
    const { id, code, command, trpc } = await codeFor();
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(command).toBe(`/link code:${code}`);
    const rows = await api.t.db.fork().find(Challenge, { userId: id });
    expect(JSON.stringify(rows)).not.toContain(code);

    const sender = discordId();
    const answer = await post(linkCommand(` ${code.toLowerCase().replace('-', '')} `, GUILD_A, sender));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      type: 4,
      data: { flags: 64, content: expect.stringMatching(/^Linked: .*Coder/) },
    });
    expect(await discordIdOf(id)).toBe(sender);
    // Scoped to the user who linked: the runs read and fix that account only.
    expect(api.jobs.syncRequests).toEqual([
      {
        platform: 'discord',
        target: null,
        trigger: 'discord.link',
        scope: { groups: [], users: [id], accounts: [] },
      },
    ]);
    expect(await trpc.discord.completeLink.mutate({ target: 'guild-a' })).toEqual({
      linked: true,
      target: 'guild-a',
      discordUserId: sender,
    });

    const reused = await post(linkCommand(code, GUILD_A, discordId()));
    expect(reused.body.data).toMatchObject({
      flags: 64,
      content: expect.stringMatching(/^Not linked: .*already used/),
    });
    expect(await discordIdOf(id)).toBe(sender);
  });

  it('refuses an expired code', async () => {
    const { id, code } = await codeFor();
    await api.t.db.fork().nativeUpdate(Challenge, { userId: id }, { expiresAt: new Date(Date.now() - 1000) });
    const answer = await post(linkCommand(code, GUILD_A, discordId()));
    expect(answer.body.data?.content).toMatch(/^Not linked: .*expired/);
    expect(await discordIdOf(id)).toBeNull();
  });

  it('refuses a code made for another guild, which still works in its own', async () => {
    const { id, code } = await codeFor('guild-a');
    const sender = discordId();
    expect((await post(linkCommand(code, GUILD_B, sender))).body.data?.content).toMatch(
      /^Not linked: .*another server/,
    );
    expect((await post(linkCommand(code, GUILD_ELSEWHERE, sender))).body.data?.content).toMatch(
      /not kept by Roster/,
    );
    expect((await post(linkCommand(code, null, sender))).body.data?.content).toMatch(
      /not in a direct message/,
    );
    expect(await discordIdOf(id)).toBeNull();
    expect((await post(linkCommand(code, GUILD_A, sender))).body.data?.content).toMatch(/^Linked/);
    expect(await discordIdOf(id)).toBe(sender);
  });

  it('refuses unknown codes and an account linked to another user', async () => {
    const owner = discordId();
    await api.user({ discordUserId: owner });
    const { id, code } = await codeFor();
    expect((await post(linkCommand('ZZZZ-ZZZZ', GUILD_A, discordId()))).body.data?.content).toMatch(
      /^Not linked: .*not known/,
    );
    expect((await post(linkCommand('not a code!', GUILD_A, discordId()))).body.data?.content).toMatch(
      /not known/,
    );
    expect((await post(linkCommand(undefined, GUILD_A, discordId()))).body.data?.content).toMatch(
      /Give your code/,
    );
    expect((await post(linkCommand(code, GUILD_A, owner))).body.data?.content).toMatch(
      /already linked to another user/,
    );
    expect(await discordIdOf(id)).toBeNull();
    expect(api.jobs.syncRequests).toEqual([]);
  });

  it('refuses the code method on a guild without an interaction key', async () => {
    const user = await api.user();
    await expect(
      api.client(user.token).discord.startLink.mutate({ target: 'guild-c', method: 'code' }),
    ).rejects.toMatchObject({
      data: { code: 'PRECONDITION_FAILED' },
      message: expect.stringMatching(/interactionPublicKey/),
    });
  });
});

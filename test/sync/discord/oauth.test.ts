import { afterEach, describe, expect, it } from 'vitest';
import { PlatformRefusedError } from '../../../src/domain/errors.ts';
import { startHarness, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const redirectUri = 'http://127.0.0.1:1/discord/callback';

describe('Discord target: OAuth2 link helpers', () => {
  it('builds the consent URL with identify and guilds.join, which the fake honours', async () => {
    h = await startHarness();
    const url = new URL(
      h.target.authorizeUrl({ clientId: h.fake.oauth.clientId, redirectUri, state: 'st-1' }),
    );
    expect(url.origin + url.pathname).toBe(`${h.fake.url}/v10/oauth2/authorize`);
    expect(url.searchParams.get('scope')).toBe('identify guilds.join');
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('redirect_uri')).toBe(redirectUri);
    expect(url.searchParams.get('state')).toBe('st-1');

    h.fake.oauth.consentUserId = h.fake.guild.addUser({ username: 'pilot' }).id;
    const res = await fetch(url, { redirect: 'manual' });
    const back = new URL(res.headers.get('location') ?? '');
    expect(back.searchParams.get('state')).toBe('st-1');
    const tokens = await h.target.exchangeCode({
      clientId: h.fake.oauth.clientId,
      clientSecret: h.fake.oauth.clientSecret,
      redirectUri,
      code: back.searchParams.get('code') ?? '',
    });
    expect(tokens.scopes).toEqual(['identify', 'guilds.join']);
    expect(await h.target.fetchCurrentUser(tokens.accessToken)).toEqual({
      id: h.fake.oauth.consentUserId,
      username: 'pilot',
      globalName: null,
    });
  });

  it('rejects reused, expired and foreign codes with PlatformRefusedError, never retrying a code', async () => {
    h = await startHarness();
    const { oauth } = h.fake;
    const userId = h.fake.guild.addUser().id;
    const input = { clientId: oauth.clientId, clientSecret: oauth.clientSecret, redirectUri };
    const code = oauth.issueCode({ userId, redirectUri });
    await h.target.exchangeCode({ ...input, code });
    await expect(h.target.exchangeCode({ ...input, code })).rejects.toMatchObject({
      code: 'invalid_grant',
      status: 400,
    });
    const expired = oauth.issueCode({ userId, redirectUri, ttlMs: -1 });
    await expect(h.target.exchangeCode({ ...input, code: expired })).rejects.toBeInstanceOf(
      PlatformRefusedError,
    );
    const foreign = oauth.issueCode({ userId, redirectUri, clientId: '100000000000000999' });
    await expect(h.target.exchangeCode({ ...input, code: foreign })).rejects.toMatchObject({
      code: 'invalid_grant',
    });
    const wrongSecret = oauth.issueCode({ userId, redirectUri });
    await expect(
      h.target.exchangeCode({ ...input, clientSecret: 'nope', code: wrongSecret }),
    ).rejects.toMatchObject({ code: 'invalid_client', status: 401 });
    expect(h.fake.count('POST /oauth2/token')).toBe(5);
    await expect(h.target.fetchCurrentUser('not-a-token')).rejects.toBeInstanceOf(PlatformRefusedError);
    const error = await h.target.exchangeCode({ ...input, code }).catch((e: unknown) => e);
    expect(JSON.stringify(error)).not.toContain(oauth.clientSecret);
  });

  it('adds a linked user to the guild with roles and nickname in one call, once', async () => {
    h = await startHarness();
    const g = h.fake.guild;
    const pilots = g.addRole({ name: 'Pilots' });
    const userId = g.addUser().id;
    const token = h.fake.oauth.issueToken(userId);
    const member = { userId, accessToken: token, roles: [pilots.id], nick: '[ABC] Pilot' };
    expect(await h.target.addGuildMember(member)).toBe('added');
    expect(g.members.get(userId)).toMatchObject({ roles: [pilots.id], nick: '[ABC] Pilot' });
    expect(await h.target.addGuildMember(member)).toBe('alreadyMember');
    const puts = h.fake.requests.filter((r) => r.route === 'PUT /guilds/:guild/members/:user');
    expect(puts).toHaveLength(2);
    expect(puts[0]?.body).toEqual({ access_token: token, roles: [pilots.id], nick: '[ABC] Pilot' });
    expect(puts[0]?.headers.authorization).toBe(`Bot ${h.fake.botToken}`);
    const stranger = g.addUser().id;
    await expect(
      h.target.addGuildMember({ userId: stranger, accessToken: token, roles: [], nick: null }),
    ).rejects.toMatchObject({ code: 50025 });
  });
});

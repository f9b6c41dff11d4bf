import { afterEach, describe, expect, it } from 'vitest';
import { startFakeDiscord, type FakeDiscord, type FakeDiscordOptions } from './discord/index.ts';

let fake: FakeDiscord | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  fake = await startFakeDiscord(options);
  return fake;
}

async function call(
  f: FakeDiscord,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { Authorization: `Bot ${f.botToken}` },
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${f.url}/v10${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

describe('fake Discord: guild, roles, members', () => {
  it('checks the bot token and serves the guild with its roles', async () => {
    const f = await start();
    const denied = await call(f, 'GET', `/guilds/${f.guild.id}`, undefined, { Authorization: 'Bot wrong' });
    expect(denied).toMatchObject({ status: 401, body: { code: 40001 } });
    const guild = await call(f, 'GET', `/guilds/${f.guild.id}`);
    expect(guild.status).toBe(200);
    expect(guild.body.owner_id).toBe(f.guild.ownerId);
    expect(guild.body.roles.map((r: { name: string }) => r.name)).toEqual(['@everyone', 'Roster']);
    expect((await call(f, 'GET', `/guilds/1234567890123456789`)).body.code).toBe(10004);
  });

  it('creates roles at the bottom with string permissions and enforces the role hierarchy', async () => {
    const f = await start();
    const created = await call(f, 'POST', `/guilds/${f.guild.id}/roles`, {
      name: 'Pilots',
      permissions: '0',
    });
    expect(created.body).toMatchObject({
      name: 'Pilots',
      position: 1,
      permissions: '0',
      mentionable: false,
      managed: false,
    });
    expect(f.guild.roles.get(f.guild.botRoleId)?.position).toBe(2);
    const renamed = await call(f, 'PATCH', `/guilds/${f.guild.id}/roles/${created.body.id}`, {
      name: 'Capsuleers',
    });
    expect(renamed.body.name).toBe('Capsuleers');
    const above = f.guild.addRole({ name: 'Admins', position: 3 });
    const refused = await call(f, 'PATCH', `/guilds/${f.guild.id}/roles/${above.id}`, { name: 'x' });
    expect(refused).toMatchObject({ status: 403, body: { message: 'Missing Permissions', code: 50013 } });
    const tooStrong = await call(f, 'POST', `/guilds/${f.guild.id}/roles`, { name: 'x', permissions: '8' });
    expect(tooStrong.body.code).toBe(50013);
  });

  it('lists members 1000 at a time after an id, in id order', async () => {
    const f = await start();
    for (let i = 0; i < 2500; i++) f.guild.addMember();
    const ids: string[] = [];
    let after = '0';
    for (;;) {
      const page = await call(f, 'GET', `/guilds/${f.guild.id}/members?limit=1000&after=${after}`);
      expect(page.status).toBe(200);
      ids.push(...page.body.map((m: { user: { id: string } }) => m.user.id));
      if (page.body.length < 1000) break;
      after = ids.at(-1) ?? '0';
    }
    expect(ids).toHaveLength(2502);
    expect(new Set(ids).size).toBe(2502);
    expect([...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))).toEqual(ids);
    const tooMany = await call(f, 'GET', `/guilds/${f.guild.id}/members?limit=1001`);
    expect(tooMany).toMatchObject({ status: 400, body: { code: 50035 } });
  });

  it('patches a member and answers 50013, 10007, 10011, 50035 like Discord', async () => {
    const f = await start({ rateLimits: { memberEdit: { limit: 100, windowMs: 10_000 } } });
    const g = f.guild;
    const low = g.addRole({ name: 'Low' });
    const high = g.addRole({ name: 'High', position: g.botTopPosition() + 1 });
    const member = g.addMember({ roles: [low.id] });
    const admin = g.addMember({ roles: [high.id] });
    const path = (id: string) => `/guilds/${g.id}/members/${id}`;
    const reason = {
      Authorization: `Bot ${f.botToken}`,
      'X-Audit-Log-Reason': encodeURIComponent('Roster run 1'),
    };
    const patched = await call(f, 'PATCH', path(member.user.id), { roles: [], nick: 'Nick' }, reason);
    expect(patched.body).toMatchObject({ roles: [], nick: 'Nick' });
    expect(f.requests.at(-1)?.headers['x-audit-log-reason']).toBe('Roster%20run%201');
    expect((await call(f, 'PATCH', path(member.user.id), { roles: [high.id] })).body.code).toBe(50013);
    expect((await call(f, 'PATCH', path(admin.user.id), { nick: 'x' })).body.code).toBe(50013);
    expect((await call(f, 'PATCH', path(g.ownerId), { nick: 'x' })).body.code).toBe(50013);
    // Discord lets a bot grant roles below its own to anyone; `strict` refuses every change.
    expect((await call(f, 'PATCH', path(g.ownerId), { roles: [low.id] })).status).toBe(200);
    f.hierarchy = 'strict';
    expect((await call(f, 'PATCH', path(admin.user.id), { roles: [high.id, low.id] })).body.code).toBe(50013);
    expect((await call(f, 'PATCH', path('1234567890123456789'), { roles: [] })).body.code).toBe(10007);
    expect((await call(f, 'PATCH', path(member.user.id), { roles: ['1234567890123456789'] })).body.code).toBe(
      10011,
    );
    expect((await call(f, 'PATCH', path(member.user.id), { nick: 'x'.repeat(33) })).body.code).toBe(50035);
    expect((await call(f, 'PUT', `${path(member.user.id)}/roles/${low.id}`)).status).toBe(204);
    expect((await call(f, 'DELETE', `${path(member.user.id)}/roles/${low.id}`)).status).toBe(204);
    expect(g.members.get(member.user.id)?.roles).toEqual([]);
    g.moveRole(g.botRoleId, 1);
    expect(g.roles.get(low.id)?.position).toBe(2);
    expect((await call(f, 'PUT', `${path(member.user.id)}/roles/${low.id}`)).body.code).toBe(50013);
    expect(f.count('PATCH /guilds/:guild/members/:user')).toBe(9);
    expect(f.count('PUT /guilds/:guild/members/:user/roles/:role')).toBe(2);
  });
});

describe('fake Discord: rate limits and faults', () => {
  it('shares one member-edit bucket per guild and answers 429 with Discord headers', async () => {
    const f = await start({ rateLimits: { memberEdit: { limit: 3, windowMs: 400 } } });
    const members = [1, 2, 3, 4].map(() => f.guild.addMember());
    const results = [];
    for (const m of members)
      results.push(await call(f, 'PATCH', `/guilds/${f.guild.id}/members/${m.user.id}`, { roles: [] }));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(results.map((r) => r.headers.get('x-ratelimit-remaining'))).toEqual(['2', '1', '0', '0']);
    expect(new Set(results.map((r) => r.headers.get('x-ratelimit-bucket'))).size).toBe(1);
    const limited = results[3];
    expect(limited?.body).toMatchObject({ message: 'You are being rate limited.', global: false });
    expect(limited?.body.retry_after).toBeGreaterThan(0);
    expect(limited?.headers.get('retry-after')).not.toBeNull();
    expect(limited?.headers.get('x-ratelimit-scope')).toBe('user');
    expect(Number(limited?.headers.get('x-ratelimit-reset-after'))).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, limited?.body.retry_after * 1000 + 20));
    expect(
      (await call(f, 'PATCH', `/guilds/${f.guild.id}/members/${members[3]?.user.id}`, { roles: [] })).status,
    ).toBe(200);
    expect(f.stats().rateLimited).toBe(1);
  });

  it('enforces the global limit with X-RateLimit-Global', async () => {
    const f = await start({ rateLimits: { global: { limit: 5, windowMs: 60_000 } } });
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 6; i++) {
      last = await call(f, 'GET', `/guilds/${f.guild.id}/roles`);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(last?.headers.get('x-ratelimit-global')).toBe('true');
    expect(last?.headers.get('x-ratelimit-scope')).toBe('global');
    expect(last?.body.global).toBe(true);
    expect(f.stats()).toMatchObject({ rateLimited: 1, globalRateLimited: 1 });
  });

  it('injects 5xx bursts, dropped connections and 429 storms, and records them', async () => {
    const f = await start();
    const path = `/guilds/${f.guild.id}/roles`;
    f.faults.failNext(2, 502);
    expect([(await call(f, 'GET', path)).status, (await call(f, 'GET', path)).status]).toEqual([502, 502]);
    f.faults.dropNext(1);
    await expect(call(f, 'GET', path)).rejects.toThrow();
    f.faults.rateLimitStorm(2, { retryAfterMs: 50, global: true });
    const storm = await call(f, 'GET', path);
    expect(storm).toMatchObject({ status: 429, body: { retry_after: 0.05, global: true } });
    expect((await call(f, 'GET', path)).status).toBe(429);
    expect((await call(f, 'GET', path)).status).toBe(200);
    expect(f.stats()).toMatchObject({
      requests: 6,
      serverErrors: 2,
      dropped: 1,
      stormRateLimited: 2,
      rateLimited: 2,
    });
    expect(f.requests.map((r) => r.status)).toEqual([502, 502, 0, 429, 429, 200]);
  });
});

describe('fake Discord: OAuth2', () => {
  const redirectUri = 'http://127.0.0.1:1/callback';

  async function token(f: FakeDiscord, fields: Record<string, string>) {
    const res = await fetch(`${f.url}/v10/oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: f.oauth.clientId,
        client_secret: f.oauth.clientSecret,
        redirect_uri: redirectUri,
        ...fields,
      }),
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  it('exchanges a code once, serves /users/@me and adds the user to the guild', async () => {
    const f = await start();
    const user = f.guild.addUser({ username: 'pilot' });
    const code = f.oauth.issueCode({ userId: user.id, redirectUri });
    const granted = await token(f, { code });
    expect(granted.body).toMatchObject({ token_type: 'Bearer', scope: 'identify guilds.join' });
    expect((await token(f, { code })).body.error).toBe('invalid_grant');
    const other = f.oauth.issueCode({ userId: user.id, redirectUri: 'http://127.0.0.1:1/elsewhere' });
    expect((await token(f, { code: other })).body.error).toBe('invalid_grant');
    const expired = f.oauth.issueCode({ userId: user.id, redirectUri, ttlMs: -1 });
    expect((await token(f, { code: expired })).body.error).toBe('invalid_grant');
    expect((await token(f, { code, client_secret: 'nope' })).status).toBe(401);

    const bearer = { Authorization: `Bearer ${granted.body.access_token}` };
    expect((await call(f, 'GET', '/users/%40me', undefined, bearer)).body).toMatchObject({
      id: user.id,
      username: 'pilot',
    });
    expect((await call(f, 'GET', '/users/@me', undefined, { Authorization: 'Bearer bad' })).status).toBe(401);
    const role = f.guild.addRole({ name: 'Members' });
    const body = { access_token: granted.body.access_token, roles: [role.id], nick: '[ABC] Pilot' };
    const added = await call(f, 'PUT', `/guilds/${f.guild.id}/members/${user.id}`, body);
    expect(added).toMatchObject({ status: 201, body: { roles: [role.id], nick: '[ABC] Pilot' } });
    expect((await call(f, 'PUT', `/guilds/${f.guild.id}/members/${user.id}`, body)).status).toBe(204);
  });

  it('redirects from the consent screen with a code and the state', async () => {
    const f = await start();
    f.oauth.consentUserId = f.guild.addUser().id;
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: f.oauth.clientId,
      redirect_uri: redirectUri,
      state: 's1',
    });
    const res = await fetch(`${f.url}/oauth2/authorize?${query}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.searchParams.get('state')).toBe('s1');
    expect((await token(f, { code: location.searchParams.get('code') ?? '' })).status).toBe(200);
  });
});

describe('fake Discord: direct messages through the bot', () => {
  it('opens one DM channel per user and posts to it; refuses users outside the guild or with DMs closed', async () => {
    const f = await start();
    const member = f.guild.addMember({ username: 'pilot' }).user.id;
    const opened = await call(f, 'POST', '/users/@me/channels', { recipient_id: member });
    expect(opened).toMatchObject({ status: 200, body: { type: 1, recipients: [{ id: member }] } });
    const again = await call(f, 'POST', '/users/@me/channels', { recipient_id: member });
    expect(again.body.id).toBe(opened.body.id);
    const sent = await call(f, 'POST', `/channels/${opened.body.id}/messages`, { content: 'Hello' });
    expect(sent).toMatchObject({ status: 200, body: { channel_id: opened.body.id, content: 'Hello' } });
    expect(f.dms.to(member)).toEqual(['Hello']);

    expect(
      (await call(f, 'POST', '/channels/1234567890123456789/messages', { content: 'x' })).body.code,
    ).toBe(10003);
    expect((await call(f, 'POST', `/channels/${opened.body.id}/messages`, { content: '' })).body.code).toBe(
      50006,
    );
    expect(
      (await call(f, 'POST', '/users/@me/channels', { recipient_id: '1234567890123456789' })).body.code,
    ).toBe(50033);
    f.dms.closedDms.add(member);
    expect(await call(f, 'POST', `/channels/${opened.body.id}/messages`, { content: 'Hi' })).toMatchObject({
      status: 403,
      body: { code: 50007 },
    });
    const denied = await call(
      f,
      'POST',
      '/users/@me/channels',
      { recipient_id: member },
      { Authorization: 'Bot x' },
    );
    expect(denied.status).toBe(401);
  });
});

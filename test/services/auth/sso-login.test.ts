import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ssoCallbackRoute } from '../../../src/api/sso-callback.ts';
import { ssoClientFromConfig } from '../../../src/directory/clients.ts';
import { MEMBERSHIP_SCOPE } from '../../../src/directory/members.ts';
import { createSsoLogin, loginSettingsOf, type SsoLogin } from '../../../src/services/auth/sso-login.ts';
import { decryptSecret } from '../../../src/crypto.ts';
import type { SsoClient } from '../../../src/esi/sso.ts';
import { hashSecret } from '../../../src/services/auth/secrets.ts';
import { ApiToken, Challenge, Corporation, User } from '../../../src/store/entities/index.ts';
import { memoryLogger } from '../../esi/fixtures.ts';
import { startFakeEsi, type FakeEsi } from '../../fakes/esi/index.ts';
import { startFakeSso, type FakeSso, type Forgery } from '../../fakes/sso/index.ts';
import { startTestApi, type TestApi } from '../../support/api.ts';
import { addAlliance, addCorporation, addUser } from '../../support/rows.ts';
import {
  ALICE,
  ALLIANCE,
  ALPHA,
  BETA,
  BOB,
  CAROL,
  DAVE,
  DELTA,
  ERIN,
  FRANK,
  GAMMA,
  esiFor,
  seedWorld,
} from '../../directory/world.ts';

const KEY = randomBytes(32).toString('base64');
const memory = memoryLogger();

let sso: FakeSso;
let fake: FakeEsi;
let api: TestApi;
let client: SsoClient;
/** A login with the default config: no `sso.scopes`. */
let bare: SsoLogin;
/** What the man-in-the-middle token endpoint of `/auth/forged` hands back. */
let forgery: Forgery = 'foreign-key';

beforeAll(async () => {
  sso = await startFakeSso();
  fake = await startFakeEsi({ expiresSeconds: 0 });
  seedWorld(fake);
  const config = {
    sso: {
      loginBaseUrl: sso.url,
      clientId: sso.clientId,
      clientSecret: sso.clientSecret,
      callbackUrl: 'http://127.0.0.1:1/auth/callback',
      encryptionKey: KEY,
      scopes: ['publicData'],
    },
    esi: { baseUrl: fake.url, contact: 'ops@example.org' },
  };
  api = await startTestApi({
    config,
    routes: (deps) => {
      client = ssoClientFromConfig(deps.config)!;
      const login = (sso: SsoClient, encryptionKey = KEY, scopes?: string[]): SsoLogin =>
        createSsoLogin({
          db: deps.db,
          sso,
          esi: esiFor(fake),
          settings: { ...loginSettingsOf(deps.config), encryptionKey, ...(scopes ? { scopes } : {}) },
          logger: memory.logger,
        });
      bare = login(client, KEY, []);
      // A token endpoint that hands back a forged access token with the real refresh token.
      const forging: SsoClient = {
        ...client,
        exchangeCode: async (code) => ({
          ...(await client.exchangeCode(code)),
          accessToken: await sso.forgeAccessToken(forgery, ALICE, ['publicData']),
        }),
      };
      return [
        ssoCallbackRoute(login(client)),
        ssoCallbackRoute(login(forging), '/auth/forged'),
        ssoCallbackRoute(login(client, ''), '/auth/nokey'),
        ssoCallbackRoute(bare, '/auth/bare'),
      ];
    },
  });
  const em = api.t.db.fork();
  addAlliance(em, ALLIANCE, {
    name: 'Test Alliance',
    ticker: 'TEST',
    executorCorporationId: ALPHA,
    authorizedToLogin: true,
  });
  addCorporation(em, ALPHA, {
    name: 'Alpha Corp',
    ticker: 'ALPHA',
    ceoCharacterId: ALICE,
    allianceId: ALLIANCE,
  });
  addCorporation(em, DELTA, {
    name: 'Delta Corp',
    ticker: 'DELTA',
    ceoCharacterId: FRANK,
    allianceId: ALLIANCE,
    mandatoryEsiScopes: [MEMBERSHIP_SCOPE],
  });
  addUser(em, 'Bob', { characterId: BOB, corporationId: ALPHA, authorizedToLogin: false });
  await em.flush();
});
afterAll(async () => {
  await api?.stop();
  await fake?.close();
  await sso?.close();
});

const em = () => api.t.db.fork();
const count = (entity: typeof User | typeof ApiToken | typeof Corporation) =>
  em().count(entity as typeof User, {});

/** auth.loginUrl over tRPC, anonymously. */
const loginUrl = async (characterId?: number) =>
  api.client().auth.loginUrl.mutate(characterId === undefined ? {} : { characterId });

/** The browser's trip: to the SSO (logged in as `characterId`), back to the daemon's callback. */
async function visit(authorizeUrl: string, characterId: number, path = '/auth/callback') {
  sso.loginAs(characterId);
  const redirect = await fetch(authorizeUrl, { redirect: 'manual' });
  expect(redirect.status).toBe(302);
  const back = new URL(redirect.headers.get('location')!);
  return callback(path, back.searchParams);
}

async function callback(path: string, params: URLSearchParams) {
  const response = await fetch(`${api.url}${path}?${params}`);
  expect(response.headers.get('cache-control')).toBe('no-store');
  return { status: response.status, body: (await response.json()) as Record<string, any>, params };
}

describe('EVE SSO login', () => {
  it('gives the authorize URL with a fresh state and the scopes', async () => {
    const first = new URL((await loginUrl()).url);
    const second = new URL((await loginUrl()).url);
    expect(first.origin).toBe(sso.url);
    expect(first.searchParams.get('scope')).toBe('publicData');
    expect(first.searchParams.get('state')).toMatch(/^[\w-]{43}$/);
    expect(second.searchParams.get('state')).not.toBe(first.searchParams.get('state'));
    // Only the state's hash is stored.
    const stored = await em().findOneOrFail(Challenge, {
      secretHash: hashSecret(first.searchParams.get('state')!),
    });
    expect(stored).toMatchObject({ kind: 'sso-login', usedAt: null });
    expect(JSON.stringify(stored)).not.toContain(first.searchParams.get('state'));
  });

  it('logs a character in: verifies the JWT, creates the user, stores the refresh token encrypted, issues a token', async () => {
    const usersBefore = await count(User);
    const { status, body, params } = await visit((await loginUrl()).url, ALICE);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      created: true,
      guestOf: null,
      user: { characterId: ALICE, characterName: 'Alice', corporationId: ALPHA, clearanceLevel: 4 }, // CEO of the executor
    });
    expect(body.token).toMatch(/^rst_/);
    expect(await count(User)).toBe(usersBefore + 1);

    // The token works, and expires.
    const tokens = await api.client(body.token).token.list.query();
    expect(tokens).toEqual([
      expect.objectContaining({ kind: 'user', comment: 'EVE SSO login', expiresAt: expect.anything() }),
    ]);

    const user = await em().findOneOrFail(User, { characterId: ALICE });
    expect(user).toMatchObject({
      esiScopes: ['publicData'],
      refreshTokenValid: true,
      lastLoginAt: expect.any(Date),
    });
    const refreshToken = decryptSecret(user.refreshToken!, KEY, `refresh-token:${ALICE}`);
    await expect(client.refresh(refreshToken)).resolves.toMatchObject({ tokenType: 'Bearer' });

    // Secrets never reach the log.
    const log = memory.text();
    expect(log).toContain('sso:login');
    for (const secret of [body.token, params.get('code')!, params.get('state')!, refreshToken])
      expect(log).not.toContain(secret);
  });

  it('creates the corporation it did not know from ESI, and logs an existing user in again', async () => {
    const first = await visit((await loginUrl()).url, CAROL); // Beta: in the alliance, unknown to the directory
    expect(first.status).toBe(200);
    expect(first.body.user).toMatchObject({ corporationId: BETA, clearanceLevel: 2 }); // Beta's CEO
    expect(await em().findOne(Corporation, { corporationId: BETA })).toMatchObject({
      name: 'Beta Corp',
      ceoCharacterId: CAROL,
      tracked: false,
    });
    const again = await visit((await loginUrl(CAROL)).url, CAROL);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false, user: { id: first.body.user.id } });
    expect(again.body.token).not.toBe(first.body.token);
  });

  for (const kind of ['foreign-key', 'expired', 'wrong-issuer'] as const) {
    it(`refuses a forged access token (${kind}) and creates nothing`, async () => {
      forgery = kind;
      const before = {
        users: await count(User),
        tokens: await count(ApiToken),
        corporations: await count(Corporation),
      };
      const { status, body } = await visit((await loginUrl()).url, DAVE, '/auth/forged');
      expect(status).toBe(401);
      expect(body).toMatchObject({
        error: 'invalid-token',
        reason: { 'foreign-key': 'signature', expired: 'expired', 'wrong-issuer': 'issuer' }[kind],
      });
      expect(body).not.toHaveProperty('token');
      expect({
        users: await count(User),
        tokens: await count(ApiToken),
        corporations: await count(Corporation),
      }).toEqual(before);
    });
  }

  it('takes a state once, and never an expired or unknown one', async () => {
    const url = (await loginUrl()).url;
    const first = await visit(url, ALICE);
    expect(first.status).toBe(200);
    // The same state with a fresh code: refused.
    const reuse = new URLSearchParams({ code: sso.mintCode(ALICE), state: first.params.get('state')! });
    expect(await callback('/auth/callback', reuse)).toMatchObject({
      status: 400,
      body: { error: 'state-used' },
    });

    const stale = new URL((await loginUrl()).url).searchParams.get('state')!;
    await em().nativeUpdate(
      Challenge,
      { secretHash: hashSecret(stale) },
      { expiresAt: new Date(Date.now() - 1000) },
    );
    const tokens = await count(ApiToken);
    expect(
      await callback('/auth/callback', new URLSearchParams({ code: sso.mintCode(ALICE), state: stale })),
    ).toMatchObject({
      status: 400,
      body: { error: 'state-expired' },
    });
    expect(
      await callback('/auth/callback', new URLSearchParams({ code: sso.mintCode(ALICE), state: 'made-up' })),
    ).toMatchObject({
      status: 400,
      body: { error: 'invalid-state' },
    });
    expect(await callback('/auth/callback', new URLSearchParams({ state: stale }))).toMatchObject({
      status: 400,
      body: { error: 'invalid-request' },
    });
    expect(await count(ApiToken)).toBe(tokens);
  });

  it('refuses whom the login cascade denies, naming why, and writes nothing', async () => {
    const before = {
      users: await count(User),
      tokens: await count(ApiToken),
      corporations: await count(Corporation),
    };
    const denied = await visit((await loginUrl()).url, BOB); // his own record says false
    expect(denied).toMatchObject({
      status: 403,
      body: { error: 'login-denied', reason: 'denied', by: 'user' },
    });
    expect(await em().findOneOrFail(User, { characterId: BOB })).toMatchObject({
      lastLoginAt: null,
      refreshToken: null,
    });

    const stranger = await visit((await loginUrl()).url, DAVE); // Gamma: nothing allows it
    expect(stranger).toMatchObject({
      status: 403,
      body: { error: 'login-denied', reason: 'not-authorized' },
    });
    expect(stranger.body.message).toMatch(/not authorized/);
    expect(await em().findOne(User, { characterId: DAVE })).toBeNull();
    expect(await em().findOne(Corporation, { corporationId: GAMMA })).toBeNull();
    expect({
      users: await count(User),
      tokens: await count(ApiToken),
      corporations: await count(Corporation),
    }).toEqual(before);
  });

  it('refuses a login without the mandatory scopes, listing them, with a URL that asks for them', async () => {
    const refused = await visit((await loginUrl()).url, FRANK); // Delta requires the membership scope
    expect(refused).toMatchObject({
      status: 403,
      body: { error: 'missing-scopes', missingScopes: [MEMBERSHIP_SCOPE] },
    });
    expect(await em().findOne(User, { characterId: FRANK })).toBeNull();
    const retry = new URL(refused.body.loginUrl);
    expect(retry.searchParams.get('scope')?.split(' ')).toEqual([
      'esi-corporations.read_corporation_membership.v1',
      'publicData',
    ]);
    const accepted = await visit(retry.href, FRANK);
    expect(accepted).toMatchObject({ status: 200, body: { user: { corporationId: DELTA } } });
    // Now that the character is known, loginUrl asks for its mandatory scopes up front.
    expect((await loginUrl(FRANK)).scopes).toEqual([MEMBERSHIP_SCOPE, 'publicData']);
  });

  it('lets a guest in through a single-use invitation link', async () => {
    const nobody = await api.user({ clearanceLevel: 0 });
    await expect(
      api.client(nobody.token).auth.inviteUrl.mutate({ corporationId: ALPHA }),
    ).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    const admin = await api.user({ clearanceLevel: 9, corporationId: ALPHA });
    const invitation = await api.client(admin.token).auth.inviteUrl.mutate({ corporationId: ALPHA });

    const joined = await visit(invitation.url, ERIN); // Gamma: not authorized on its own
    expect(joined).toMatchObject({
      status: 200,
      body: {
        created: true,
        guestOf: { kind: 'corporation', id: ALPHA },
        user: { characterId: ERIN, corporationId: ALPHA, clearanceLevel: -1 },
      },
    });
    expect(await em().findOne(Corporation, { corporationId: GAMMA })).toBeNull();
    expect(await visit(invitation.url, DAVE)).toMatchObject({ status: 400, body: { error: 'state-used' } });

    // Later logins go through the host's cascade; the guest stays a guest.
    const later = await visit((await loginUrl(ERIN)).url, ERIN);
    expect(later).toMatchObject({
      status: 200,
      body: { created: false, guestOf: null, user: { corporationId: ALPHA, clearanceLevel: -1 } },
    });
  });

  it('asks a guest only for the scopes guests need, not the host corporation’s mandatory ones', async () => {
    const admin = await api.user({ clearanceLevel: 9, corporationId: DELTA });
    const invitation = await api.client(admin.token).auth.inviteUrl.mutate({ corporationId: DELTA });
    expect(invitation.scopes).not.toContain(MEMBERSHIP_SCOPE); // Delta's mandatory scope
    const joined = await visit(invitation.url, DAVE);
    expect(joined).toMatchObject({
      status: 200,
      body: {
        guestOf: { kind: 'corporation', id: DELTA },
        user: { corporationId: DELTA, clearanceLevel: -1 },
      },
    });
    expect((await loginUrl(DAVE)).scopes).not.toContain(MEMBERSHIP_SCOPE);
    expect((await visit((await loginUrl(DAVE)).url, DAVE)).status).toBe(200);
  });

  it('does not store refresh tokens without an encryption key, and says so once', async () => {
    const before = memory.lines.filter((l) => String(l.msg).startsWith('sso.encryptionKey is empty')).length;
    for (const characterId of [ALICE, CAROL]) {
      await em().nativeUpdate(User, { characterId }, { refreshToken: null, refreshTokenValid: null });
      expect((await visit((await loginUrl()).url, characterId, '/auth/nokey')).status).toBe(200);
      expect(await em().findOneOrFail(User, { characterId })).toMatchObject({
        refreshToken: null,
        refreshTokenValid: null,
      });
    }
    expect(memory.lines.filter((l) => String(l.msg).startsWith('sso.encryptionKey is empty')).length).toBe(
      before + 1,
    );
  });

  it('logs a pilot in with the default config (no scope asked, so no refresh token) and keeps an earlier one', async () => {
    const start = await bare.start();
    expect(start.scopes).toEqual([]);
    expect(new URL(start.url).searchParams.has('scope')).toBe(false);
    await em().nativeUpdate(
      User,
      { characterId: CAROL },
      { refreshToken: 'v1.earlier', refreshTokenValid: true },
    );
    const login = await visit(start.url, CAROL, '/auth/bare');
    expect(login).toMatchObject({ status: 200, body: { created: false, user: { characterId: CAROL } } });
    expect(login.body.token).toMatch(/^rst_/);
    expect(await em().findOneOrFail(User, { characterId: CAROL })).toMatchObject({
      esiScopes: [],
      refreshToken: 'v1.earlier',
    });
    // A first login with no scope stores none.
    await em().nativeDelete(User, { characterId: ALICE });
    const first = await visit((await bare.start()).url, ALICE, '/auth/bare');
    expect(first).toMatchObject({ status: 200, body: { created: true } });
    expect(await em().findOneOrFail(User, { characterId: ALICE })).toMatchObject({
      refreshToken: null,
      refreshTokenValid: null,
    });
  });

  it('logs the real cause of every refused login', async () => {
    const refusals = () => memory.lines.filter((l) => l.msg === 'sso:login-refused');
    const before = refusals().length;
    await visit((await loginUrl()).url, BOB); // denied by his own record
    const url = (await loginUrl()).url;
    sso.loginAs(ALICE);
    const back = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
    sso.failNext(1, 502);
    await callback('/auth/callback', back.searchParams);
    await callback('/auth/callback', back.searchParams); // the state is used now
    expect(refusals().slice(before)).toEqual([
      expect.objectContaining({ error: 'login-denied', reason: 'denied', by: 'user', status: 403 }),
      expect.objectContaining({
        error: 'unavailable',
        status: 503,
        cause: expect.stringMatching(/SsoTransientError: .*HTTP 502/),
      }),
      expect.objectContaining({ error: 'state-used', status: 400 }),
    ]);
    expect(refusals().every((l) => l.reason !== null)).toBe(true);
  });

  it('answers 503 when the SSO is down, and keeps nothing half-done', async () => {
    const tokens = await count(ApiToken);
    const url = (await loginUrl()).url;
    sso.loginAs(ALICE);
    const back = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
    sso.failNext(1, 503);
    expect(await callback('/auth/callback', back.searchParams)).toMatchObject({
      status: 503,
      body: { error: 'unavailable' },
    });
    expect(await count(ApiToken)).toBe(tokens);
  });
});

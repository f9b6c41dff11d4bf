import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAccessTokens, NoRefreshTokenError } from '../../src/directory/access-tokens.ts';
import { encryptRefreshToken } from '../../src/services/auth/refresh-tokens.ts';
import { ensureCorporationMembers, MEMBERSHIP_SCOPE } from '../../src/directory/members.ts';
import { decryptSecret } from '../../src/crypto.ts';
import { SsoInvalidGrantError, SsoTransientError } from '../../src/esi/sso-errors.ts';
import { createSsoClient, type SsoClient } from '../../src/esi/sso.ts';
import { Corporation, User } from '../../src/store/entities/index.ts';
import { closedPortUrl, memoryLogger } from '../esi/fixtures.ts';
import { startFakeEsi, type FakeEsi } from '../fakes/esi/index.ts';
import { startFakeSso, type FakeSso } from '../fakes/sso/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addCorporation, addUser } from '../support/rows.ts';
import {
  ALICE,
  ALPHA,
  BETA,
  BOB,
  CAROL,
  DAVE,
  ERIN,
  FRANK,
  GAMMA,
  esiFor,
  seedWorld,
  silent,
} from './world.ts';

const KEY = randomBytes(32).toString('base64');

let t: TestDatabase;
let sso: FakeSso;
let fake: FakeEsi;
let client: SsoClient;

beforeAll(async () => {
  t = await createTestDatabase();
  sso = await startFakeSso();
  fake = await startFakeEsi({ expiresSeconds: 0, resolveAccessToken: (token) => sso.characterIdOf(token) });
  seedWorld(fake);
  client = createSsoClient({
    loginBaseUrl: sso.url,
    clientId: sso.clientId,
    clientSecret: sso.clientSecret,
    callbackUrl: 'http://127.0.0.1:1/auth/callback',
    timeoutMs: 500,
  });
});
afterAll(async () => {
  await fake?.close();
  await sso?.close();
  await t?.dispose();
});
beforeEach(async () => {
  sso.clearFaults();
  const em = t.db.fork();
  await em.nativeDelete(User, {});
  await em.nativeDelete(Corporation, {});
});

/** A user who logged in granting `scopes`: its refresh token stored encrypted, as the login does. */
async function withToken(characterId: number, corporationId: number, scopes: string[] = [MEMBERSHIP_SCOPE]) {
  const tokens = await client.exchangeCode(sso.mintCode(characterId, scopes));
  const em = t.db.fork();
  const user = addUser(em, `Pilot ${characterId}`, {
    characterId,
    corporationId,
    esiScopes: scopes,
    refreshToken: encryptRefreshToken(tokens.refreshToken!, KEY, characterId),
    refreshTokenValid: true,
  });
  await em.flush();
  return { userId: user.id, refreshToken: tokens.refreshToken! };
}

const reload = (id: string) => t.db.fork().findOneOrFail(User, { id });

describe('withFreshAccessToken', () => {
  it('refreshes once, then reuses the access token while it is fresh; ESI accepts it', async () => {
    const { userId } = await withToken(ALICE, ALPHA);
    const tokens = createAccessTokens({ sso: client, encryptionKey: KEY, logger: silent });
    const esi = esiFor(fake);
    const em = t.db.fork();
    const user = await em.findOneOrFail(User, { id: userId });
    const members = await tokens.withFreshAccessToken(em, user, (accessToken) =>
      esi.getCorporationMembers(ALPHA, accessToken),
    );
    expect(members).toEqual([ALICE, BOB]);
    const seen: string[] = [];
    await tokens.withFreshAccessToken(em, user, async (accessToken) => void seen.push(accessToken));
    await tokens.withFreshAccessToken(em, user, async (accessToken) => void seen.push(accessToken));
    expect(new Set(seen).size).toBe(1);
    expect(sso.requests.filter((r) => r.grantType === 'refresh_token')).toHaveLength(1);
  });

  it('marks the refresh token invalid when the SSO says invalid_grant', async () => {
    const { userId } = await withToken(BOB, ALPHA);
    sso.revokeCharacter(BOB);
    const memory = memoryLogger();
    const tokens = createAccessTokens({ sso: client, encryptionKey: KEY, logger: memory.logger });
    const em = t.db.fork();
    const user = await em.findOneOrFail(User, { id: userId });
    await expect(tokens.withFreshAccessToken(em, user, async () => 'used')).rejects.toBeInstanceOf(
      SsoInvalidGrantError,
    );
    expect(await reload(userId)).toMatchObject({ refreshTokenValid: false });
    expect(memory.lines.map((l) => l.msg)).toContain('sso:refresh-token-invalid');
    // Once invalid, it is not sent to the SSO again.
    await expect(tokens.withFreshAccessToken(em, user, async () => 'used')).rejects.toBeInstanceOf(
      NoRefreshTokenError,
    );
  });

  it('changes nothing on a 5xx, a timeout or a network error', async () => {
    const { userId, refreshToken } = await withToken(CAROL, BETA);
    const before = await reload(userId);
    const tokens = createAccessTokens({ sso: client, encryptionKey: KEY, logger: silent });
    const em = t.db.fork();
    const user = await em.findOneOrFail(User, { id: userId });
    sso.failNext(1, 503);
    await expect(tokens.withFreshAccessToken(em, user, async () => 'used')).rejects.toBeInstanceOf(
      SsoTransientError,
    );
    sso.delayNext(1, 2_000);
    await expect(tokens.withFreshAccessToken(em, user, async () => 'used')).rejects.toBeInstanceOf(
      SsoTransientError,
    );
    sso.clearFaults();
    const offline = createSsoClient({
      loginBaseUrl: await closedPortUrl(),
      clientId: 'x',
      clientSecret: 'y',
      callbackUrl: 'http://127.0.0.1:1/cb',
    });
    const unreachable = createAccessTokens({ sso: offline, encryptionKey: KEY, logger: silent });
    await expect(unreachable.withFreshAccessToken(em, user, async () => 'used')).rejects.toBeInstanceOf(
      SsoTransientError,
    );
    const after = await reload(userId);
    expect(after).toMatchObject({ refreshTokenValid: true });
    expect(after.refreshToken).toBe(before.refreshToken);
    expect(decryptSecret(after.refreshToken!, KEY, `refresh-token:${CAROL}`)).toBe(refreshToken);
    // And the token still works once the SSO is back.
    await expect(
      tokens.withFreshAccessToken(em, user, async (accessToken) => accessToken.length > 0),
    ).resolves.toBe(true);
  });
});

describe('ensureCorporationMembers', () => {
  it("adds a corporation's members with a director's token, and skips corporations without one", async () => {
    const em = t.db.fork();
    addCorporation(em, ALPHA, { ceoCharacterId: ALICE, tracked: true });
    addCorporation(em, BETA, { ceoCharacterId: CAROL, tracked: true });
    addCorporation(em, GAMMA, { ceoCharacterId: DAVE, tracked: true });
    await em.flush();
    await withToken(ALICE, ALPHA); // Alpha's CEO, with the scope
    await withToken(CAROL, BETA, ['publicData']); // Beta's CEO, without it
    await withToken(ERIN, GAMMA); // not a director of Gamma: ESI says 403
    fake.clearLog();
    const tokens = createAccessTokens({ sso: client, encryptionKey: KEY, logger: silent });
    const result = await ensureCorporationMembers(t.db.fork(), esiFor(fake), tokens, silent);
    expect(result).toMatchObject({
      corporations: 3,
      skipped: 2,
      usersCreated: 1,
      usersMoved: 0,
      transientFailures: 0,
    });
    expect(await t.db.fork().findOne(User, { characterId: BOB })).toMatchObject({
      characterName: 'Bob',
      corporationId: ALPHA,
      clearanceLevel: 0,
    });
    expect(await t.db.fork().findOne(User, { characterId: DAVE })).toBeNull();
    expect(await t.db.fork().findOne(User, { characterId: ERIN })).toMatchObject({ refreshTokenValid: true });
    expect(
      fake.requests
        .filter((r) => r.route === '/corporations/{corporation_id}/members/')
        .map((r) => r.status)
        .sort(),
    ).toEqual([200, 403]);
    // New members are named in ESI's bulk calls, not one GET /characters/{id}/ each.
    expect(fake.counts().byRoute).toMatchObject({ '/characters/affiliation/': 1, '/universe/names/': 1 });
    expect(fake.counts().byRoute['/characters/{character_id}/']).toBeUndefined();
  });

  it('skips every corporation without SSO, and counts an SSO outage as transient without invalidating', async () => {
    const em = t.db.fork();
    addCorporation(em, ALPHA, { ceoCharacterId: ALICE, tracked: true });
    await em.flush();
    const { userId } = await withToken(ALICE, ALPHA);
    expect(await ensureCorporationMembers(t.db.fork(), esiFor(fake), null, silent)).toMatchObject({
      skipped: 1,
      usersCreated: 0,
    });
    sso.failNext(1, 502);
    const tokens = createAccessTokens({ sso: client, encryptionKey: KEY, logger: silent });
    expect(await ensureCorporationMembers(t.db.fork(), esiFor(fake), tokens, silent)).toMatchObject({
      skipped: 1,
      transientFailures: 1,
    });
    expect(await reload(userId)).toMatchObject({ refreshTokenValid: true });
    expect(await t.db.fork().findOne(User, { characterId: FRANK })).toBeNull();
  });
});

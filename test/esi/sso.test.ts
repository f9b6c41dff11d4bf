import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSsoClient, type SsoClientOptions } from '../../src/esi/sso.ts';
import {
  SsoError,
  SsoInvalidGrantError,
  SsoInvalidTokenError,
  SsoTransientError,
} from '../../src/esi/sso-errors.ts';
import { startFakeSso, type FakeSso } from '../fakes/sso/index.ts';
import { closedPortUrl } from './fixtures.ts';

const CALLBACK = 'http://127.0.0.1:1/auth/callback';
const ALICE = 90_000_001;
const SCOPES = ['publicData', 'esi-corporations.read_corporation_membership.v1'];

let sso: FakeSso;
beforeAll(async () => {
  sso = await startFakeSso({ callbackUrl: CALLBACK });
  sso.addCharacter({ id: ALICE, name: 'Alice Alpha', ownerHash: 'owner-alice' });
});
afterAll(() => sso.close());
beforeEach(() => sso.clearFaults());

const client = (overrides: Partial<SsoClientOptions> = {}) =>
  createSsoClient({
    loginBaseUrl: sso.url,
    clientId: sso.clientId,
    clientSecret: sso.clientSecret,
    callbackUrl: CALLBACK,
    ...overrides,
  });

describe('login', () => {
  it('builds the authorize URL, follows the redirect, exchanges the code and verifies the JWT', async () => {
    const eve = client();
    const url = new URL(eve.authorizeUrl('state-123', SCOPES));
    expect(url.pathname).toBe('/v2/oauth/authorize/');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      redirect_uri: CALLBACK,
      client_id: sso.clientId,
      scope: SCOPES.join(' '),
      state: 'state-123',
    });

    sso.loginAs(ALICE);
    const redirect = await fetch(url, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    const back = new URL(redirect.headers.get('location') ?? '');
    expect(back.origin + back.pathname).toBe(CALLBACK);
    expect(back.searchParams.get('state')).toBe('state-123');

    const tokens = await eve.exchangeCode(back.searchParams.get('code') ?? '');
    expect(tokens.tokenType).toBe('Bearer');
    expect(tokens.expiresAt.getTime()).toBeGreaterThan(Date.now());
    await expect(eve.verifyAccessToken(tokens.accessToken)).resolves.toEqual({
      characterId: ALICE,
      characterName: 'Alice Alpha',
      scopes: SCOPES,
      expiresAt: expect.any(Date),
      ownerHash: 'owner-alice',
    });
  });

  it('reads a single scope sent as a string, and no scope at all', async () => {
    const eve = client();
    await expect(
      eve.verifyAccessToken(await sso.mintAccessToken(ALICE, ['publicData'])),
    ).resolves.toMatchObject({
      scopes: ['publicData'],
    });
    await expect(eve.verifyAccessToken(await sso.mintAccessToken(ALICE))).resolves.toMatchObject({
      scopes: [],
    });
  });

  it('takes a token reply without a refresh token: EVE sends none when no scope was asked', async () => {
    const eve = client();
    const bare = await eve.exchangeCode(sso.mintCode(ALICE));
    expect(bare).toMatchObject({ refreshToken: null, tokenType: 'Bearer' });
    await expect(eve.verifyAccessToken(bare.accessToken)).resolves.toMatchObject({ scopes: [] });
    const scoped = await eve.exchangeCode(sso.mintCode(ALICE, SCOPES));
    expect(scoped.refreshToken).toEqual(expect.any(String));
  });

  it('accepts the bare issuer form EVE also uses', async () => {
    const bare = await startFakeSso({ issuer: 'login.eveonline.com' });
    try {
      const eve = createSsoClient({
        loginBaseUrl: bare.url,
        clientId: bare.clientId,
        clientSecret: 'x',
        callbackUrl: CALLBACK,
      });
      await expect(eve.verifyAccessToken(await bare.mintAccessToken(ALICE))).resolves.toMatchObject({
        characterId: ALICE,
      });
    } finally {
      await bare.close();
    }
  });

  it('a code works once', async () => {
    const eve = client();
    const code = sso.mintCode(ALICE, SCOPES);
    await eve.exchangeCode(code);
    await expect(eve.exchangeCode(code)).rejects.toBeInstanceOf(SsoInvalidGrantError);
  });
});

describe('refresh', () => {
  it('refreshes into a new valid access token', async () => {
    const eve = client();
    const first = await eve.exchangeCode(sso.mintCode(ALICE, SCOPES));
    const second = await eve.refresh(first.refreshToken!);
    expect(second.accessToken).not.toBe(first.accessToken);
    await expect(eve.verifyAccessToken(second.accessToken)).resolves.toMatchObject({
      characterId: ALICE,
      scopes: SCOPES,
    });
  });

  it('says invalid_grant for a revoked refresh token: the token is dead', async () => {
    const eve = client();
    const tokens = await eve.exchangeCode(sso.mintCode(ALICE, SCOPES));
    sso.revokeCharacter(ALICE);
    const error = await eve.refresh(tokens.refreshToken!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SsoInvalidGrantError);
    expect(error).toMatchObject({ code: 'invalid_grant', status: 400, transient: false });
  });

  it('says transient for a 5xx, a timeout or a network error: the token is kept', async () => {
    const eve = client({ timeoutMs: 100 });
    sso.failNext(1, 503);
    await expect(eve.refresh('any')).rejects.toMatchObject({
      name: 'SsoTransientError',
      status: 503,
      transient: true,
    });
    sso.delayNext(1, 1_000);
    await expect(eve.refresh('any')).rejects.toBeInstanceOf(SsoTransientError);
    const offline = client({ loginBaseUrl: await closedPortUrl() });
    const error = await offline.refresh('any').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SsoTransientError);
    expect(error).not.toBeInstanceOf(SsoInvalidGrantError);
  });

  it('reports a wrong client secret as a permanent error that is not invalid_grant', async () => {
    const error = await client({ clientSecret: 'wrong' })
      .exchangeCode(sso.mintCode(ALICE))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SsoError);
    expect(error).not.toBeInstanceOf(SsoInvalidGrantError);
    expect(error).toMatchObject({ code: 'invalid_client', status: 401, transient: false });
  });
});

describe('access token verification refuses', () => {
  const cases = [
    ['a token signed with another key', 'foreign-key', 'signature'],
    ['an expired token', 'expired', 'expired'],
    ['a token from another issuer', 'wrong-issuer', 'issuer'],
    ['a token for another application', 'wrong-audience', 'audience'],
    ['a subject that is not a character', 'bad-subject', 'subject'],
  ] as const;
  for (const [what, kind, reason] of cases) {
    it(what, async () => {
      const error = await client()
        .verifyAccessToken(await sso.forgeAccessToken(kind, ALICE))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SsoInvalidTokenError);
      expect(error).toMatchObject({ reason, transient: false });
    });
  }

  it('something that is not a JWT', async () => {
    await expect(client().verifyAccessToken('not-a-jwt')).rejects.toMatchObject({ reason: 'malformed' });
  });

  it('nothing when the JWKS cannot be read: that is transient', async () => {
    const eve = client({ jwksUrl: `${await closedPortUrl()}/oauth/jwks` });
    await expect(eve.verifyAccessToken(await sso.mintAccessToken(ALICE))).rejects.toBeInstanceOf(
      SsoTransientError,
    );
  });
});

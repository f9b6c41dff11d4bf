import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSession,
  csrfTokenMatches,
  csrfTokenOf,
  endSession,
  resolveSession,
} from '../../../src/services/auth/sessions.ts';
import { ApiToken, BrowserSession, User } from '../../../src/store/entities/index.ts';
import { startTestApi, type TestApi } from '../../support/api.ts';
import { addCorporation } from '../../support/rows.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
  const em = api.t.db.fork();
  addCorporation(em, 4242, { name: 'Allowed Corp', ticker: 'ALLOW', authorizedToLogin: true });
  await em.flush();
});
afterAll(async () => api?.stop());

const em = () => api.t.db.fork();

/** A pilot who logged in through EVE SSO (so their credentials follow the login cascade), with a session. */
async function pilotWithSession(ttlSeconds = 3600) {
  const pilot = await api.user({ corporationId: 4242 });
  await em().nativeUpdate(User, { id: pilot.id }, { lastLoginAt: new Date() });
  const fork = em();
  const session = createSession(fork, { userId: pilot.id, ttlSeconds });
  await fork.flush();
  return { ...pilot, session };
}

describe('browser sessions', () => {
  it('stores only the hash of a random secret, and resolves it to its user until it expires', async () => {
    const { id, session } = await pilotWithSession(600);
    expect(session.secret).toMatch(/^rss_[\w-]{43}$/);
    const row = await em().findOneOrFail(BrowserSession, { id: session.id });
    expect(JSON.stringify(row)).not.toContain(session.secret);
    const check = await resolveSession(em(), session.secret);
    expect(check).toMatchObject({ ok: true, user: { id } });
    expect(await resolveSession(em(), session.secret, new Date(Date.now() + 601_000))).toEqual({
      ok: false,
      reason: 'session expired',
    });
    expect(await resolveSession(em(), 'rss_nope')).toEqual({ ok: false, reason: 'unknown session' });
    expect(await resolveSession(em(), 'rst_not-a-session')).toEqual({
      ok: false,
      reason: 'malformed session',
    });
  });

  it('derives a per-session CSRF token that is checked in constant time and never shows the secret', async () => {
    const a = await pilotWithSession();
    const b = await pilotWithSession();
    const token = csrfTokenOf(a.session.secret);
    expect(token).not.toContain(a.session.secret);
    expect(csrfTokenMatches(a.session.secret, token)).toBe(true);
    expect(csrfTokenMatches(b.session.secret, token)).toBe(false);
    expect(csrfTokenMatches(a.session.secret, token.slice(1))).toBe(false);
    expect(csrfTokenMatches(a.session.secret, undefined)).toBe(false);
  });

  it('ends at log out, and `token revoke` ends it too (it is listed among the tokens)', async () => {
    const first = await pilotWithSession();
    expect(await endSession(em(), first.session.secret)).toBe(first.session.id);
    expect(await resolveSession(em(), first.session.secret)).toEqual({ ok: false, reason: 'session ended' });

    const second = await pilotWithSession();
    const listed = await api.client(second.token).token.list.query();
    expect(listed).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: second.session.id, kind: 'session' })]),
    );
    // Someone else's session is not found.
    const other = await api.user();
    await expect(
      api.client(other.token).token.revoke.mutate({ id: second.session.id }),
    ).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    await api.client(second.token).token.revoke.mutate({ id: second.session.id });
    expect(await resolveSession(em(), second.session.secret)).toEqual({ ok: false, reason: 'session ended' });
  });

  it('a user whose login becomes denied loses every session and API token at once', async () => {
    const pilot = await pilotWithSession();
    const admin = await api.user({ clearanceLevel: 9 });
    await expect(api.client(pilot.token).token.list.query()).resolves.toBeDefined();
    await em().nativeUpdate(User, { id: pilot.id }, { authorizedToLogin: false });
    // The first use of either credential revokes both.
    expect(await resolveSession(em(), pilot.session.secret)).toEqual({
      ok: false,
      reason: 'login no longer allowed: denied by user',
    });
    expect(await em().count(ApiToken, { userId: pilot.id, revokedAt: null })).toBe(0);
    await expect(api.client(pilot.token).token.list.query()).rejects.toMatchObject({
      data: { code: 'UNAUTHORIZED' },
    });
    // Allowing the login again does not revive them: the pilot logs in again.
    await em().nativeUpdate(User, { id: pilot.id }, { authorizedToLogin: null });
    expect(await resolveSession(em(), pilot.session.secret)).toEqual({ ok: false, reason: 'session ended' });
    // Others are untouched.
    await expect(api.client(admin.token).token.list.query()).resolves.toBeDefined();
  });

  it('a pilot who logged in and is no longer allowed anywhere loses them too; so does a deleted user', async () => {
    const moved = await pilotWithSession();
    await em().nativeUpdate(User, { id: moved.id }, { corporationId: 999 }); // nothing allows corp 999
    await expect(api.client(moved.token).token.list.query()).rejects.toMatchObject({
      message: expect.stringMatching(/login no longer allowed: not authorized/),
      data: { code: 'UNAUTHORIZED' },
    });
    expect(await em().count(BrowserSession, { userId: moved.id, revokedAt: null })).toBe(0);

    const gone = await pilotWithSession();
    const root = await api.user({ clearanceLevel: 10 });
    await api.client(root.token).user.delete.mutate({ id: gone.id });
    expect(await em().count(BrowserSession, { userId: gone.id })).toBe(0);
    expect(await resolveSession(em(), gone.session.secret)).toMatchObject({ ok: false });
  });
});

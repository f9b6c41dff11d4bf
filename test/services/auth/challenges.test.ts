import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { challengeHash, claimChallenge, issueChallenge } from '../../../src/services/auth/challenges.ts';
import { hashSecret } from '../../../src/services/auth/secrets.ts';
import { Challenge } from '../../../src/store/entities/index.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t?.dispose());

const now = new Date('2026-12-02T08:00:00Z');

async function issue(kind: Challenge['kind'], secret: string, ttlSeconds = 60) {
  const em = t.db.fork();
  const challenge = issueChallenge(
    em,
    { kind, secret, userId: null, target: null, data: { n: 1 }, ttlSeconds },
    now,
  );
  await em.flush();
  return challenge;
}

describe('single-use challenges', () => {
  it('stores only the hash, namespaced by kind (login states bare)', async () => {
    const link = await issue('discord-code', 'ABCD-EFGH');
    expect(link.secretHash).toBe(hashSecret('discord-code:ABCD-EFGH'));
    expect(link.expiresAt).toEqual(new Date(now.getTime() + 60_000));
    const state = await issue('sso-login', 'a-login-state');
    expect(state.secretHash).toBe(challengeHash('sso-login', 'a-login-state'));
    expect(state.secretHash).toBe(hashSecret('a-login-state'));
  });

  it('is claimed once, with its data; then it is used', async () => {
    await issue('discord-oauth', 'state-1');
    const first = await claimChallenge(t.db.fork(), 'discord-oauth', 'state-1', now);
    expect(first).toMatchObject({ ok: true, challenge: { data: { n: 1 } } });
    const row = await t.db
      .fork()
      .findOneOrFail(Challenge, { secretHash: challengeHash('discord-oauth', 'state-1') });
    expect(row.usedAt).toEqual(now);
    expect(await claimChallenge(t.db.fork(), 'discord-oauth', 'state-1', now)).toMatchObject({
      ok: false,
      reason: 'used',
    });
  });

  it('of concurrent claims, exactly one wins', async () => {
    await issue('discord-oauth', 'state-race');
    const claims = await Promise.all(
      Array.from({ length: 8 }, () => claimChallenge(t.db.fork(), 'discord-oauth', 'state-race', now)),
    );
    expect(claims.filter((c) => c.ok)).toHaveLength(1);
    expect(claims.filter((c) => !c.ok && c.reason === 'used')).toHaveLength(7);
  });

  it('refuses an expired one, an unknown secret, and a secret of another kind', async () => {
    await issue('teamspeak-nickname', 'roster-abcdefghij', 1);
    const later = new Date(now.getTime() + 1000);
    expect(await claimChallenge(t.db.fork(), 'teamspeak-nickname', 'roster-abcdefghij', later)).toMatchObject(
      {
        ok: false,
        reason: 'expired',
      },
    );
    expect(await claimChallenge(t.db.fork(), 'discord-code', 'roster-abcdefghij', now)).toEqual({
      ok: false,
      reason: 'unknown',
    });
    expect(await claimChallenge(t.db.fork(), 'sso-login', 'never-issued', now)).toEqual({
      ok: false,
      reason: 'unknown',
    });
  });
});

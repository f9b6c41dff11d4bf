import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Challenge } from '../../src/store/entities/index.ts';
import { startTestApi, type TestApi } from '../support/api.ts';

describe('auth.loginUrl is public, so an address may start only so many logins a minute', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({
      config: {
        controlPlane: { maxLoginStartsPerMinute: 3 },
        sso: {
          loginBaseUrl: 'http://127.0.0.1:9',
          clientId: 'app',
          clientSecret: 'secret',
          callbackUrl: 'http://127.0.0.1:9/auth/callback',
        },
      },
    });
  });
  afterAll(async () => api?.stop());

  it('answers TOO_MANY_REQUESTS past the limit and writes no more states', async () => {
    const anonymous = api.client();
    for (let i = 0; i < 3; i++) expect((await anonymous.auth.loginUrl.mutate({})).url).toMatch(/state=/);
    await expect(anonymous.auth.loginUrl.mutate({})).rejects.toMatchObject({
      data: { code: 'TOO_MANY_REQUESTS' },
    });
    expect(await api.t.db.fork().count(Challenge, { kind: 'sso-login' })).toBe(3);
  });
});

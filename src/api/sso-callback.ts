/**
 * `GET /auth/callback?code&state`: where the EVE SSO sends the browser back. The answer is JSON:
 * 200 with the API token (shown once, never logged), or an error naming why the login was
 * refused. The query holds a one-time code and state: neither is logged.
 */
import type { SsoLogin } from '../services/auth/sso-login.ts';
import { sendJson, type HttpRoute } from './http.ts';

export const SSO_CALLBACK_PATH = '/auth/callback';

// The callback carries a one-use code in its URL: nothing of it goes to another site.
const noReferrer = { 'referrer-policy': 'no-referrer' };

/** The callback route; `login` null answers 503 (EVE SSO is not configured). */
export function ssoCallbackRoute(login: SsoLogin | null, path = SSO_CALLBACK_PATH): HttpRoute {
  return async (req, res, url) => {
    if (url.pathname !== path) return false;
    if (req.method !== 'GET') {
      sendJson(
        res,
        405,
        { error: 'method-not-allowed', message: 'GET only' },
        { ...noReferrer, allow: 'GET' },
      );
      return true;
    }
    if (!login) {
      sendJson(
        res,
        503,
        {
          error: 'not-configured',
          message: 'EVE SSO login is not configured (sso.clientId, sso.clientSecret, sso.callbackUrl)',
        },
        noReferrer,
      );
      return true;
    }
    const oauthError = url.searchParams.get('error');
    if (oauthError) {
      // The user cancelled at the SSO, or the SSO refused the request.
      sendJson(
        res,
        400,
        {
          error: 'sso-refused',
          message: `the EVE SSO answered "${oauthError.slice(0, 100)}"`,
        },
        noReferrer,
      );
      return true;
    }
    const outcome = await login.complete({
      code: url.searchParams.get('code') ?? '',
      state: url.searchParams.get('state') ?? '',
    });
    if (outcome.ok) {
      const { session: _session, ...login } = outcome.login;
      sendJson(res, 200, login, noReferrer);
    } else
      sendJson(
        res,
        outcome.status,
        outcome.refusal,
        outcome.status === 503 ? { ...noReferrer, 'retry-after': '30' } : noReferrer,
      );
    return true;
  };
}

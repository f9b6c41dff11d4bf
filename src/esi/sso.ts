/**
 * EVE SSO v2 (OAuth2 authorization code): the authorize URL, the code exchange, the refresh,
 * and the verification of the JWT access tokens against the SSO's JWKS.
 * No retries here: a code is single use, and the jobs that refresh tokens retry on their own
 * schedule; this client only tells them whether an error was transient.
 */
import { z } from 'zod';
import type { Logger } from 'pino';
import { SsoError, SsoInvalidGrantError, SsoTransientError } from './sso-errors.ts';
import { createAccessTokenVerifier, type VerifiedAccessToken } from './sso-verify.ts';

export interface SsoClientOptions {
  /** Default `https://login.eveonline.com`. */
  readonly loginBaseUrl?: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The redirect URI registered with the application on developers.eveonline.com. */
  readonly callbackUrl: string;
  /** Default `${loginBaseUrl}/oauth/jwks`. */
  readonly jwksUrl?: string;
  /** Accepted `iss` values. Default both forms EVE uses: `login.eveonline.com` and `https://login.eveonline.com`. */
  readonly issuer?: string | readonly string[];
  /** Values that must all be in `aud`. Default `['EVE Online', clientId]`. */
  readonly audience?: readonly string[];
  /** Default `Roster`; put contact info in it as for ESI. */
  readonly userAgent?: string;
  /** Per request (token endpoint, JWKS). Default 10 s. */
  readonly timeoutMs?: number;
  /** Leeway for `exp`/`nbf`. Default 5 s. */
  readonly clockToleranceSeconds?: number;
  readonly now?: () => number;
}

export interface SsoTokens {
  readonly accessToken: string;
  /**
   * Null when the SSO sent none: EVE returns a refresh token only when the authorization asked
   * for at least one valid scope, so a plain "who are you" login (no scope) has none.
   */
  readonly refreshToken: string | null;
  readonly expiresAt: Date;
  readonly tokenType: string;
}

export interface SsoClient {
  /** Where to send the browser; `state` must be random and checked on the callback. */
  authorizeUrl(state: string, scopes: readonly string[]): string;
  exchangeCode(code: string): Promise<SsoTokens>;
  refresh(refreshToken: string): Promise<SsoTokens>;
  /** Verifies signature, issuer, audience and expiry; throws `SsoInvalidTokenError` or `SsoTransientError`. */
  verifyAccessToken(accessToken: string): Promise<VerifiedAccessToken>;
}

const tokenReplySchema = z.object({
  access_token: z.string().min(1),
  // Absent when no scope was asked (EVE SSO docs, "Refreshing access tokens").
  refresh_token: z.string().min(1).optional(),
  expires_in: z.number().positive(),
  token_type: z.string().default('Bearer'),
});

const oauthErrorSchema = z.object({ error: z.string(), error_description: z.string().optional() });

export const EVE_SSO_ISSUERS = ['login.eveonline.com', 'https://login.eveonline.com'] as const;

export function createSsoClient(options: SsoClientOptions, logger?: Logger): SsoClient {
  for (const key of ['clientId', 'clientSecret', 'callbackUrl'] as const) {
    if (!options[key]) throw new TypeError(`sso: ${key} is required`);
  }
  const loginBaseUrl = (options.loginBaseUrl ?? 'https://login.eveonline.com').replace(/\/+$/, '');
  const tokenUrl = `${loginBaseUrl}/v2/oauth/token`;
  const userAgent = options.userAgent ?? 'Roster';
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? (() => Date.now());
  const issuer = options.issuer ?? EVE_SSO_ISSUERS;
  const basic = Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64');

  const verifyAccessToken = createAccessTokenVerifier({
    jwksUrl: options.jwksUrl ?? `${loginBaseUrl}/oauth/jwks`,
    issuer: typeof issuer === 'string' ? [issuer] : issuer,
    audience: options.audience ?? ['EVE Online', options.clientId],
    userAgent,
    timeoutMs,
    clockToleranceSeconds: options.clockToleranceSeconds ?? 5,
    now,
  });

  async function tokenRequest(grant: string, params: Record<string, string>): Promise<SsoTokens> {
    let status: number;
    let text: string;
    try {
      const response = await fetch(tokenUrl, {
        method: 'POST',
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          'user-agent': userAgent,
        },
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      logger?.warn({ grant, err: (error as Error).name }, 'sso:token-unreachable');
      throw new SsoTransientError(`token endpoint unreachable (${(error as Error).message})`, null, error);
    }
    if (status >= 500 || status === 429) {
      logger?.warn({ grant, status }, 'sso:token-unavailable');
      throw new SsoTransientError(`token endpoint answered HTTP ${status}`, status);
    }
    const body = safeJson(text);
    if (status < 200 || status >= 300) {
      const parsed = oauthErrorSchema.safeParse(body);
      const code = parsed.success ? parsed.data.error : 'unknown_error';
      logger?.info({ grant, status, code }, 'sso:token-refused');
      if (code === 'invalid_grant') throw new SsoInvalidGrantError(status, parsed.data?.error_description);
      throw new SsoError(`EVE SSO: token endpoint refused (HTTP ${status}, ${code})`, {
        code,
        status,
        transient: false,
      });
    }
    const parsed = tokenReplySchema.safeParse(body);
    if (!parsed.success) {
      // A 2xx we cannot read says nothing about the grant: never treat it as invalid_grant.
      // Name the fields, never their values (they are tokens).
      const fields = parsed.error.issues.map((i) => i.path.join('.') || '(body)').join(', ');
      logger?.warn({ grant, status, fields }, 'sso:token-reply-malformed');
      throw new SsoTransientError(`token endpoint reply is malformed (${fields})`, status);
    }
    return {
      accessToken: parsed.data.access_token,
      refreshToken: parsed.data.refresh_token ?? null,
      expiresAt: new Date(now() + parsed.data.expires_in * 1000),
      tokenType: parsed.data.token_type,
    };
  }

  return {
    authorizeUrl(state, scopes) {
      if (!state) throw new TypeError('sso: authorizeUrl needs a state');
      const url = new URL(`${loginBaseUrl}/v2/oauth/authorize/`);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('redirect_uri', options.callbackUrl);
      url.searchParams.set('client_id', options.clientId);
      if (scopes.length > 0) url.searchParams.set('scope', [...new Set(scopes)].join(' '));
      url.searchParams.set('state', state);
      return url.href;
    },
    exchangeCode: (code) => tokenRequest('authorization_code', { grant_type: 'authorization_code', code }),
    refresh: (refreshToken) =>
      tokenRequest('refresh_token', { grant_type: 'refresh_token', refresh_token: refreshToken }),
    verifyAccessToken,
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

import { randomBytes } from 'node:crypto';
import type { FakeGuild } from './guild.ts';
import { apiError, DiscordError, ok, type FakeRequest, type Reply, type Route } from './http.ts';

export interface OAuthOptions {
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** How long an authorization code stays valid (Discord: about 10 minutes). */
  readonly codeTtlMs?: number;
}

export interface IssueCodeInput {
  readonly userId: string;
  readonly redirectUri: string;
  readonly scopes?: readonly string[];
  readonly clientId?: string;
  readonly ttlMs?: number;
}

interface Grant {
  readonly userId: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
  used: boolean;
}

const oauthError = (status: number, error: string, description?: string): Reply => ({
  status,
  body: description ? { error, error_description: description } : { error },
});

/** Authorization codes and access tokens of Discord's OAuth2 authorization code flow. */
export class OAuthStore {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly #codeTtlMs: number;
  readonly #codes = new Map<string, Grant>();
  readonly #tokens = new Map<string, { userId: string; scopes: readonly string[] }>();
  /** The user who "clicks Authorize" when GET /oauth2/authorize is visited. */
  consentUserId: string | null = null;
  /** The scopes that user grants; null grants all those asked (a test can grant fewer). */
  consentScopes: readonly string[] | null = null;

  constructor(options: OAuthOptions = {}) {
    this.clientId = options.clientId ?? '100000000000000001';
    this.clientSecret = options.clientSecret ?? 'fake-client-secret';
    this.#codeTtlMs = options.codeTtlMs ?? 600_000;
  }

  issueCode(input: IssueCodeInput): string {
    const code = randomBytes(15).toString('base64url');
    this.#codes.set(code, {
      userId: input.userId,
      clientId: input.clientId ?? this.clientId,
      redirectUri: input.redirectUri,
      scopes: input.scopes ?? ['identify', 'guilds.join'],
      expiresAt: Date.now() + (input.ttlMs ?? this.#codeTtlMs),
      used: false,
    });
    return code;
  }

  /** Mints an access token directly (for tests that skip the code exchange). */
  issueToken(userId: string, scopes: readonly string[] = ['identify', 'guilds.join']): string {
    const token = randomBytes(20).toString('base64url');
    this.#tokens.set(token, { userId, scopes });
    return token;
  }

  /** The user an access token belongs to, if it is valid and carries `scope`. */
  userFor(token: string, scope: string): string | null {
    const grant = this.#tokens.get(token);
    return grant && grant.scopes.includes(scope) ? grant.userId : null;
  }

  routes(guild: FakeGuild): Route[] {
    return [
      {
        method: 'POST',
        pattern: '/oauth2/token',
        bucket: 'route',
        auth: 'none',
        handler: (r) => this.#exchange(r),
      },
      {
        method: 'GET',
        pattern: '/oauth2/authorize',
        bucket: 'route',
        auth: 'none',
        handler: (r) => this.#authorize(r),
      },
      {
        method: 'GET',
        pattern: '/users/@me',
        bucket: 'route',
        auth: 'any',
        handler: (req) => {
          const userId =
            req.auth?.kind === 'bearer' ? this.userFor(req.auth.token, 'identify') : guild.botUserId;
          const user = userId ? guild.users.get(userId) : undefined;
          return user ? ok(user) : DiscordError.unauthorized();
        },
      },
    ];
  }

  #exchange(req: FakeRequest): Reply {
    const form = req.body instanceof URLSearchParams ? req.body : new URLSearchParams();
    let clientId = form.get('client_id');
    let clientSecret = form.get('client_secret');
    const basic = /^Basic (.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    if (basic) [clientId = null, clientSecret = null] = Buffer.from(basic, 'base64').toString().split(':');
    if (clientId !== this.clientId || clientSecret !== this.clientSecret)
      return oauthError(401, 'invalid_client');
    if (form.get('grant_type') !== 'authorization_code') return oauthError(400, 'unsupported_grant_type');
    const code = form.get('code') ?? '';
    const grant = this.#codes.get(code);
    const valid =
      grant &&
      !grant.used &&
      grant.expiresAt > Date.now() &&
      grant.clientId === clientId &&
      grant.redirectUri === form.get('redirect_uri');
    if (grant) grant.used = true;
    if (!grant || !valid) return oauthError(400, 'invalid_grant', 'Invalid "code" in request.');
    const accessToken = this.issueToken(grant.userId, grant.scopes);
    return ok({
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: 604_800,
      refresh_token: randomBytes(20).toString('base64url'),
      scope: grant.scopes.join(' '),
    });
  }

  /** Simulates the consent screen: redirects to `redirect_uri` with a code for `consentUserId`. */
  #authorize(req: FakeRequest): Reply {
    const redirectUri = req.query.get('redirect_uri');
    if (
      req.query.get('client_id') !== this.clientId ||
      !redirectUri ||
      req.query.get('response_type') !== 'code'
    ) {
      return apiError(400, 50035, 'Invalid OAuth2 request');
    }
    const target = new URL(redirectUri);
    if (!this.consentUserId) {
      target.searchParams.set('error', 'access_denied');
    } else {
      const asked = (req.query.get('scope') ?? '').split(/[ +]/).filter(Boolean);
      const scopes = this.consentScopes ? asked.filter((s) => this.consentScopes!.includes(s)) : asked;
      target.searchParams.set('code', this.issueCode({ userId: this.consentUserId, redirectUri, scopes }));
    }
    const state = req.query.get('state');
    if (state !== null) target.searchParams.set('state', state);
    return { status: 302, headers: { Location: target.toString() } };
  }
}

import {
  DiscordAPIError,
  RequestMethod,
  Routes,
  type APIUser,
  type RESTPostOAuth2AccessTokenResult,
  type RESTPutAPIGuildMemberJSONBody,
} from 'discord.js';
import { PlatformRefusedError } from '../../domain/errors.ts';
import type { DiscordRest } from './rest-client.ts';

/** Scopes the link flow asks for: who the user is, and the right to add them to the guild. */
export const LINK_SCOPES = ['identify', 'guilds.join'] as const;

export interface AuthorizeUrlInput {
  readonly clientId: string;
  readonly redirectUri: string;
  /** Random, single-use value the callback checks. */
  readonly state: string;
  readonly scopes?: readonly string[];
}

export interface ExchangeCodeInput {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  readonly code: string;
}

export interface DiscordOAuthTokens {
  readonly accessToken: string;
  readonly tokenType: string;
  readonly expiresIn: number;
  readonly refreshToken: string;
  readonly scopes: readonly string[];
}

export interface DiscordUser {
  readonly id: string;
  readonly username: string;
  readonly globalName: string | null;
}

/** `added`: Discord answered 201; `alreadyMember`: 204, nothing changed (roles come with the next run). */
export type AddGuildMemberResult = 'added' | 'alreadyMember';

/**
 * Discord's 4xx answers become the application's PlatformRefusedError (Discord's code and status,
 * without the request body, which holds secrets); 5xx and network errors stay as they are.
 */
async function oauthCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof DiscordAPIError && error.status < 500) {
      throw new PlatformRefusedError(`Discord OAuth2: ${error.message}`, {
        code: error.code,
        status: error.status,
      });
    }
    throw error;
  }
}

/** The consent-screen URL (`{apiBaseUrl}/v10/oauth2/authorize`, as discord-api-types' OAuth2Routes). */
export function authorizeUrl(apiBaseUrl: string, input: AuthorizeUrlInput): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: input.clientId,
    scope: (input.scopes ?? LINK_SCOPES).join(' '),
    redirect_uri: input.redirectUri,
    state: input.state,
    prompt: 'consent',
  });
  return `${apiBaseUrl.replace(/\/+$/, '')}/v10/oauth2/authorize?${query}`;
}

/** POST /oauth2/token (authorization_code). Not retried: a code is single-use. */
export async function exchangeCode(api: DiscordRest, input: ExchangeCodeInput): Promise<DiscordOAuthTokens> {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: input.code,
    redirect_uri: input.redirectUri,
    client_id: input.clientId,
    client_secret: input.clientSecret,
  }).toString();
  const result = (await oauthCall(() =>
    api.restOnce.post(Routes.oauth2TokenExchange(), {
      auth: false,
      passThroughBody: true,
      body,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    }),
  )) as RESTPostOAuth2AccessTokenResult;
  return {
    accessToken: result.access_token,
    tokenType: result.token_type,
    expiresIn: result.expires_in,
    refreshToken: result.refresh_token,
    scopes: result.scope.split(' ').filter(Boolean),
  };
}

/** GET /users/@me with the user's bearer token. */
export async function fetchCurrentUser(api: DiscordRest, accessToken: string): Promise<DiscordUser> {
  const user = (await oauthCall(() =>
    api.withBackoff(() =>
      api.rest.get(Routes.user(), { auth: false, headers: { Authorization: `Bearer ${accessToken}` } }),
    ),
  )) as APIUser;
  return { id: user.id, username: user.username, globalName: user.global_name };
}

export interface AddGuildMemberInput {
  readonly guildId: string;
  readonly userId: string;
  readonly accessToken: string;
  readonly roles: readonly string[];
  readonly nick?: string | null;
  readonly reason?: string;
}

/** PUT /guilds/{guild}/members/{user} with the user's token (scope guilds.join), roles and nickname in one call. */
export async function addGuildMember(
  api: DiscordRest,
  input: AddGuildMemberInput,
): Promise<AddGuildMemberResult> {
  const body: RESTPutAPIGuildMemberJSONBody = { access_token: input.accessToken, roles: [...input.roles] };
  if (input.nick) body.nick = input.nick;
  const route = Routes.guildMember(input.guildId, input.userId);
  const res = await oauthCall(() =>
    api.withBackoff(() =>
      api.rest.queueRequest({
        fullRoute: route,
        method: RequestMethod.Put,
        body,
        ...(input.reason ? { reason: input.reason } : {}),
      }),
    ),
  );
  await res.arrayBuffer(); // the member (201) or nothing (204); read so the connection is freed
  return res.status === 201 ? 'added' : 'alreadyMember';
}

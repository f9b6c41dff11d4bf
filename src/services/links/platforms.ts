/**
 * What the link flows need from the platforms, as plain functions: the daemon implements them
 * with the adapters (src/app.ts), tests with fakes. Services and the control plane never import
 * an adapter.
 */

export interface TeamspeakClientMatch {
  readonly clientDbId: string;
  readonly uniqueId: string;
  readonly nickname: string;
}

export interface TeamspeakLinkPlatform {
  /**
   * The target's online voice clients with their ids (one `clientlist -uid`): a link nickname is
   * looked for among them (only its hash is stored), one listing for every pending link.
   */
  listTeamspeakClients(target: string): Promise<TeamspeakClientMatch[]>;
  /**
   * Clients the target knows (online or not) by unique id or database id, for links an admin
   * records; unknown ones are absent.
   */
  findKnownTeamspeakClients(
    target: string,
    query: { readonly uniqueIds: readonly string[]; readonly clientDbIds: readonly string[] },
  ): Promise<TeamspeakClientMatch[]>;
}

export interface DiscordAddMemberInput {
  readonly userId: string;
  readonly accessToken: string;
  readonly roles: readonly string[];
  readonly nick: string | null;
}

export interface DiscordLinkPlatform {
  /** The OAuth2 consent URL (scopes `identify guilds.join`) of the target's application. */
  discordAuthorizeUrl(target: string, input: { redirectUri: string; state: string }): string;
  /** Exchanges a single-use authorization code; throws PlatformRefusedError when Discord refuses it. */
  discordExchangeCode(
    target: string,
    input: { code: string; redirectUri: string },
  ): Promise<{ accessToken: string; scopes: readonly string[] }>;
  /** `GET /users/@me` with the user's token. */
  discordCurrentUser(target: string, accessToken: string): Promise<{ id: string; username: string }>;
  /** `PUT /guilds/{guild}/members/{user}`: roles and nickname in one call; `alreadyMember` changes nothing. */
  discordAddMember(target: string, input: DiscordAddMemberInput): Promise<'added' | 'alreadyMember'>;
}

export interface LinkPlatformFunctions extends TeamspeakLinkPlatform, DiscordLinkPlatform {}

/** The platform answered and said no (a bad, expired or reused OAuth2 code; a revoked token). */
export class PlatformRefusedError extends Error {
  override readonly name = 'PlatformRefusedError';
}

/**
 * What the link flows and the import need from a platform, as ports the adapters implement
 * themselves (src/sync/teamspeak, src/sync/discord): the use cases never import an adapter, the
 * adapters never import a use case, and both see these types here. Pure: no I/O.
 */

export interface TeamspeakClientMatch {
  readonly clientDbId: string;
  readonly uniqueId: string;
  readonly nickname: string;
}

/** One TeamSpeak target, as the link flows ask it. */
export interface TeamspeakLinkPort {
  /**
   * The target's online voice clients with their ids (one `clientlist -uid`): a link nickname is
   * looked for among them (only its hash is stored), one listing for every pending link.
   */
  listOnlineClients(): Promise<TeamspeakClientMatch[]>;
  /**
   * Clients the target knows (online or not) by unique id or database id, for links an admin
   * records; unknown ones are absent.
   */
  findKnownClients(query: {
    readonly uniqueIds: readonly string[];
    readonly clientDbIds: readonly string[];
  }): Promise<TeamspeakClientMatch[]>;
}

/** What an import asks a TeamSpeak target over a connection of its own (see openImportTeamspeakLookup). */
export interface ImportTeamspeakLookup {
  readonly target: string;
  /** Every client with custom property `ident` set, with its value (one call). */
  clientsByCustomProperty(ident: string): Promise<readonly { clientDbId: string; value: string }[]>;
  /** Clients the target knows by database id or unique id; unknown ones are absent. */
  knownClients(query: {
    readonly uniqueIds: readonly string[];
    readonly clientDbIds: readonly string[];
  }): Promise<readonly { clientDbId: string; uniqueId: string }[]>;
}

export interface DiscordAddMemberInput {
  readonly userId: string;
  readonly accessToken: string;
  readonly roles: readonly string[];
  readonly nick: string | null;
}

/**
 * One Discord guild's OAuth2 link steps. The calls to Discord throw PlatformRefusedError
 * (domain/errors.ts) when Discord refuses (a bad, expired or reused code; a revoked token).
 */
export interface DiscordOAuthPort {
  /** The OAuth2 consent URL (scopes `identify guilds.join`) of the target's application. */
  authorizeUrl(input: { readonly redirectUri: string; readonly state: string }): string;
  /** Exchanges a single-use authorization code (never retried). */
  exchangeCode(input: {
    readonly code: string;
    readonly redirectUri: string;
  }): Promise<{ readonly accessToken: string; readonly scopes: readonly string[] }>;
  /** `GET /users/@me` with the user's token. */
  fetchCurrentUser(accessToken: string): Promise<{ readonly id: string; readonly username: string }>;
  /** `PUT /guilds/{guild}/members/{user}`: roles and nickname in one call; `alreadyMember` changes nothing. */
  addGuildMember(input: DiscordAddMemberInput): Promise<'added' | 'alreadyMember'>;
}

/** The TeamSpeak link port of a target, by its configured name. */
export interface TeamspeakLinkPorts {
  /** Throws when no TeamSpeak target of that name is configured. */
  teamspeak(target: string): TeamspeakLinkPort;
}

/** The Discord OAuth2 port of a target, by its configured name. */
export interface DiscordOAuthPorts {
  /** Throws when no Discord target of that name is configured. */
  discord(target: string): DiscordOAuthPort;
}

export interface LinkPorts extends TeamspeakLinkPorts, DiscordOAuthPorts {}

/**
 * The lookup of the configured targets' ports by name (the daemon passes its adapters, tests
 * theirs): the one place an unknown target name is refused.
 */
export function linkPorts(targets: {
  readonly teamspeak: readonly (TeamspeakLinkPort & { readonly name: string })[];
  readonly discord: readonly (DiscordOAuthPort & { readonly name: string })[];
}): LinkPorts {
  const named =
    <T extends { readonly name: string }>(platform: string, configured: readonly T[]) =>
    (name: string): T => {
      const port = configured.find((t) => t.name === name);
      if (!port) throw new Error(`no ${platform} target named "${name}" is configured`);
      return port;
    };
  return { teamspeak: named('TeamSpeak', targets.teamspeak), discord: named('Discord', targets.discord) };
}

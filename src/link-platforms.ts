import type { LinkPlatformFunctions } from './services/links/platforms.ts';
import { PlatformRefusedError } from './services/links/platforms.ts';
import { DiscordOAuthError, type DiscordTarget } from './sync/discord/index.ts';
import type { ConfiguredTargets } from './sync/targets.ts';

/** The link flows' view of the adapters (wiring only: api/ and services/ never import an adapter). */
export function createLinkPlatforms(configured: ConfiguredTargets): LinkPlatformFunctions {
  const teamspeak = (name: string) => {
    const target = configured.teamspeak.find((t) => t.name === name);
    if (!target) throw new Error(`no TeamSpeak target named "${name}" is configured`);
    return target;
  };
  const discord = (name: string): DiscordTarget => {
    const target = configured.discord.find((t) => t.name === name);
    if (!target) throw new Error(`no Discord target named "${name}" is configured`);
    return target;
  };
  /** Discord's 4xx answers to an OAuth2 step become PlatformRefusedError (its message holds no secret). */
  const refusals = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      if (error instanceof DiscordOAuthError) throw new PlatformRefusedError(error.message, { cause: error });
      throw error;
    }
  };
  return {
    listTeamspeakClients: (target) => teamspeak(target).listOnlineClientIds(),
    findKnownTeamspeakClients: (target, query) => teamspeak(target).findKnownClients(query),
    discordAuthorizeUrl: (target, input) => discord(target).authorizeUrl(input),
    discordExchangeCode: (target, input) => refusals(() => discord(target).exchangeCode(input)),
    discordCurrentUser: (target, accessToken) =>
      refusals(() => discord(target).fetchCurrentUser(accessToken)),
    discordAddMember: (target, input) =>
      refusals(() =>
        discord(target).addGuildMember(input.userId, input.accessToken, input.roles, input.nick),
      ),
  };
}

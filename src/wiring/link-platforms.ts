import type { TeamspeakTargetConfig } from '../config/schema.ts';
import type { ImportTeamspeakLookup } from '../services/import-teamspeak.ts';
import type { LinkPlatformFunctions } from '../services/links/platforms.ts';
import { PlatformRefusedError } from '../services/links/platforms.ts';
import { DiscordOAuthError, type DiscordTarget } from '../sync/discord/index.ts';
import { createTeamspeakTarget } from '../sync/teamspeak/index.ts';
import type { ConfiguredTargets } from '../sync/targets.ts';

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

/** The TeamSpeak target could not be reached for an import: nothing was written. */
export class TeamspeakUnreachableError extends Error {
  override readonly name = 'TeamspeakUnreachableError';
}

/**
 * A connection of its own to a configured TeamSpeak target, for `rosterctl import` (which runs
 * beside the daemon, or without it): a query client named `<nickname> import`, so it never takes
 * the daemon's nickname, with the same flood budget. Close it when done.
 */
export async function openImportTeamspeakLookup(
  config: TeamspeakTargetConfig,
): Promise<ImportTeamspeakLookup & { close(): Promise<void> }> {
  const target = createTeamspeakTarget({
    ...config,
    nickname: `${config.nickname ?? 'Roster'} import`.slice(0, 30),
    permissionCheckMs: 0,
  });
  await target.start();
  if (!target.status().connected) {
    const why = target.status().lastError ?? 'no answer';
    await target.stop();
    throw new TeamspeakUnreachableError(
      `TeamSpeak target "${config.name}" could not be reached to resolve the imported TeamSpeak identities: ${why}`,
    );
  }
  return {
    target: config.name,
    clientsByCustomProperty: (ident) => target.findClientsByCustomProperty(ident),
    knownClients: (query) => target.findKnownClients(query),
    close: () => target.stop(),
  };
}

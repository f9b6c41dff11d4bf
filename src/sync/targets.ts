import type { Config } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import { createDiscordTarget, type DiscordTarget } from './discord/index.ts';
import { createTeamspeakTarget, type TeamspeakTarget } from './teamspeak/index.ts';

export interface ConfiguredTargets {
  readonly teamspeak: TeamspeakTarget[];
  readonly discord: DiscordTarget[];
}

/** One adapter per configured target; none when a platform has no targets (disabled). */
export function createTargets(config: Config, logger: Logger): ConfiguredTargets {
  return {
    teamspeak: config.teamspeak.targets.map((t) =>
      createTeamspeakTarget(t, logger.child({ platform: 'teamspeak', target: t.name })),
    ),
    discord: config.discord.targets.map((t) =>
      createDiscordTarget(t, logger.child({ platform: 'discord', target: t.name })),
    ),
  };
}

/** The Discord target: one guild, driven through discord.js's REST client. */
export { createDiscordTarget, DiscordTarget, type WithClient } from './discord-target.ts';
export type { DiscordRole } from './guild-roles.ts';
export { discordTargetDefaults, type DiscordTargetOptions } from './options.ts';
export type { RateLimitStats } from './rest-client.ts';
export type { GuildSnapshot, MemberState, RoleInfo } from './guild-snapshot.ts';
export { SkipReason, planMemberEdits, type MemberEdit, type EditPlan } from './member-edits.ts';
export {
  LINK_SCOPES,
  type AddGuildMemberResult,
  type AuthorizeUrlInput,
  type DiscordOAuthTokens,
  type DiscordUser,
  type ExchangeCodeInput,
} from './oauth.ts';

/** The TeamSpeak platform target (ServerQuery through ts3-nodejs-library). */
export { TeamspeakTarget, createTeamspeakTarget } from './target.ts';
export { openImportTeamspeakLookup, TeamspeakUnreachableError } from './import-lookup.ts';
export {
  teamspeakDefaults,
  TEAMSPEAK_NAME_MAX_LENGTH,
  type TeamspeakTargetOptions,
  type ResolvedTeamspeakOptions,
} from './options.ts';
export type { TeamspeakEvents } from './connection.ts';
export { TeamspeakCommandError, TeamspeakConnectionError, QueryErrorId } from './errors.ts';
export { requiredPermissions, PERMISSION_CHECK_PERMISSION } from './permissions.ts';
export { pacedBudget } from './pacer.ts';

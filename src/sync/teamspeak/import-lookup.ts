import type { TeamspeakTargetConfig } from '../../config/schema.ts';
import type { ImportTeamspeakLookup } from '../../domain/link-ports.ts';
import { createTeamspeakTarget } from './target.ts';

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

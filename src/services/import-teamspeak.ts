/**
 * The TeamSpeak identities of an import, made into links: the source knows a user by what it
 * stored (Alliance Auth: the `sso_uid` custom property its privilege key set on the client; SNI:
 * the client database id), the target tells the rest (database id and unique id), in batches:
 * one `customsearch` for every Alliance Auth user, one piped `clientdbinfo` per 100 database ids.
 * Identities the target does not know are reported, never linked.
 */
import type { ImportTeamspeakLookup } from '../domain/link-ports.ts';
import type { ImportProblem, SourceUser } from './import.ts';

/** Alliance Auth's custom property: `tokencustomset ident=sso_uid value=<Teamspeak3User.uid>`. */
export const AA_TEAMSPEAK_IDENT = 'sso_uid';

export interface ResolvedTeamspeak {
  readonly target: string;
  /** Character id -> the client on the target. */
  readonly clients: ReadonlyMap<number, { readonly clientDbId: string; readonly uniqueId: string }>;
  /** Identities the target does not know (or knows twice), one problem each. */
  readonly problems: readonly ImportProblem[];
}

const describe = (u: SourceUser) => `character ${u.characterId} (${u.characterName})`;

/** Asks the target about every TeamSpeak identity of the import, in batches. */
export async function resolveTeamspeakIdentities(
  users: readonly SourceUser[],
  lookup: ImportTeamspeakLookup,
): Promise<ResolvedTeamspeak> {
  const wanted = users.filter((u) => u.teamspeak?.ssoUid || u.teamspeak?.clientDbId || u.teamspeak?.uniqueId);
  const problems: ImportProblem[] = [];
  const where = `TeamSpeak target "${lookup.target}"`;

  const dbIdOfSsoUid = new Map<string, string | null>(); // null: two clients carry it
  if (wanted.some((u) => u.teamspeak?.ssoUid)) {
    for (const c of await lookup.clientsByCustomProperty(AA_TEAMSPEAK_IDENT))
      dbIdOfSsoUid.set(c.value, dbIdOfSsoUid.has(c.value) ? null : c.clientDbId);
  }
  const dbIdOf = new Map<number, string>();
  for (const u of wanted) {
    const ts = u.teamspeak!;
    if (ts.clientDbId) dbIdOf.set(u.characterId, ts.clientDbId);
    else if (ts.ssoUid) {
      const found = dbIdOfSsoUid.get(ts.ssoUid);
      if (found) dbIdOf.set(u.characterId, found);
      else
        problems.push({
          record: describe(u),
          reason:
            found === null
              ? `two clients on ${where} carry ${AA_TEAMSPEAK_IDENT} "${ts.ssoUid}": not linked (link it with user linkTeamspeak)`
              : `${where} has no client with ${AA_TEAMSPEAK_IDENT} "${ts.ssoUid}" (the privilege key was never used, or the client was deleted): not linked`,
        });
    }
  }
  const byUid = wanted.filter(
    (u) => !dbIdOf.has(u.characterId) && u.teamspeak?.uniqueId && !u.teamspeak.ssoUid,
  );
  const known = await lookup.knownClients({
    clientDbIds: [...new Set(dbIdOf.values())],
    uniqueIds: byUid.map((u) => u.teamspeak!.uniqueId!),
  });
  const askedByUid = new Set(byUid);
  const knownByDbId = new Map(known.map((c) => [c.clientDbId, c]));
  const knownByUid = new Map(known.map((c) => [c.uniqueId, c]));

  const clients = new Map<number, { clientDbId: string; uniqueId: string }>();
  for (const u of wanted) {
    const dbId = dbIdOf.get(u.characterId);
    const client =
      dbId !== undefined
        ? knownByDbId.get(dbId)
        : u.teamspeak?.uniqueId
          ? knownByUid.get(u.teamspeak.uniqueId)
          : undefined;
    if (client) clients.set(u.characterId, { clientDbId: client.clientDbId, uniqueId: client.uniqueId });
    else if (dbId !== undefined || askedByUid.has(u))
      problems.push({
        record: describe(u),
        reason: `${where} knows no client ${dbId !== undefined ? `with database id ${dbId}` : u.teamspeak!.uniqueId}: not linked`,
      });
  }
  return { target: lookup.target, clients, problems };
}

/**
 * Adding users by character id or exact name, one or ten thousand at a time: EVE is asked in
 * bulk (see DirectoryEsi.resolveCharacters), the clearance rules decide whom the actor may add
 * (`user.add`, relative to the character's corporation), and every new user is written with its
 * audit entry in one transaction. Adding someone who is already a user changes nothing and says so.
 * New users rebuild the derived groups (their corporation's autogroups), then the targets sync.
 */
import type { EntityManager } from '@mikro-orm/core';
import {
  coalitionsOf,
  levelAfterOfficeChange,
  may,
  officeFloor,
  type Actor,
  type Affiliation,
} from '../domain/index.ts';
import { toCoalitionFacts } from '../store/directory.ts';
import { Alliance, Coalition, Corporation, User } from '../store/entities/index.ts';
import { RuleViolationError } from '../domain/errors.ts';
import { newAlliance, newCorporation, newUser } from '../store/records.ts';
import type { DirectoryEsi, ResolvedCharacter } from './directory-esi.ts';
import { writeChange, type UseCaseContext } from './use-case.ts';

/** The most entries one call takes; rosterctl sends longer lists in parts of this size. */
export const MAX_ADD_ENTRIES = 1_000;

export interface AddedUser {
  readonly id: string;
  readonly characterId: number;
  readonly characterName: string;
  readonly corporationId: number | null;
}

export interface AddUsersReport {
  readonly created: AddedUser[];
  /** Already users: nothing was changed for them. */
  readonly unchanged: AddedUser[];
  /** Entries EVE does not know (an id that is no character, a name without an exact match). */
  readonly unknown: string[];
  /** Characters beyond the actor's reach (`user.add`). */
  readonly refused: { characterId: number; characterName: string; reason: string }[];
}

/** A character id (digits) or an exact character name; blank entries are an error of the caller. */
export function parseEntries(entries: readonly string[]): { ids: number[]; names: string[] } {
  const ids: number[] = [];
  const names: string[] = [];
  entries.forEach((raw, index) => {
    const entry = raw.trim();
    if (/^\d+$/.test(entry)) {
      const id = Number(entry);
      if (!Number.isSafeInteger(id) || id <= 0)
        throw new RuleViolationError(`entry ${index + 1} ("${entry}") is not a valid character id`);
      ids.push(id);
    } else if (entry.length >= 3 && entry.length <= 37) {
      names.push(entry);
    } else {
      throw new RuleViolationError(
        `entry ${index + 1} ("${entry.slice(0, 40)}") is neither a character id nor a character name (3 to 37 characters)`,
      );
    }
  });
  return { ids, names };
}

/**
 * Adds the characters `entries` name; `trigger` is what the rebuild after it is asked under
 * (`user.add` for one, `user.import` for a list). Every new user is audited as `user.add`.
 */
export async function addUsers(
  app: UseCaseContext,
  esi: DirectoryEsi,
  actor: Actor,
  entries: readonly string[],
  trigger: 'user.add' | 'user.import',
): Promise<AddUsersReport> {
  const em = app.db.fork();
  const { ids, names } = parseEntries(entries);
  const lookup = await esi.resolveCharacters({ ids, names });
  const found = [...new Map(lookup.characters.map((c) => [c.characterId, c])).values()];
  const existing = found.length
    ? await em.find(User, { characterId: { $in: found.map((c) => c.characterId) } })
    : [];
  const existingIds = new Set(existing.map((u) => u.characterId));
  const fresh = found.filter((c) => !existingIds.has(c.characterId));
  const unknown = [...lookup.unknownIds.map(String), ...lookup.unknownNames];

  const coalitions = (await em.find(Coalition, {})).map(toCoalitionFacts);
  const affiliationOf = (c: ResolvedCharacter): Affiliation => ({
    userId: null,
    corporationId: c.corporationId,
    allianceId: c.allianceId,
    coalitionIds: coalitionsOf(c.corporationId, c.allianceId, coalitions).map((x) => x.id),
  });
  const refused: AddUsersReport['refused'] = [];
  const allowed = fresh.filter((c) => {
    if (may(actor, 'user.add', { affiliation: affiliationOf(c) })) return true;
    refused.push({
      characterId: c.characterId,
      characterName: c.name,
      reason: `clearance ${actor.clearanceLevel} does not grant "user.add" over corporation ${c.corporationId}`,
    });
    return false;
  });

  const { corporations, alliances, ceoOf, allianceExists } = await missingRecords(em, esi, allowed);
  const executors = new Set(
    [
      ...(await em.find(Alliance, {}, { fields: ['executorCorporationId'] })).map(
        (a) => a.executorCorporationId,
      ),
      ...[...alliances.values()].map((a) => a.executorCorporationId),
    ].filter((id): id is number => id != null),
  );

  const created = await writeChange(app.db, app.author, async (tx, audit) => {
    for (const [allianceId, a] of alliances) newAlliance(tx, { allianceId, ...a });
    for (const [corporationId, c] of corporations)
      newCorporation(tx, {
        corporationId,
        ...c,
        // An alliance ESI could not describe is left out rather than pointed at without a record.
        allianceId: allianceExists(c.allianceId) ? c.allianceId : null,
      });
    const users = allowed.map((c) => {
      const isCeo = ceoOf.get(c.corporationId) === c.characterId;
      const user = newUser(tx, {
        characterId: c.characterId,
        characterName: c.name,
        corporationId: ceoOf.has(c.corporationId) ? c.corporationId : null,
        clearanceLevel: levelAfterOfficeChange(
          0,
          0,
          officeFloor(isCeo, isCeo && executors.has(c.corporationId)),
        ),
      });
      audit({
        action: 'user.add',
        subject: `user:${user.id}`,
        after: { characterId: c.characterId, characterName: c.name, corporationId: user.corporationId },
      });
      return user;
    });
    await tx.flush();
    return users;
  });
  if (created.length) await app.notifier.directoryChanged(trigger);
  const view = (u: User): AddedUser => ({
    id: u.id,
    characterId: u.characterId,
    characterName: u.characterName,
    corporationId: u.corporationId ?? null,
  });
  return { created: created.map(view), unchanged: existing.map(view), unknown, refused };
}

/** Fetches each id, a few at a time (ESI asks clients not to flood it). */
async function fetchAll<T>(ids: readonly number[], fetch: (id: number) => Promise<T | null>) {
  const found = new Map<number, T>();
  for (let i = 0; i < ids.length; i += 8) {
    const batch = ids.slice(i, i + 8);
    const facts = await Promise.all(batch.map(fetch));
    batch.forEach((id, k) => facts[k] && found.set(id, facts[k]));
  }
  return found;
}

/**
 * Corporations and alliances the new users need that the directory does not have yet, from ESI
 * (one call each: new users mostly join corporations Roster already knows).
 */
async function missingRecords(
  em: EntityManager,
  esi: DirectoryEsi,
  characters: readonly ResolvedCharacter[],
) {
  const corporationIds = [...new Set(characters.map((c) => c.corporationId))];
  const known = await em.find(
    Corporation,
    { corporationId: { $in: corporationIds } },
    { fields: ['corporationId', 'ceoCharacterId'] },
  );
  const knownIds = new Set(known.map((c) => c.corporationId));
  const corporations = await fetchAll(
    corporationIds.filter((id) => !knownIds.has(id)),
    (id) => esi.fetchCorporation(id),
  );
  const allianceIds = [
    ...new Set([...corporations.values()].map((c) => c.allianceId).filter((id): id is number => id !== null)),
  ];
  const knownAlliances = new Set(
    (allianceIds.length
      ? await em.find(Alliance, { allianceId: { $in: allianceIds } }, { fields: ['allianceId'] })
      : []
    ).map((a) => a.allianceId),
  );
  const alliances = await fetchAll(
    allianceIds.filter((id) => !knownAlliances.has(id)),
    (id) => esi.fetchAlliance(id),
  );
  const ceoOf = new Map<number, number | null>(known.map((c) => [c.corporationId, c.ceoCharacterId ?? null]));
  for (const [id, c] of corporations) ceoOf.set(id, c.ceoCharacterId);
  const allianceExists = (id: number | null) => id !== null && (knownAlliances.has(id) || alliances.has(id));
  return { corporations, alliances, ceoOf, allianceExists };
}

/**
 * Membership from ESI: the corporations of tracked alliances become (tracked) records, and the
 * members of tracked corporations become users when a director's token is at hand.
 */
import type { EntityManager } from '@mikro-orm/core';
import { GUEST, levelAfterOfficeChange, officeFloor } from '../domain/index.ts';
import type { Dated, EsiClient } from '../esi/client.ts';
import { EsiError } from '../esi/errors.ts';
import { SsoError } from '../esi/sso-errors.ts';
import type { EsiCorporation } from '../esi/schemas.ts';
import type { Logger } from '../logger.ts';
import { Alliance, Corporation, User } from '../store/entities/index.ts';
import { inTransaction } from '../store/transaction.ts';
import { NoRefreshTokenError, type AccessTokens } from './access-tokens.ts';
import type { ResolvedCharacter } from '../services/directory-esi.ts';
import { resolveCharacters } from './characters.ts';
import { addFailures, countFailure, fetchEach, noFailures, type FailureCounts } from './records.ts';
import { createCorporationRecord } from '../services/esi-records.ts';
import { newUser } from '../store/records.ts';

/** The scope `GET /corporations/{id}/members/` needs (and the Director role in game). */
export const MEMBERSHIP_SCOPE = 'esi-corporations.read_corporation_membership.v1';

export interface AllianceMembersResult extends FailureCounts {
  readonly alliances: number;
  readonly corporationsCreated: number;
  /** Known corporations that started being tracked, or whose alliance was corrected. */
  readonly corporationsUpdated: number;
  /**
   * Corporations an alliance's list still names though their own, more recent reply says they left
   * (the list was older, e.g. still in the local cache): left out of the alliance.
   */
  readonly corporationsLeft: number;
}

/** Which alliances to read (default: the tracked ones), and whether past the local ESI cache. */
export interface AllianceMembersOptions {
  readonly allianceIds?: readonly number[];
  readonly fresh?: boolean;
}

/** Of two ESI replies that disagree, the one ESI generated later is right; unknown dates lose. */
const newer = (a: Date | null, b: Date | null) => a !== null && (b === null || a.getTime() >= b.getTime());

/** What ESI answered about alliances' corporations, to be written by applyAllianceMembers. */
export interface FetchedAllianceMembers {
  /** Alliances whose corporation list ESI gave. */
  readonly alliances: number;
  /** The alliance each listed corporation is in, by the list, and when ESI generated the list. */
  readonly allianceOf: ReadonlyMap<number, { readonly allianceId: number; readonly listedAt: Date | null }>;
  /** Listed corporations' own replies: those without a record, and those the list disputes. */
  readonly corporations: ReadonlyMap<number, EsiCorporation & Dated>;
  readonly failures: FailureCounts;
}

const membersLog = (logger: Logger) => logger.child({ job: 'esi.alliance-members' });

/** Every corporation of a tracked alliance becomes a tracked record (so its CEO changes are seen). */
export async function ensureAllianceMembers(
  em: EntityManager,
  esi: EsiClient,
  logger: Logger,
  options: AllianceMembersOptions = {},
): Promise<AllianceMembersResult> {
  const fetched = await readAllianceMembers(em, esi, logger, options);
  return inTransaction(em, (tx) => applyAllianceMembers(tx, fetched, logger));
}

/**
 * Reads the alliances' corporation lists and the corporations' own replies that applying them
 * needs; writes nothing. Replies already read (`known`: an operator's refresh read them a moment
 * ago) are not asked again.
 */
export async function readAllianceMembers(
  em: EntityManager,
  esi: EsiClient,
  logger: Logger,
  options: AllianceMembersOptions = {},
  known: ReadonlyMap<number, EsiCorporation & Dated> = new Map(),
): Promise<FetchedAllianceMembers> {
  const log = membersLog(logger);
  const read = { fresh: options.fresh ?? false };
  const alliances = await em.find(
    Alliance,
    options.allianceIds ? { allianceId: { $in: [...options.allianceIds] } } : { tracked: true },
    { fields: ['id', 'allianceId'] },
  );
  const failures = noFailures();
  const membersOf = await fetchEach(
    alliances.map((a) => a.allianceId),
    (id) => esi.getAllianceCorporations(id, read),
    log,
    'alliance',
  );
  addFailures(failures, membersOf.failures);
  const allianceOf = new Map<number, { allianceId: number; listedAt: Date | null }>();
  for (const [allianceId, list] of membersOf.found)
    for (const id of list.corporationIds) allianceOf.set(id, { allianceId, listedAt: list.lastModified });
  const stored = allianceOf.size
    ? await em.find(Corporation, { corporationId: { $in: [...allianceOf.keys()] } })
    : [];
  const storedIds = new Set(stored.map((c) => c.corporationId));
  // New corporations are read to be created. A list that puts a known corporation in another
  // alliance than the directory has may be older than the corporation's own reply (each route is
  // cached for its own time): ask the corporation (usually from the local cache), and
  // applyAllianceMembers believes whichever ESI generated later.
  const wanted = [
    ...[...allianceOf.keys()].filter((id) => !storedIds.has(id)),
    ...stored
      .filter((c) => (c.allianceId ?? null) !== allianceOf.get(c.corporationId)!.allianceId)
      .map((c) => c.corporationId),
  ];
  const replies = await fetchEach(
    wanted.filter((id) => !known.has(id)),
    (id) => esi.getCorporation(id, read),
    log,
    'corporation',
  );
  addFailures(failures, replies.failures);
  for (const [id, reply] of known) if (allianceOf.has(id)) replies.found.set(id, reply);
  return { alliances: membersOf.found.size, allianceOf, corporations: replies.found, failures };
}

/** Writes what readAllianceMembers read, in the caller's transaction, over the records as they are now. */
export async function applyAllianceMembers(
  tx: EntityManager,
  fetched: FetchedAllianceMembers,
  logger: Logger,
): Promise<AllianceMembersResult> {
  const log = membersLog(logger);
  const { allianceOf } = fetched;
  const known = allianceOf.size
    ? await tx.find(Corporation, { corporationId: { $in: [...allianceOf.keys()] } })
    : [];
  let corporationsUpdated = 0;
  let corporationsLeft = 0;
  for (const corporation of known) {
    const { allianceId, listedAt } = allianceOf.get(corporation.corporationId)!;
    if (corporation.tracked && corporation.allianceId === allianceId) continue;
    if ((corporation.allianceId ?? null) !== allianceId) {
      const own = fetched.corporations.get(corporation.corporationId);
      // Unread: left as it is until the next refresh can tell.
      if (!own) continue;
      if (own.allianceId !== allianceId && newer(own.lastModified, listedAt)) {
        log.info(
          { corporationId: corporation.corporationId, listedIn: allianceId, allianceId: own.allianceId },
          'directory:alliance-list-older-than-corporation',
        );
        corporationsLeft += 1;
        continue;
      }
    }
    corporation.tracked = true;
    corporation.allianceId = allianceId;
    corporationsUpdated += 1;
  }
  const knownIds = new Set(known.map((c) => c.corporationId));
  let corporationsCreated = 0;
  for (const [corporationId, { allianceId }] of allianceOf) {
    const reply = fetched.corporations.get(corporationId);
    if (knownIds.has(corporationId) || !reply) continue;
    createCorporationRecord(tx, { ...reply, allianceId }, true);
    corporationsCreated += 1;
  }
  await tx.flush();
  const result = {
    alliances: fetched.alliances,
    corporationsCreated,
    corporationsUpdated,
    corporationsLeft,
    ...fetched.failures,
  };
  log.info(result, 'esi:alliance-members-ensured');
  return result;
}

export interface CorporationMembersResult extends FailureCounts {
  readonly corporations: number;
  /** Tracked corporations without a usable director token. */
  readonly skipped: number;
  readonly usersCreated: number;
  /** Known users that ESI now lists in this corporation. */
  readonly usersMoved: number;
}

/**
 * The members of each tracked corporation become users, read with the token of one of its
 * members who granted the membership scope (the CEO first). Without such a token the
 * corporation is skipped with a log line.
 */
export async function ensureCorporationMembers(
  em: EntityManager,
  esi: EsiClient,
  tokens: AccessTokens | null,
  logger: Logger,
): Promise<CorporationMembersResult> {
  const log = logger.child({ job: 'esi.corporation-members' });
  const corporations = await em.find(Corporation, { tracked: true });
  const alliances = await em.find(Alliance, {}, { fields: ['id', 'allianceId', 'executorCorporationId'] });
  const failures = noFailures();
  let skipped = 0;
  let usersCreated = 0;
  let usersMoved = 0;
  for (const corporation of corporations) {
    const corporationId = corporation.corporationId;
    const members = await readMembers(em, esi, tokens, corporation, log, failures);
    if (members === null) {
      skipped += 1;
      continue;
    }
    const existing = members.length ? await em.find(User, { characterId: { $in: members } }) : [];
    const existingIds = new Set(existing.map((u) => u.characterId));
    const moving = existing.filter((u) => u.clearanceLevel > GUEST && u.corporationId !== corporationId);
    const newMembers = members.filter((id) => !existingIds.has(id));
    let found: readonly ResolvedCharacter[] = [];
    try {
      // Names and current corporations in ESI's bulk calls: 1,000 new members cost 2 calls.
      const lookup = newMembers.length ? await resolveCharacters(esi, { ids: newMembers }) : null;
      found = lookup?.characters ?? [];
      failures.notFound += lookup?.unknownIds.length ?? 0;
    } catch (error) {
      countFailure(failures, error, log, { corporationId });
    }
    const isExecutorCeo = (characterId: number) =>
      characterId === corporation.ceoCharacterId &&
      alliances.some((a) => a.executorCorporationId === corporationId);
    await inTransaction(em, async (tx) => {
      for (const user of moving) {
        log.info(
          {
            userId: user.id,
            characterId: user.characterId,
            from: user.corporationId ?? null,
            to: corporationId,
          },
          'directory:user-moved',
        );
        user.corporationId = corporationId;
      }
      for (const character of found) {
        if (character.corporationId !== corporationId) continue; // left between the two calls
        const floor = officeFloor(
          character.characterId === corporation.ceoCharacterId,
          isExecutorCeo(character.characterId),
        );
        newUser(tx, {
          characterId: character.characterId,
          characterName: character.name,
          corporationId,
          clearanceLevel: levelAfterOfficeChange(0, 0, floor),
        });
        usersCreated += 1;
      }
      await tx.flush();
    });
    usersMoved += moving.length;
  }
  const result = { corporations: corporations.length, skipped, usersCreated, usersMoved, ...failures };
  log.info(result, 'esi:corporation-members-ensured');
  return result;
}

/** Member ids of one corporation, trying each candidate token; null when no token could read them. */
async function readMembers(
  em: EntityManager,
  esi: EsiClient,
  tokens: AccessTokens | null,
  corporation: Corporation,
  log: Logger,
  failures: FailureCounts,
): Promise<number[] | null> {
  const corporationId = corporation.corporationId;
  if (!tokens) {
    log.info(
      { corporationId },
      'directory:corporation-members-skipped (EVE SSO or sso.encryptionKey not configured)',
    );
    return null;
  }
  const candidates = (
    await em.find(User, { corporationId, refreshTokenValid: true, refreshToken: { $ne: null } })
  )
    .filter((u) => u.clearanceLevel > GUEST && u.esiScopes.includes(MEMBERSHIP_SCOPE))
    .sort(
      (a, b) =>
        Number(b.characterId === corporation.ceoCharacterId) -
          Number(a.characterId === corporation.ceoCharacterId) || b.clearanceLevel - a.clearanceLevel,
    );
  if (candidates.length === 0) {
    log.info(
      { corporationId },
      `directory:corporation-members-skipped (no member granted ${MEMBERSHIP_SCOPE})`,
    );
    return null;
  }
  for (const user of candidates) {
    try {
      return await tokens.withFreshAccessToken(em, user, (accessToken) =>
        esi.getCorporationMembers(corporationId, accessToken),
      );
    } catch (error) {
      if (error instanceof NoRefreshTokenError) continue;
      if (error instanceof SsoError) {
        if (error.transient) {
          failures.transientFailures += 1;
          log.warn({ corporationId, err: error.message }, 'sso:unavailable');
          return null;
        }
        continue; // invalid_grant (now marked) or another refusal: try the next member
      }
      if (error instanceof EsiError && (error.status === 401 || error.status === 403)) {
        log.info(
          { corporationId, userId: user.id, status: error.status },
          'directory:token-lacks-director-role',
        );
        continue;
      }
      countFailure(failures, error, log, { corporationId });
      return null;
    }
  }
  log.info({ corporationId }, 'directory:corporation-members-skipped (no token with the Director role)');
  return null;
}

/**
 * Refreshes every user's corporation (and, through it, alliance) from ESI's
 * `POST /characters/affiliation/`, 1,000 characters a call. Unknown corporations and alliances
 * become records. ESI is read first and the directory written after, in one transaction: a
 * failure while reading leaves every record as it was.
 */
import type { EntityManager } from '@mikro-orm/core';
import { GUEST } from '../domain/index.ts';
import type { EsiClient } from '../esi/client.ts';
import type { EsiAffiliation } from '../esi/schemas.ts';
import type { Logger } from '../logger.ts';
import { Alliance, Corporation, User } from '../store/entities/index.ts';
import { inTransaction } from '../store/transaction.ts';
import { addFailures, fetchEach, type FailureCounts } from './records.ts';
import { createAllianceRecord, createCorporationRecord } from '../services/esi-records.ts';

export interface AffiliationRefresh extends FailureCounts {
  /** Characters asked about. */
  readonly checked: number;
  /** Users whose corporation changed. */
  readonly moved: number;
  readonly corporationsCreated: number;
  readonly alliancesCreated: number;
  /** Known corporations whose alliance changed. */
  readonly corporationsUpdated: number;
  /** Guests are skipped: their corporation is the one that invited them, not their own. */
  readonly guestsSkipped: number;
}

export async function refreshAffiliations(
  em: EntityManager,
  esi: EsiClient,
  logger: Logger,
): Promise<AffiliationRefresh> {
  const log = logger.child({ job: 'esi.affiliations' });
  const users = await em.find(
    User,
    { characterId: { $gt: 0 } },
    { fields: ['id', 'characterId', 'corporationId', 'clearanceLevel'] },
  );
  const members = users.filter((u) => u.clearanceLevel > GUEST);
  const guestsSkipped = users.length - members.length;
  const failures: FailureCounts = { notFound: 0, transientFailures: 0, failed: 0 };
  if (members.length === 0) {
    return {
      checked: 0,
      moved: 0,
      corporationsCreated: 0,
      alliancesCreated: 0,
      corporationsUpdated: 0,
      guestsSkipped,
      ...failures,
    };
  }

  // Read everything from ESI first. A failing batch throws here, before anything is written.
  const affiliations = await esi.getAffiliations(members.map((u) => u.characterId));
  const byCharacter = new Map<number, EsiAffiliation>(affiliations.map((a) => [a.characterId, a]));
  const missing = members.filter((u) => !byCharacter.has(u.characterId)).map((u) => u.characterId);
  if (missing.length > 0) {
    failures.notFound += missing.length;
    log.info(
      { count: missing.length, characterIds: missing.slice(0, 50) },
      'esi:characters-not-found (kept, not deleted)',
    );
  }

  const corporationIds = [...new Set(affiliations.map((a) => a.corporationId))];
  const knownCorporations = await em.find(Corporation, { corporationId: { $in: corporationIds } });
  const knownCorporationIds = new Set(knownCorporations.map((c) => c.corporationId));
  const newCorporations = await fetchEach(
    corporationIds.filter((id) => !knownCorporationIds.has(id)),
    (id) => esi.getCorporation(id),
    log,
    'corporation',
  );
  addFailures(failures, newCorporations.failures);

  const allianceIds = new Set<number>();
  for (const a of affiliations) if (a.allianceId !== null) allianceIds.add(a.allianceId);
  for (const c of newCorporations.found.values()) if (c.allianceId !== null) allianceIds.add(c.allianceId);
  const knownAlliances = allianceIds.size
    ? await em.find(Alliance, { allianceId: { $in: [...allianceIds] } }, { fields: ['id', 'allianceId'] })
    : [];
  const knownAllianceIds = new Set(knownAlliances.map((a) => a.allianceId));
  const newAlliances = await fetchEach(
    [...allianceIds].filter((id) => !knownAllianceIds.has(id)),
    (id) => esi.getAlliance(id),
    log,
    'alliance',
  );
  addFailures(failures, newAlliances.failures);
  const allianceAvailable = (id: number | null) =>
    id === null || knownAllianceIds.has(id) || newAlliances.found.has(id);

  // Then write, in one transaction.
  return inTransaction(em, async (tx) => {
    let alliancesCreated = 0;
    for (const alliance of newAlliances.found.values()) {
      createAllianceRecord(tx, alliance, false);
      alliancesCreated += 1;
    }
    let corporationsCreated = 0;
    const corporationAvailable = new Set(knownCorporationIds);
    for (const corporation of newCorporations.found.values()) {
      // An alliance that could not be read is left out rather than pointed at without a record.
      createCorporationRecord(
        tx,
        allianceAvailable(corporation.allianceId) ? corporation : { ...corporation, allianceId: null },
        false,
      );
      corporationAvailable.add(corporation.corporationId);
      corporationsCreated += 1;
    }

    // A character's alliance is its corporation's: keep known corporations' alliances current.
    const allianceOfCorporation = new Map(affiliations.map((a) => [a.corporationId, a.allianceId]));
    const corporations = knownCorporations.length
      ? await tx.find(Corporation, { corporationId: { $in: [...knownCorporationIds] } })
      : [];
    let corporationsUpdated = 0;
    for (const corporation of corporations) {
      const allianceId = allianceOfCorporation.get(corporation.corporationId);
      if (
        allianceId === undefined ||
        (corporation.allianceId ?? null) === allianceId ||
        !allianceAvailable(allianceId)
      )
        continue;
      log.info(
        { corporationId: corporation.corporationId, from: corporation.allianceId ?? null, to: allianceId },
        'directory:corporation-alliance-changed',
      );
      corporation.allianceId = allianceId;
      corporationsUpdated += 1;
    }

    const moving = members.filter((u) => {
      const seen = byCharacter.get(u.characterId);
      return (
        seen !== undefined &&
        (u.corporationId ?? null) !== seen.corporationId &&
        corporationAvailable.has(seen.corporationId)
      );
    });
    const loaded = moving.length ? await tx.find(User, { id: { $in: moving.map((u) => u.id) } }) : [];
    for (const user of loaded) {
      const to = byCharacter.get(user.characterId)!.corporationId;
      log.info(
        { userId: user.id, characterId: user.characterId, from: user.corporationId ?? null, to },
        'directory:user-moved',
      );
      user.corporationId = to;
    }
    await tx.flush();
    const result = {
      checked: members.length,
      moved: loaded.length,
      corporationsCreated,
      alliancesCreated,
      corporationsUpdated,
      guestsSkipped,
      ...failures,
    };
    log.info(result, 'esi:affiliations-refreshed');
    return result;
  });
}

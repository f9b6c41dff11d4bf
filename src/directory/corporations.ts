/**
 * Refreshes tracked alliances and corporations from ESI: name, ticker, CEO, alliance, executor.
 * A CEO or executor change moves clearances by the office-floor rules (./offices.ts). Every
 * reply is read first; the directory is written after, in one transaction. A record whose
 * reply failed is left exactly as it was.
 */
import type { EntityManager } from '@mikro-orm/core';
import type { EsiClient } from '../esi/client.ts';
import type { Logger } from '../logger.ts';
import { Alliance, Corporation } from '../store/entities/index.ts';
import { inTransaction } from '../store/transaction.ts';
import { applyOfficeChanges, officeChanges, officeFloors } from './offices.ts';
import {
  addFailures,
  applyAlliance,
  applyCorporation,
  fetchEach,
  noFailures,
  type FailureCounts,
} from './records.ts';
import { createAllianceRecord, createCorporationRecord } from '../services/esi-records.ts';

export interface CorporationRefresh extends FailureCounts {
  readonly alliancesRefreshed: number;
  readonly corporationsRefreshed: number;
  /** Records whose name, ticker, CEO, alliance or executor changed. */
  readonly changed: number;
  /** Executor corporations and alliances that had no record yet. */
  readonly corporationsCreated: number;
  readonly alliancesCreated: number;
  /** Users whose clearance moved because an office changed hands. */
  readonly clearancesChanged: number;
}

/**
 * Which records to refresh: by default every tracked one, from the local ESI cache where it is
 * still fresh; an operator's refresh names them (tracked or not) and asks ESI itself (`fresh`).
 */
export interface RefreshSelection {
  readonly corporationIds?: readonly number[];
  readonly allianceIds?: readonly number[];
  readonly fresh?: boolean;
}

export async function refreshCorporationsAndAlliances(
  em: EntityManager,
  esi: EsiClient,
  logger: Logger,
  selection: RefreshSelection = {},
): Promise<CorporationRefresh> {
  const log = logger.child({ job: 'esi.refresh' });
  const read = { fresh: selection.fresh ?? false };
  const [corporations, alliances] = await Promise.all([em.find(Corporation, {}), em.find(Alliance, {})]);
  const before = officeFloors({ corporations, alliances });
  const failures = noFailures();
  const named = (ids: readonly number[] | undefined) => (ids ? new Set(ids) : null);
  const allianceIds = named(selection.allianceIds);
  const corporationIds = named(selection.corporationIds);
  const selected = selection.allianceIds || selection.corporationIds;

  const allianceReplies = await fetchEach(
    alliances.filter((a) => (selected ? allianceIds?.has(a.allianceId) : a.tracked)).map((a) => a.allianceId),
    (id) => esi.getAlliance(id, read),
    log,
    'alliance',
  );
  const corporationReplies = await fetchEach(
    corporations
      .filter((c) => (selected ? corporationIds?.has(c.corporationId) : c.tracked))
      .map((c) => c.corporationId),
    (id) => esi.getCorporation(id, read),
    log,
    'corporation',
  );
  addFailures(failures, allianceReplies.failures);
  addFailures(failures, corporationReplies.failures);

  // The executor of a tracked alliance matters for clearances: make sure its corporation is known.
  const knownCorporations = new Set(corporations.map((c) => c.corporationId));
  const executorReplies = await fetchEach(
    [...allianceReplies.found.values()].flatMap((a) =>
      a.executorCorporationId !== null && !knownCorporations.has(a.executorCorporationId)
        ? [a.executorCorporationId]
        : [],
    ),
    (id) => esi.getCorporation(id, read),
    log,
    'corporation',
  );
  addFailures(failures, executorReplies.failures);
  const knownAlliances = new Set(alliances.map((a) => a.allianceId));
  const newAllianceReplies = await fetchEach(
    [...corporationReplies.found.values(), ...executorReplies.found.values()].flatMap((c) =>
      c.allianceId !== null && !knownAlliances.has(c.allianceId) ? [c.allianceId] : [],
    ),
    (id) => esi.getAlliance(id, read),
    log,
    'alliance',
  );
  addFailures(failures, newAllianceReplies.failures);
  const allianceKnown = (id: number | null) =>
    id === null || knownAlliances.has(id) || newAllianceReplies.found.has(id);

  return inTransaction(em, async (tx) => {
    let changed = 0;
    for (const alliance of alliances) {
      const reply = allianceReplies.found.get(alliance.allianceId);
      if (!reply) continue;
      if (applyAlliance(alliance, reply)) {
        changed += 1;
        log.info(
          { allianceId: alliance.allianceId, executorCorporationId: reply.executorCorporationId },
          'directory:alliance-changed',
        );
      }
    }
    for (const corporation of corporations) {
      const reply = corporationReplies.found.get(corporation.corporationId);
      if (!reply) continue;
      // An alliance that could not be read keeps the old value rather than a dangling id.
      const next = allianceKnown(reply.allianceId)
        ? reply
        : { ...reply, allianceId: corporation.allianceId ?? null };
      if (applyCorporation(corporation, next)) {
        changed += 1;
        log.info(
          {
            corporationId: corporation.corporationId,
            ceoCharacterId: next.ceoCharacterId,
            allianceId: next.allianceId,
          },
          'directory:corporation-changed',
        );
      }
    }
    const created = {
      alliances: [...newAllianceReplies.found.values()].map((a) => createAllianceRecord(tx, a, false)),
      corporations: [...executorReplies.found.values()].map((c) =>
        createCorporationRecord(tx, allianceKnown(c.allianceId) ? c : { ...c, allianceId: null }, true),
      ),
    };

    const after = officeFloors({
      corporations: [...corporations, ...created.corporations],
      alliances: [...alliances, ...created.alliances],
    });
    const clearancesChanged = await applyOfficeChanges(tx, officeChanges(before, after), log);
    await tx.flush();
    const result = {
      alliancesRefreshed: allianceReplies.found.size,
      corporationsRefreshed: corporationReplies.found.size,
      changed,
      corporationsCreated: created.corporations.length,
      alliancesCreated: created.alliances.length,
      clearancesChanged,
      ...failures,
    };
    log.info(result, 'esi:corporations-refreshed');
    return result;
  });
}

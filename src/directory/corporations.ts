/**
 * Refreshes tracked alliances and corporations from ESI: name, ticker, CEO, alliance, executor.
 * A CEO or executor change moves clearances by the office-floor rules (./offices.ts). Every
 * reply is read first (readCorporationRefresh, no transaction open across ESI calls); the
 * directory is written after, in one transaction (applyCorporationRefresh: the job's own, or an
 * operator's use case's, which audits it in the same one). A record whose reply failed is left
 * exactly as it was.
 */
import type { EntityManager } from '@mikro-orm/core';
import type { Dated, EsiClient } from '../esi/client.ts';
import type { EsiAlliance, EsiCorporation } from '../esi/schemas.ts';
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

/** What ESI answered for a refresh, to be written by applyCorporationRefresh. */
export interface FetchedCorporationRefresh {
  /** Replies for the selected alliances and corporations the directory has. */
  readonly alliances: ReadonlyMap<number, EsiAlliance>;
  readonly corporations: ReadonlyMap<number, EsiCorporation & Dated>;
  /** Executor corporations of refreshed alliances that had no record yet. */
  readonly executors: ReadonlyMap<number, EsiCorporation & Dated>;
  /** Alliances of refreshed (or executor) corporations that had no record yet. */
  readonly newAlliances: ReadonlyMap<number, EsiAlliance>;
  readonly failures: FailureCounts;
}

const refreshLog = (logger: Logger) => logger.child({ job: 'esi.refresh' });

/** The esi.refresh job's step: reads ESI, then writes the directory in its own transaction. */
export async function refreshCorporationsAndAlliances(
  em: EntityManager,
  esi: EsiClient,
  logger: Logger,
  selection: RefreshSelection = {},
): Promise<CorporationRefresh> {
  const fetched = await readCorporationRefresh(em, esi, logger, selection);
  return inTransaction(em, (tx) => applyCorporationRefresh(tx, fetched, logger));
}

/** Reads from ESI what a refresh of the selected records needs; writes nothing. */
export async function readCorporationRefresh(
  em: EntityManager,
  esi: EsiClient,
  logger: Logger,
  selection: RefreshSelection = {},
): Promise<FetchedCorporationRefresh> {
  const log = refreshLog(logger);
  const read = { fresh: selection.fresh ?? false };
  const [corporations, alliances] = await Promise.all([em.find(Corporation, {}), em.find(Alliance, {})]);
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
  return {
    alliances: allianceReplies.found,
    corporations: corporationReplies.found,
    executors: executorReplies.found,
    newAlliances: newAllianceReplies.found,
    failures,
  };
}

/**
 * Writes what readCorporationRefresh read, in the caller's transaction: the records as they are
 * now are read again there, so the office floors compare with what was just before the write.
 */
export async function applyCorporationRefresh(
  tx: EntityManager,
  fetched: FetchedCorporationRefresh,
  logger: Logger,
): Promise<CorporationRefresh> {
  const log = refreshLog(logger);
  const corporations = await tx.find(Corporation, {});
  const alliances = await tx.find(Alliance, {});
  const before = officeFloors({ corporations, alliances });
  const knownAlliances = new Set(alliances.map((a) => a.allianceId));
  const knownCorporations = new Set(corporations.map((c) => c.corporationId));
  const allianceKnown = (id: number | null) =>
    id === null || knownAlliances.has(id) || fetched.newAlliances.has(id);

  let changed = 0;
  for (const alliance of alliances) {
    const reply = fetched.alliances.get(alliance.allianceId);
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
    const reply = fetched.corporations.get(corporation.corporationId);
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
  // Records another writer created since they were read are already there: not created twice.
  const created = {
    alliances: [...fetched.newAlliances.values()]
      .filter((a) => !knownAlliances.has(a.allianceId))
      .map((a) => createAllianceRecord(tx, a, false)),
    corporations: [...fetched.executors.values()]
      .filter((c) => !knownCorporations.has(c.corporationId))
      .map((c) =>
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
    alliancesRefreshed: fetched.alliances.size,
    corporationsRefreshed: fetched.corporations.size,
    changed,
    corporationsCreated: created.corporations.length,
    alliancesCreated: created.alliances.length,
    clearancesChanged,
    ...fetched.failures,
  };
  log.info(result, 'esi:corporations-refreshed');
  return result;
}

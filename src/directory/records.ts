/**
 * Small pieces the ESI services share: fetching many ids with a per-id outcome (so one bad id
 * never sinks a whole refresh), and copying ESI replies onto corporation and alliance records
 * (new records from ESI replies are made by services/esi-records.ts, which the login shares).
 */
import { mapWithConcurrency } from '../esi/concurrency.ts';
import { EsiError, EsiNotFoundError } from '../esi/errors.ts';
import type { EsiAlliance, EsiCorporation } from '../esi/schemas.ts';
import type { Logger } from '../logger.ts';
import { type Alliance, type Corporation } from '../store/entities/index.ts';

/** What went wrong while reading ESI, counted: transient failures make the job retry. */
export interface FailureCounts {
  /** ESI answered 404 for these ids: logged, nothing deleted. */
  notFound: number;
  /** 5xx, 420, timeouts, network errors after the client's own retries: nothing was changed for them. */
  transientFailures: number;
  /** Other refusals (403, malformed replies): logged, nothing changed. */
  failed: number;
}

export const noFailures = (): FailureCounts => ({ notFound: 0, transientFailures: 0, failed: 0 });

export function addFailures(into: FailureCounts, from: FailureCounts): void {
  into.notFound += from.notFound;
  into.transientFailures += from.transientFailures;
  into.failed += from.failed;
}

/** Classifies an ESI error into the counts and logs it; anything that is not an ESI error is rethrown. */
export function countFailure(
  counts: FailureCounts,
  error: unknown,
  logger: Logger,
  context: Record<string, unknown>,
): void {
  if (error instanceof EsiNotFoundError) {
    counts.notFound += 1;
    logger.info({ ...context, route: error.route }, 'esi:not-found');
  } else if (error instanceof EsiError && error.transient) {
    counts.transientFailures += 1;
    logger.warn(
      { ...context, route: error.route, status: error.status, err: error.message },
      'esi:unavailable',
    );
  } else if (error instanceof EsiError) {
    counts.failed += 1;
    logger.warn({ ...context, route: error.route, status: error.status, err: error.message }, 'esi:refused');
  } else {
    throw error;
  }
}

/** Fetches each id; the map holds the ids that answered, the counts the others. */
export async function fetchEach<T>(
  ids: Iterable<number>,
  fetch: (id: number) => Promise<T>,
  logger: Logger,
  kind: string,
  concurrency = 4,
): Promise<{ found: Map<number, T>; failures: FailureCounts }> {
  const found = new Map<number, T>();
  const failures = noFailures();
  await mapWithConcurrency([...new Set(ids)], concurrency, async (id) => {
    try {
      found.set(id, await fetch(id));
    } catch (error) {
      countFailure(failures, error, logger, { [`${kind}Id`]: id });
    }
  });
  return { found, failures };
}

/** Copies ESI's view of a corporation onto its record; true when something changed. */
export function applyCorporation(record: Corporation, c: EsiCorporation): boolean {
  const changed =
    record.name !== c.name ||
    record.ticker !== c.ticker ||
    (record.ceoCharacterId ?? null) !== c.ceoCharacterId ||
    (record.allianceId ?? null) !== c.allianceId;
  record.name = c.name;
  record.ticker = c.ticker;
  record.ceoCharacterId = c.ceoCharacterId;
  record.allianceId = c.allianceId;
  record.refreshedAt = new Date();
  return changed;
}

export function applyAlliance(record: Alliance, a: EsiAlliance): boolean {
  const changed =
    record.name !== a.name ||
    record.ticker !== a.ticker ||
    (record.executorCorporationId ?? null) !== a.executorCorporationId;
  record.name = a.name;
  record.ticker = a.ticker;
  record.executorCorporationId = a.executorCorporationId;
  record.refreshedAt = new Date();
  return changed;
}

import type { EntityManager } from '@mikro-orm/core';
import { GUEST } from '../domain/index.ts';
import { toAllianceFacts } from '../store/directory.ts';
import { Alliance, Coalition, Corporation, User } from '../store/entities/index.ts';
import { ConflictError, InvalidReferenceError, NotFoundError } from '../domain/errors.ts';
import { asConflict } from '../store/errors.ts';
import { iso } from './format.ts';
import { newAlliance } from '../store/records.ts';
import { findPage } from './pagination.ts';
import type { Retickered, TickerLookup } from './corporations.ts';
import type { DirectoryEsi } from './directory-esi.ts';
import {
  auditedRefresh,
  auditRetickered,
  tickerNowOf,
  trackedFacts,
  updateLoginSettings,
  type LoginSettingsChange,
} from './tracking.ts';
import { writeChange, type UnitsOfWork, type UseCaseContext } from './use-case.ts';

export interface AllianceEsiFacts {
  readonly name: string;
  readonly ticker: string;
  readonly executorCorporationId: number | null;
}

export async function getAlliance(em: EntityManager, allianceId: number): Promise<Alliance> {
  const alliance = await em.findOne(Alliance, { allianceId });
  if (!alliance) throw new NotFoundError('alliance', allianceId);
  return alliance;
}

export function describeAlliance(a: Alliance) {
  return {
    id: a.id,
    ...toAllianceFacts(a),
    tracked: a.tracked,
    refreshedAt: iso(a.refreshedAt),
    createdAt: iso(a.createdAt),
    updatedAt: iso(a.updatedAt),
  };
}

/** An alliance with its corporations in the directory, coalitions and head counts. */
export async function allianceDetails(em: EntityManager, a: Alliance) {
  const [corporations, coalitions] = await Promise.all([
    em.find(Corporation, { allianceId: a.allianceId }, { orderBy: { name: 'asc' } }),
    em.find(Coalition, {}, { orderBy: { name: 'asc' } }),
  ]);
  const ids = corporations.map((c) => c.corporationId);
  const [memberCount, guestCount] = await Promise.all([
    em.count(User, { corporationId: { $in: ids }, clearanceLevel: { $gt: GUEST } }),
    em.count(User, { corporationId: { $in: ids }, clearanceLevel: { $lte: GUEST } }),
  ]);
  return {
    ...describeAlliance(a),
    corporations: corporations.map((c) => ({
      corporationId: c.corporationId,
      name: c.name,
      ticker: c.ticker,
      tracked: c.tracked,
    })),
    coalitions: coalitions
      .filter((c) => c.allianceIds.includes(a.allianceId))
      .map((c) => ({ id: c.id, name: c.name, ticker: c.ticker })),
    memberCount,
    guestCount,
  };
}

/**
 * Creates an alliance's record or refreshes it with the facts given; `track` marks it kept
 * refreshed by the ESI job (a corporation's alliance is recorded untracked when only the
 * corporation is tracked). Tracking one already tracked is a conflict.
 */
export async function recordAlliance(
  em: EntityManager,
  allianceId: number,
  facts: Partial<AllianceEsiFacts>,
  options: { track: boolean; refreshedAt: Date | null; tickerNow?: TickerLookup },
) {
  let alliance = await em.findOne(Alliance, { allianceId });
  if (options.track && alliance?.tracked)
    throw new ConflictError(`alliance [${alliance.ticker}] ${allianceId} is already tracked`);
  const before = alliance ? describeAlliance(alliance) : null;
  const name = facts.name ?? alliance?.name;
  const ticker = facts.ticker ?? alliance?.ticker;
  if (name === undefined || ticker === undefined) {
    throw new InvalidReferenceError(
      `alliance ${allianceId} is not in the directory: give its name and ticker (no ESI is configured)`,
    );
  }
  // Tickers are unique; one held by an alliance whose ticker ESI has since changed is freed by
  // bringing that alliance's stored ticker up to date (else the clash is refused).
  const clash = await tickerHolder(em, ticker, allianceId);
  let retickered: Retickered | null = null;
  if (clash) {
    const current = options.tickerNow ? await options.tickerNow(clash.allianceId) : null;
    if (current === null || current === ticker)
      throw new ConflictError(`alliance ${clash.allianceId} already has the ticker <${ticker}>`);
    clash.ticker = current;
    retickered = { id: clash.allianceId, from: ticker, to: current };
  }
  if (!alliance) {
    alliance = newAlliance(em, {
      allianceId,
      name,
      ticker,
      executorCorporationId: facts.executorCorporationId ?? null,
      tracked: options.track,
      refreshedAt: options.refreshedAt,
    });
  } else {
    Object.assign(alliance, {
      name,
      ticker,
      tracked: alliance.tracked || options.track,
      refreshedAt: options.refreshedAt ?? alliance.refreshedAt ?? null,
    });
    if (facts.executorCorporationId !== undefined)
      alliance.executorCorporationId = facts.executorCorporationId;
  }
  try {
    await em.flush();
  } catch (error) {
    throw asConflict(error, `alliance ${allianceId} was recorded by another request at the same time`);
  }
  return { alliance, before, retickered };
}

/** The other alliance that holds a ticker in the directory, if one does. */
function tickerHolder(em: EntityManager, ticker: string, allianceId: number): Promise<Alliance | null> {
  return em.findOne(Alliance, { ticker, allianceId: { $ne: allianceId } });
}

/** What ESI calls the alliance holding the ticker an alliance is recorded with, asked before its transaction. */
export function allianceTickerNow(
  db: UnitsOfWork,
  esi: DirectoryEsi | null,
  allianceId: number,
  ticker: string | undefined,
): Promise<TickerLookup | undefined> {
  return tickerNowOf(esi, 'alliance', async () =>
    ticker === undefined ? null : ((await tickerHolder(db.fork(), ticker, allianceId))?.allianceId ?? null),
  );
}

/**
 * Changes an alliance's login flag or mandatory ESI scopes, audited when something moved; a new
 * login flag rebuilds the groups, then the targets sync.
 */
export async function updateAlliance(
  app: UseCaseContext,
  input: LoginSettingsChange & { readonly allianceId: number },
) {
  const { allianceId, ...changes } = input;
  const { record, loginChanged } = await updateLoginSettings(
    app,
    'alliance',
    allianceId,
    changes,
    (em) => getAlliance(em, allianceId),
    describeAlliance,
  );
  return { alliance: record, loginChanged };
}

/**
 * Tracks an alliance (the refresh job keeps it up to date from ESI): its facts from ESI, read
 * before the transaction opens, or given where no ESI is wired (tests, offline); audited with the
 * ticker it took from a record ESI had renamed; then the groups follow (a rebuild, then the
 * targets sync).
 */
export async function trackAlliance(
  app: UseCaseContext,
  esi: DirectoryEsi | null,
  input: { readonly allianceId: number } & Partial<AllianceEsiFacts>,
): Promise<Alliance> {
  const { allianceId, ...given } = input;
  const { facts, refreshedAt } = await trackedFacts<AllianceEsiFacts>(
    esi,
    'alliance',
    allianceId,
    given,
    (esi) => esi.fetchAlliance(allianceId),
  );
  const tickerNow = await allianceTickerNow(app.db, esi, allianceId, facts.ticker);
  const alliance = await writeChange(app.db, app.author, async (tx, audit) => {
    const { alliance, before, retickered } = await recordAlliance(tx, allianceId, facts, {
      track: true,
      refreshedAt,
      tickerNow,
    });
    auditRetickered(audit, 'alliance', retickered);
    audit({
      action: 'alliance.track',
      subject: `alliance:${allianceId}`,
      before,
      after: describeAlliance(alliance),
    });
    return alliance;
  });
  await app.notifier.directoryChanged('alliance.track');
  return alliance;
}

/**
 * Refreshes one alliance now, straight from ESI past the local cache: the alliance, the
 * corporations the directory has in it (one that left leaves it) and, when tracked, the ones ESI
 * lists in it; the refresh and its audit (the alliance and what moved) commit together, then the
 * groups follow.
 */
export function refreshAlliance(app: UseCaseContext, esi: DirectoryEsi, allianceId: number) {
  return auditedRefresh(
    app,
    'alliance',
    allianceId,
    async (em) => describeAlliance(await getAlliance(em, allianceId)),
    (em) => esi.fetchAllianceRefresh(em, allianceId),
    (after, refreshed) => ({ ...after, ...refreshed }),
  );
}

/** A page of alliances (all, or only the tracked or untracked ones), described. */
export async function listAlliances(
  em: EntityManager,
  query: { cursor?: string | null | undefined; limit: number; tracked?: boolean | undefined },
) {
  const where = query.tracked !== undefined ? { tracked: query.tracked } : {};
  const page = await findPage(em, Alliance, where, query);
  return { items: page.items.map(describeAlliance), nextCursor: page.nextCursor };
}

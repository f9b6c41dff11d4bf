import type { EntityManager } from '@mikro-orm/core';
import { GUEST, coalitionsOf } from '../domain/index.ts';
import { toCoalitionFacts, toCorporationFacts } from '../store/directory.ts';
import { Alliance, Coalition, Corporation, User } from '../store/entities/index.ts';
import { ConflictError, InvalidReferenceError, NotFoundError } from '../domain/errors.ts';
import { asConflict } from '../store/errors.ts';
import { iso } from './format.ts';
import { newCorporation } from '../store/records.ts';
import { findPage } from './pagination.ts';
import { allianceTickerNow, recordAlliance, type AllianceEsiFacts } from './alliances.ts';
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

export interface CorporationEsiFacts {
  readonly name: string;
  readonly ticker: string;
  readonly ceoCharacterId: number | null;
  readonly allianceId: number | null;
}

export async function getCorporation(em: EntityManager, corporationId: number): Promise<Corporation> {
  const corporation = await em.findOne(Corporation, { corporationId });
  if (!corporation) throw new NotFoundError('corporation', corporationId);
  return corporation;
}

export function describeCorporation(c: Corporation) {
  return {
    id: c.id,
    ...toCorporationFacts(c),
    tracked: c.tracked,
    refreshedAt: iso(c.refreshedAt),
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
  };
}

/** A corporation with its alliance, coalitions and head counts. */
export async function corporationDetails(em: EntityManager, c: Corporation) {
  const [alliance, coalitions, memberCount, guestCount] = await Promise.all([
    c.allianceId == null ? null : em.findOne(Alliance, { allianceId: c.allianceId }),
    em.find(Coalition, {}, { orderBy: { name: 'asc' } }),
    em.count(User, { corporationId: c.corporationId, clearanceLevel: { $gt: GUEST } }),
    em.count(User, { corporationId: c.corporationId, clearanceLevel: { $lte: GUEST } }),
  ]);
  return {
    ...describeCorporation(c),
    alliance: alliance
      ? { allianceId: alliance.allianceId, name: alliance.name, ticker: alliance.ticker }
      : null,
    coalitions: coalitionsOf(c.corporationId, c.allianceId ?? null, coalitions.map(toCoalitionFacts)).map(
      (x) => ({ id: x.id, name: x.name, ticker: x.ticker }),
    ),
    memberCount,
    guestCount,
  };
}

/**
 * Tracks a corporation (the refresh job keeps tracked ones up to date from ESI): its facts come
 * from ESI, read before the transaction opens, and its alliance, when the directory does not know
 * it yet, is recorded with it; where no ESI is wired (tests, offline) they are given as input.
 * Audited with the alliance it recorded and the tickers it took from records ESI had renamed;
 * then the groups follow (a rebuild, then the targets sync).
 */
export async function trackCorporation(
  app: UseCaseContext,
  esi: DirectoryEsi | null,
  input: { readonly corporationId: number } & Partial<CorporationEsiFacts>,
): Promise<Corporation> {
  const { corporationId, ...given } = input;
  const tracked = await trackedFacts<CorporationEsiFacts>(esi, 'corporation', corporationId, given, (esi) =>
    esi.fetchCorporation(corporationId),
  );
  const { refreshedAt } = tracked;
  let facts = tracked.facts;
  let newAlliance: { allianceId: number; facts: AllianceEsiFacts } | null = null;
  if (esi) {
    const fetched = facts as CorporationEsiFacts;
    const allianceId = fetched.allianceId;
    if (allianceId !== null && !(await knowsAlliance(app.db.fork(), allianceId))) {
      const alliance = await esi.fetchAlliance(allianceId);
      if (alliance) newAlliance = { allianceId, facts: alliance };
      else facts = { ...fetched, allianceId: null };
    }
  }
  const allianceTicker =
    newAlliance && (await allianceTickerNow(app.db, esi, newAlliance.allianceId, newAlliance.facts.ticker));
  const tickerNow = await corporationTickerNow(app.db, esi, corporationId, facts.ticker);
  const corporation = await writeChange(app.db, app.author, async (tx, audit) => {
    if (newAlliance) {
      const { allianceId, facts: alliance } = newAlliance;
      const { retickered } = await recordAlliance(tx, allianceId, alliance, {
        track: false,
        refreshedAt,
        tickerNow: allianceTicker ?? undefined,
      });
      auditRetickered(audit, 'alliance', retickered);
      audit({ action: 'alliance.record', subject: `alliance:${allianceId}`, after: alliance });
    }
    const { corporation, before, retickered } = await recordTracked(
      tx,
      corporationId,
      facts,
      refreshedAt,
      tickerNow,
    );
    auditRetickered(audit, 'corporation', retickered);
    const after = describeCorporation(corporation);
    audit({ action: 'corporation.track', subject: `corporation:${corporationId}`, before, after });
    return corporation;
  });
  await app.notifier.directoryChanged('corporation.track');
  return corporation;
}

/**
 * Refreshes one corporation now, straight from ESI past the local cache (its alliance too), as
 * the daily job would later; the refresh and its audit commit together, then the groups follow.
 */
export function refreshCorporation(app: UseCaseContext, esi: DirectoryEsi, corporationId: number) {
  return auditedRefresh(
    app,
    'corporation',
    corporationId,
    async (em) => describeCorporation(await getCorporation(em, corporationId)),
    (em) => esi.fetchCorporationRefresh(em, corporationId),
  );
}

/**
 * Creates a tracked corporation's record, or marks an existing one (made by a login) tracked,
 * with the facts given. Its alliance must be in the directory already; autogroups name
 * corporations by ticker, so tickers are unique.
 */
async function recordTracked(
  em: EntityManager,
  corporationId: number,
  facts: Partial<CorporationEsiFacts>,
  refreshedAt: Date | null,
  tickerNow?: TickerLookup,
) {
  let corporation = await em.findOne(Corporation, { corporationId });
  if (corporation?.tracked)
    throw new ConflictError(`corporation [${corporation.ticker}] ${corporationId} is already tracked`);
  const before = corporation ? describeCorporation(corporation) : null;
  const allianceId = facts.allianceId !== undefined ? facts.allianceId : (corporation?.allianceId ?? null);
  if (allianceId !== null && !(await em.findOne(Alliance, { allianceId }, { fields: ['id'] }))) {
    throw new InvalidReferenceError(`alliance ${allianceId} is not in the directory: track it first`);
  }
  const name = facts.name ?? corporation?.name;
  const ticker = facts.ticker ?? corporation?.ticker;
  if (name === undefined || ticker === undefined) {
    throw new InvalidReferenceError(
      `corporation ${corporationId} is not in the directory: give its name and ticker (no ESI is configured)`,
    );
  }
  const retickered = await freeTicker(em, ticker, corporationId, tickerNow);
  if (!corporation) {
    corporation = newCorporation(em, {
      corporationId,
      name,
      ticker,
      ceoCharacterId: facts.ceoCharacterId ?? null,
      allianceId,
      tracked: true,
      refreshedAt,
    });
  } else {
    Object.assign(corporation, {
      name,
      ticker,
      allianceId,
      tracked: true,
      refreshedAt: refreshedAt ?? corporation.refreshedAt ?? null,
    });
    if (facts.ceoCharacterId !== undefined) corporation.ceoCharacterId = facts.ceoCharacterId;
  }
  try {
    await em.flush();
  } catch (error) {
    throw asConflict(error, `corporation ${corporationId} was tracked by another request at the same time`);
  }
  return { corporation, before, retickered };
}

/** A record's ticker as ESI has it now (null: ESI cannot tell), to settle a clash with a stale one. */
export type TickerLookup = (id: number) => Promise<string | null>;

/** A stored record whose ticker ESI has since changed, and what it was moved to. */
export interface Retickered {
  readonly id: number;
  readonly from: string;
  readonly to: string;
}

/** The other corporation that holds a ticker in the directory, if one does. */
function tickerHolder(em: EntityManager, ticker: string, corporationId: number): Promise<Corporation | null> {
  return em.findOne(Corporation, { ticker, corporationId: { $ne: corporationId } });
}

/** What ESI calls the corporation holding the ticker a corporation is tracked with, asked before its transaction. */
function corporationTickerNow(
  db: UnitsOfWork,
  esi: DirectoryEsi | null,
  corporationId: number,
  ticker: string | undefined,
): Promise<TickerLookup | undefined> {
  return tickerNowOf(esi, 'corporation', async () =>
    ticker === undefined
      ? null
      : ((await tickerHolder(db.fork(), ticker, corporationId))?.corporationId ?? null),
  );
}

/**
 * Tickers are unique: one another corporation holds in the directory is refused, unless ESI says
 * that corporation has since changed its ticker (the directory had not seen it yet): then its
 * stored ticker is brought up to date and the ticker is free.
 */
async function freeTicker(
  em: EntityManager,
  ticker: string,
  corporationId: number,
  tickerNow?: TickerLookup,
): Promise<Retickered | null> {
  const clash = await tickerHolder(em, ticker, corporationId);
  if (!clash) return null;
  const current = tickerNow ? await tickerNow(clash.corporationId) : null;
  if (current === null || current === ticker)
    throw new ConflictError(`corporation ${clash.corporationId} already has the ticker [${ticker}]`);
  clash.ticker = current;
  return { id: clash.corporationId, from: ticker, to: current };
}

/**
 * Changes a corporation's login flag or mandatory ESI scopes, audited when something moved; a
 * new login flag rebuilds the groups, then the targets sync.
 */
export async function updateCorporation(
  app: UseCaseContext,
  input: LoginSettingsChange & { readonly corporationId: number },
) {
  const { corporationId, ...changes } = input;
  const { record, loginChanged } = await updateLoginSettings(
    app,
    'corporation',
    corporationId,
    changes,
    (em) => getCorporation(em, corporationId),
    describeCorporation,
  );
  return { corporation: record, loginChanged };
}

/** A page of corporations, by alliance or tracked state when asked, described. */
export async function listCorporations(
  em: EntityManager,
  query: {
    cursor?: string | null | undefined;
    limit: number;
    allianceId?: number | undefined;
    tracked?: boolean | undefined;
  },
) {
  const where = {
    ...(query.allianceId !== undefined ? { allianceId: query.allianceId } : {}),
    ...(query.tracked !== undefined ? { tracked: query.tracked } : {}),
  };
  const page = await findPage(em, Corporation, where, query);
  return { items: page.items.map(describeCorporation), nextCursor: page.nextCursor };
}

/** Whether the directory knows the alliance (tracked or only recorded). */
async function knowsAlliance(em: EntityManager, allianceId: number): Promise<boolean> {
  return (await em.findOne(Alliance, { allianceId }, { fields: ['id'] })) !== null;
}

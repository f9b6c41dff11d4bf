/**
 * What the use cases that bring corporations and alliances from ESI share: the facts a track
 * records (ESI's, or given where no ESI is wired), the ticker lookup that settles a clash with a
 * stale ticker, the audit of a ticker a track moved, and the audited operator refresh.
 */
import { NotFoundError, RuleViolationError } from '../domain/errors.ts';
import type { TickerLookup, Retickered } from './corporations.ts';
import type { EntityManager } from '@mikro-orm/core';
import type { DirectoryEsi, FetchedRefresh, OperatorRefresh } from './directory-esi.ts';
import { writeChange, type Audit, type UseCaseContext } from './use-case.ts';

type Tracked = 'corporation' | 'alliance';

/**
 * The facts a track records: ESI's when this daemon reads ESI (then only the id may be given),
 * otherwise the ones given as input (tests, offline). ESI is read before any transaction opens.
 */
export async function trackedFacts<T>(
  esi: DirectoryEsi | null,
  what: Tracked,
  id: number,
  given: Partial<T>,
  fetch: (esi: DirectoryEsi) => Promise<T | null>,
): Promise<{ facts: Partial<T>; refreshedAt: Date | null }> {
  if (!esi) return { facts: given, refreshedAt: null };
  if (Object.values(given).some((v) => v !== undefined))
    throw new RuleViolationError(`this daemon reads ${what}s from ESI: give only ${what}Id`);
  const fetched = await fetch(esi);
  if (!fetched) throw new NotFoundError(what, id, `EVE knows no ${what} ${id}`);
  return { facts: fetched, refreshedAt: new Date() };
}

/**
 * A ticker lookup for a track's transaction (TickerLookup), asked of ESI before it opens: what
 * the record that holds the ticker the track records (`holder`) is called now. Undefined without
 * ESI (then a clash is refused, as it is with a holder that appears only inside the transaction).
 */
export async function tickerNowOf(
  esi: DirectoryEsi | null,
  what: Tracked,
  holder: () => Promise<number | null>,
): Promise<TickerLookup | undefined> {
  if (!esi) return undefined;
  const id = await holder();
  const facts =
    id === null
      ? null
      : what === 'corporation'
        ? await esi.fetchCorporation(id)
        : await esi.fetchAlliance(id);
  const now = facts?.ticker ?? null;
  return async (clash) => (clash === id ? now : null);
}

/** Audits the stored ticker a track moved because ESI had changed it (in the track's change). */
export function auditRetickered(audit: Audit, what: Tracked, moved: Retickered | null): void {
  if (!moved) return;
  audit({
    action: `${what}.ticker`,
    subject: `${what}:${moved.id}`,
    before: { ticker: moved.from },
    after: { ticker: moved.to, reason: 'ESI changed it; another record now uses the old ticker' },
  });
}

/**
 * An operator's refresh of one corporation or alliance from ESI, past the local cache: the record
 * must exist (NotFoundError before ESI is asked); ESI is read with no transaction open; then the
 * record as it was, the refresh written as the esi.refresh job writes it, and its audit entry
 * (before, after) commit in one transaction. Then the groups follow (`<what>.refresh`: a rebuild,
 * then the targets sync).
 */
export async function auditedRefresh<T>(
  app: UseCaseContext,
  what: Tracked,
  id: number,
  read: (em: EntityManager) => Promise<T>,
  fetch: (em: EntityManager) => Promise<FetchedRefresh>,
  audited: (after: T, refreshed: OperatorRefresh) => unknown = (after) => after,
): Promise<{ after: T; refreshed: OperatorRefresh }> {
  await read(app.db.fork());
  const fetched = await fetch(app.db.fork());
  const result = await writeChange(app.db, app.author, async (tx, audit) => {
    const before = await read(tx);
    const refreshed = await fetched.apply(tx);
    const after = await read(tx);
    audit({ action: `${what}.refresh`, subject: `${what}:${id}`, before, after: audited(after, refreshed) });
    return { after, refreshed };
  });
  await app.notifier.directoryChanged(`${what}.refresh`);
  return result;
}

/** What an operator may change of a corporation's or an alliance's login rules. */
export interface LoginSettingsChange {
  readonly authorizedToLogin?: boolean | null | undefined;
  readonly mandatoryEsiScopes?: string[] | undefined;
}

/**
 * Changes a corporation's or an alliance's login flag or mandatory ESI scopes, audited as
 * `<what>.update` when something moved; when the login flag moved, the groups follow (a rebuild,
 * then the targets sync).
 */
export async function updateLoginSettings<
  R extends { authorizedToLogin?: boolean | null | undefined; mandatoryEsiScopes?: string[] | undefined },
>(
  app: UseCaseContext,
  what: Tracked,
  id: number,
  changes: LoginSettingsChange,
  load: (em: EntityManager) => Promise<R>,
  describe: (record: R) => { readonly authorizedToLogin: boolean | null },
): Promise<{ record: R; loginChanged: boolean }> {
  const updated = await writeChange(app.db, app.author, async (em, audit) => {
    const record = await load(em);
    const before = describe(record);
    if (changes.authorizedToLogin !== undefined) record.authorizedToLogin = changes.authorizedToLogin;
    if (changes.mandatoryEsiScopes !== undefined) record.mandatoryEsiScopes = changes.mandatoryEsiScopes;
    await em.flush();
    const after = describe(record);
    if (JSON.stringify(before) !== JSON.stringify(after))
      audit({ action: `${what}.update`, subject: `${what}:${id}`, before, after });
    return { record, loginChanged: before.authorizedToLogin !== (record.authorizedToLogin ?? null) };
  });
  if (updated.loginChanged) await app.notifier.directoryChanged(`${what}.update`);
  return updated;
}

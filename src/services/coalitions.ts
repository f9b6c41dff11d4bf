import type { EntityManager } from '@mikro-orm/core';
import { Alliance, Coalition, Corporation } from '../store/entities/index.ts';
import { ConflictError, InvalidReferenceError, NotFoundError } from '../domain/errors.ts';
import { newId } from '../crypto.ts';
import { asConflict } from '../store/errors.ts';
import { iso } from './format.ts';
import { findPage } from './pagination.ts';
import { writeChange, type UseCaseContext } from './use-case.ts';

/** A member named by EVE id (number) or by ticker (string). */
export type MemberRef = number | string;

interface Known {
  readonly eveId: number;
  readonly ticker: string;
}

const lookups = {
  alliance: {
    byIds: async (em: EntityManager, ids: number[]): Promise<Known[]> =>
      (await em.find(Alliance, { allianceId: { $in: ids } }, { fields: ['allianceId', 'ticker'] })).map(
        (a) => ({ eveId: a.allianceId, ticker: a.ticker }),
      ),
    byTickers: async (em: EntityManager, tickers: string[]): Promise<Known[]> =>
      (await em.find(Alliance, { ticker: { $in: tickers } }, { fields: ['allianceId', 'ticker'] })).map(
        (a) => ({ eveId: a.allianceId, ticker: a.ticker }),
      ),
  },
  corporation: {
    byIds: async (em: EntityManager, ids: number[]): Promise<Known[]> =>
      (
        await em.find(Corporation, { corporationId: { $in: ids } }, { fields: ['corporationId', 'ticker'] })
      ).map((c) => ({ eveId: c.corporationId, ticker: c.ticker })),
    byTickers: async (em: EntityManager, tickers: string[]): Promise<Known[]> =>
      (await em.find(Corporation, { ticker: { $in: tickers } }, { fields: ['corporationId', 'ticker'] })).map(
        (c) => ({ eveId: c.corporationId, ticker: c.ticker }),
      ),
  },
} as const;

/**
 * Resolves ids and tickers to EVE ids of records in the directory. With `mustExist` false (for
 * removals) ids pass as they are, so a member whose record is gone can still be removed.
 */
async function resolve(
  em: EntityManager,
  kind: 'alliance' | 'corporation',
  refs: readonly MemberRef[],
  mustExist = true,
): Promise<number[]> {
  const ids = [...new Set(refs.filter((r): r is number => typeof r === 'number'))];
  const tickers = [...new Set(refs.filter((r): r is string => typeof r === 'string'))];
  const problems: string[] = [];
  if (mustExist && ids.length) {
    const known = new Set((await lookups[kind].byIds(em, ids)).map((k) => k.eveId));
    problems.push(...ids.filter((id) => !known.has(id)).map((id) => `no ${kind} ${id} in the directory`));
  }
  const found = tickers.length ? await lookups[kind].byTickers(em, tickers) : [];
  const resolved = [...ids];
  for (const ticker of tickers) {
    const matches = found.filter((k) => k.ticker === ticker);
    if (matches.length === 1) resolved.push(matches[0]!.eveId);
    else if (matches.length === 0) problems.push(`no ${kind} with the ticker "${ticker}" in the directory`);
    else
      problems.push(
        `the ticker "${ticker}" names ${matches.length} ${kind}s (${matches.map((m) => m.eveId).join(', ')}): use the id`,
      );
  }
  if (problems.length) throw new InvalidReferenceError(problems.join('; '));
  return [...new Set(resolved)].sort((a, b) => a - b);
}

export async function getCoalition(
  em: EntityManager,
  ref: { id?: string | undefined; ticker?: string | undefined },
): Promise<Coalition> {
  const coalition =
    ref.id !== undefined
      ? await em.findOne(Coalition, { id: ref.id })
      : await em.findOne(Coalition, { ticker: ref.ticker ?? '' });
  if (!coalition) throw new NotFoundError('coalition', ref.id ?? ref.ticker ?? '?');
  return coalition;
}

/** Coalitions with the names and tickers of their members, in two queries for any number. */
export async function describeCoalitions(em: EntityManager, coalitions: readonly Coalition[]) {
  const allianceIds = [...new Set(coalitions.flatMap((c) => c.allianceIds))];
  const corporationIds = [...new Set(coalitions.flatMap((c) => c.corporationIds))];
  const [alliances, corporations] = await Promise.all([
    allianceIds.length
      ? em.find(Alliance, { allianceId: { $in: allianceIds } }, { fields: ['allianceId', 'name', 'ticker'] })
      : [],
    corporationIds.length
      ? em.find(
          Corporation,
          { corporationId: { $in: corporationIds } },
          { fields: ['corporationId', 'name', 'ticker'] },
        )
      : [],
  ]);
  const allianceOf = new Map(alliances.map((a) => [a.allianceId, a]));
  const corporationOf = new Map(corporations.map((c) => [c.corporationId, c]));
  return coalitions.map((c) => ({
    id: c.id,
    name: c.name,
    ticker: c.ticker,
    description: c.description,
    alliances: c.allianceIds.map((id) => ({
      allianceId: id,
      name: allianceOf.get(id)?.name ?? null,
      ticker: allianceOf.get(id)?.ticker ?? null,
    })),
    corporations: c.corporationIds.map((id) => ({
      corporationId: id,
      name: corporationOf.get(id)?.name ?? null,
      ticker: corporationOf.get(id)?.ticker ?? null,
    })),
    authorizedToLogin: c.authorizedToLogin ?? null,
    mandatoryEsiScopes: c.mandatoryEsiScopes,
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
  }));
}

export async function describeCoalition(em: EntityManager, coalition: Coalition) {
  return (await describeCoalitions(em, [coalition]))[0]!;
}

async function refuseTaken(
  em: EntityManager,
  fields: { name?: string | undefined; ticker?: string | undefined },
  exceptId: string | null,
) {
  for (const key of ['name', 'ticker'] as const) {
    const value = fields[key];
    if (value === undefined) continue;
    const clash = await em.findOne(Coalition, { [key]: value }, { fields: ['id'] });
    if (clash && clash.id !== exceptId)
      throw new ConflictError(`a coalition with the ${key} "${value}" already exists`);
  }
}

export interface CoalitionInput {
  readonly name: string;
  readonly ticker: string;
  readonly description: string;
  readonly alliances: readonly MemberRef[];
  readonly corporations: readonly MemberRef[];
  readonly authorizedToLogin: boolean | null;
  readonly mandatoryEsiScopes: string[];
}

async function insertCoalition(em: EntityManager, input: CoalitionInput): Promise<Coalition> {
  const allianceIds = await resolve(em, 'alliance', input.alliances);
  const corporationIds = await resolve(em, 'corporation', input.corporations);
  await refuseTaken(em, input, null);
  const coalition = em.create(Coalition, {
    id: newId(),
    name: input.name,
    ticker: input.ticker,
    description: input.description,
    allianceIds,
    corporationIds,
    authorizedToLogin: input.authorizedToLogin,
    mandatoryEsiScopes: input.mandatoryEsiScopes,
  });
  try {
    await em.flush();
  } catch (error) {
    throw asConflict(
      error,
      `a coalition named "${input.name}" or with the ticker "${input.ticker}" already exists`,
    );
  }
  return coalition;
}

export interface CoalitionChanges {
  readonly name?: string | undefined;
  readonly ticker?: string | undefined;
  readonly description?: string | undefined;
  /** Replace the members... */
  readonly alliances?: readonly MemberRef[] | undefined;
  readonly corporations?: readonly MemberRef[] | undefined;
  /** ...or add and remove some (applied after a replacement). */
  readonly addAlliances?: readonly MemberRef[] | undefined;
  readonly removeAlliances?: readonly MemberRef[] | undefined;
  readonly addCorporations?: readonly MemberRef[] | undefined;
  readonly removeCorporations?: readonly MemberRef[] | undefined;
  readonly authorizedToLogin?: boolean | null | undefined;
  readonly mandatoryEsiScopes?: string[] | undefined;
}

async function nextMembers(
  em: EntityManager,
  kind: 'alliance' | 'corporation',
  current: readonly number[],
  replace: readonly MemberRef[] | undefined,
  add: readonly MemberRef[] | undefined,
  remove: readonly MemberRef[] | undefined,
): Promise<number[]> {
  const members = new Set(replace !== undefined ? await resolve(em, kind, replace) : current);
  for (const id of add !== undefined ? await resolve(em, kind, add) : []) members.add(id);
  for (const id of remove !== undefined ? await resolve(em, kind, remove, false) : []) members.delete(id);
  return [...members].sort((a, b) => a - b);
}

/** Applies the changes; every reference is resolved before anything is written. */
async function applyCoalitionChanges(em: EntityManager, id: string, changes: CoalitionChanges) {
  const coalition = await getCoalition(em, { id });
  const before = await describeCoalition(em, coalition);
  const allianceIds = await nextMembers(
    em,
    'alliance',
    coalition.allianceIds,
    changes.alliances,
    changes.addAlliances,
    changes.removeAlliances,
  );
  const corporationIds = await nextMembers(
    em,
    'corporation',
    coalition.corporationIds,
    changes.corporations,
    changes.addCorporations,
    changes.removeCorporations,
  );
  await refuseTaken(em, changes, id);
  if (changes.name !== undefined) coalition.name = changes.name;
  if (changes.ticker !== undefined) coalition.ticker = changes.ticker;
  if (changes.description !== undefined) coalition.description = changes.description;
  if (changes.authorizedToLogin !== undefined) coalition.authorizedToLogin = changes.authorizedToLogin;
  if (changes.mandatoryEsiScopes !== undefined) coalition.mandatoryEsiScopes = changes.mandatoryEsiScopes;
  coalition.allianceIds = allianceIds;
  coalition.corporationIds = corporationIds;
  try {
    await em.flush();
  } catch (error) {
    throw asConflict(error, `another coalition has that name or ticker`);
  }
  return { before, after: await describeCoalition(em, coalition) };
}

/** A page of coalitions, described with their members. */
export async function listCoalitions(
  em: EntityManager,
  query: { cursor?: string | null | undefined; limit: number },
) {
  const page = await findPage(em, Coalition, {}, query);
  return { items: await describeCoalitions(em, page.items), nextCursor: page.nextCursor };
}

/*
 * The use cases: each writes its change and its audit entry in one transaction
 * (services/use-case.ts). A coalition's members, login flag and scopes are login facts, so each
 * tells its notifier the directory changed once it has committed a change.
 */

const subject = (coalitionId: string) => `coalition:${coalitionId}`;

/** Creates a coalition, audited as it is described; the directory then changed. */
export async function createCoalition(app: UseCaseContext, input: CoalitionInput) {
  const after = await writeChange(app.db, app.author, async (tx, audit) => {
    const coalition = await insertCoalition(tx, input);
    const after = await describeCoalition(tx, coalition);
    audit({ action: 'coalition.create', subject: subject(coalition.id), after });
    return after;
  });
  await app.notifier.directoryChanged('coalition.create');
  return after;
}

/**
 * Changes a coalition; audited only when it changed, which `changed` says (then the directory
 * changed too).
 */
export async function updateCoalition(app: UseCaseContext, id: string, changes: CoalitionChanges) {
  const updated = await writeChange(app.db, app.author, async (tx, audit) => {
    const { before, after } = await applyCoalitionChanges(tx, id, changes);
    const changed = JSON.stringify(before) !== JSON.stringify(after);
    if (changed) audit({ action: 'coalition.update', subject: subject(id), before, after });
    return { after, changed };
  });
  if (updated.changed) await app.notifier.directoryChanged('coalition.update');
  return updated;
}

/** Deletes a coalition, audited with what it was; the directory then changed. */
export async function deleteCoalition(app: UseCaseContext, id: string): Promise<void> {
  await writeChange(app.db, app.author, async (tx, audit) => {
    const coalition = await getCoalition(tx, { id });
    const before = await describeCoalition(tx, coalition);
    await tx.nativeDelete(Coalition, { id });
    audit({ action: 'coalition.delete', subject: subject(id), before });
  });
  await app.notifier.directoryChanged('coalition.delete');
}

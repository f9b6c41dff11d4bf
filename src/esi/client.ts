/**
 * The ESI client: typed endpoints over the transport (retries, error limit, ETag cache).
 * Every reply is validated with zod and returned camelCase.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { chunk, mapWithConcurrency } from './concurrency.ts';
import { createErrorLimitGovernor } from './error-limit.ts';
import { EsiMalformedResponseError, EsiNotFoundError } from './errors.ts';
import { createResponseCache } from './response-cache.ts';
import {
  affiliationListSchema,
  allianceSchema,
  characterSchema,
  corporationSchema,
  describeIssues,
  idListSchema,
  universeIdsSchema,
  universeNameListSchema,
  type EsiAffiliation,
  type EsiAlliance,
  type EsiCharacter,
  type EsiCorporation,
  type EsiUniverseIds,
  type EsiUniverseName,
} from './schemas.ts';
import { createTransport, type EsiRequest, type TransportCounters } from './transport.ts';

export interface EsiClientOptions {
  /** Default `https://esi.evetech.net/latest`. */
  readonly baseUrl?: string;
  /** Sent on every request; CCP asks for contact details (e.g. `Roster/1.0 (admin@example.org)`). */
  readonly userAgent: string;
  /** Per attempt. Default 10 s. */
  readonly timeoutMs?: number;
  /** Attempts after the first one, for transient failures. Default 3. */
  readonly maxRetries?: number;
  /** Exponential backoff bounds between retries. Defaults 500 ms and 30 s. */
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  /** Slow down when fewer errors than this remain in ESI's window. Default 20. */
  readonly errorLimitSlowdownBelow?: number;
  /** Pause until the window resets when fewer errors than this remain. Default 5. */
  readonly errorLimitPauseBelow?: number;
  /** Upper bound of one slowdown delay. Default 5 s. */
  readonly errorLimitMaxSlowdownMs?: number;
  /** Added to a pause (ESI rounds the reset to seconds). Default 500 ms. */
  readonly errorLimitPauseMarginMs?: number;
  /** Requests in flight for pages and affiliation batches. Default 4. */
  readonly concurrency?: number;
  /** Ids per `POST /characters/affiliation/` call; ESI accepts at most 1,000. Default 1,000. */
  readonly affiliationBatchSize?: number;
  /** Ids per `POST /universe/names/` call; ESI accepts at most 1,000. Default 1,000. */
  readonly namesBatchSize?: number;
  /** Names per `POST /universe/ids/` call; ESI accepts at most 500. Default 500. */
  readonly idsBatchSize?: number;
  /** Cached GET replies kept in memory. Default 20,000. */
  readonly cacheMaxEntries?: number;
  /** Injectable for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

const defaults = {
  baseUrl: 'https://esi.evetech.net/latest',
  timeoutMs: 10_000,
  maxRetries: 3,
  backoffMinMs: 500,
  backoffMaxMs: 30_000,
  errorLimitSlowdownBelow: 20,
  errorLimitPauseBelow: 5,
  errorLimitMaxSlowdownMs: 5_000,
  errorLimitPauseMarginMs: 500,
  concurrency: 4,
  affiliationBatchSize: 1_000,
  namesBatchSize: 1_000,
  idsBatchSize: 500,
  cacheMaxEntries: 20_000,
  sleep: (ms: number) => sleep(ms),
  now: () => Date.now(),
} as const satisfies Required<Omit<EsiClientOptions, 'userAgent'>>;

export interface EsiClientStats extends Readonly<TransportCounters> {
  /** Last `X-ESI-Error-Limit-Remain` seen; null before the first reply. */
  readonly errorLimitRemain: number | null;
}

/** `fresh`: ask ESI even when the local cache holds a copy that has not expired (an operator's refresh). */
export interface ReadOptions {
  readonly fresh?: boolean;
}

/** When ESI generated the data (`Last-Modified`): of two replies that disagree, the later one is right. */
export interface Dated {
  readonly lastModified: Date | null;
}

export interface EsiClient {
  getCharacter(characterId: number): Promise<EsiCharacter>;
  getCorporation(corporationId: number, options?: ReadOptions): Promise<EsiCorporation & Dated>;
  getAlliance(allianceId: number, options?: ReadOptions): Promise<EsiAlliance & Dated>;
  /** Ids of the alliance's member corporations; dated by the oldest page. */
  getAllianceCorporations(
    allianceId: number,
    options?: ReadOptions,
  ): Promise<{ readonly corporationIds: number[] } & Dated>;
  /** Current corporation and alliance of each character ESI knows, in batches of 1,000. */
  getAffiliations(characterIds: readonly number[]): Promise<EsiAffiliation[]>;
  /**
   * `POST /universe/ids/`, 500 names a call: exact (case-insensitive) matches of characters,
   * corporations and alliances, with the names as EVE spells them. Unmatched names are absent.
   */
  resolveIds(names: readonly string[]): Promise<EsiUniverseIds>;
  /**
   * `POST /universe/names/`, 1,000 ids a call. ESI refuses a whole call (404) when one id is
   * unknown; such a call is split in halves until the unknown ids stand alone, and those are
   * left out of the result.
   */
  getNames(ids: readonly number[]): Promise<EsiUniverseName[]>;
  /** Character ids of the corporation's members; needs a director's token with
   * `esi-corporations.read_corporation_membership.v1`. */
  getCorporationMembers(corporationId: number, accessToken: string): Promise<number[]>;
  stats(): EsiClientStats;
  /** Last `X-ESI-Error-Limit-Remain` seen, for metrics. */
  errorLimitRemain(): number | null;
  clearCache(): void;
}

function assertId(kind: string, id: number): void {
  if (!Number.isSafeInteger(id) || id <= 0) throw new TypeError(`invalid ${kind} id: ${id}`);
}

export function createEsiClient(options: EsiClientOptions, logger?: Logger): EsiClient {
  if (!options.userAgent?.trim()) throw new TypeError('esi: userAgent is required (with contact info)');
  const o = { ...defaults, ...stripUndefined(options), userAgent: options.userAgent };
  for (const [key, max] of [
    ['affiliationBatchSize', 1000],
    ['namesBatchSize', 1000],
    ['idsBatchSize', 500],
  ] as const) {
    if (o[key] < 1 || o[key] > max) throw new RangeError(`esi: ${key} must be between 1 and ${max}`);
  }
  const counters: TransportCounters = {
    calls: 0,
    notModified: 0,
    cacheHits: 0,
    retries: 0,
    slowdowns: 0,
    pauses: 0,
  };
  const governor = createErrorLimitGovernor({
    slowdownBelow: o.errorLimitSlowdownBelow,
    pauseBelow: o.errorLimitPauseBelow,
    maxSlowdownMs: o.errorLimitMaxSlowdownMs,
    pauseMarginMs: o.errorLimitPauseMarginMs,
    defaultResetMs: 60_000,
    now: o.now,
  });
  const cache = createResponseCache(o.cacheMaxEntries);
  const send = createTransport(o, governor, cache, counters, logger);

  async function fetchParsed<S extends z.ZodType>(schema: S, request: EsiRequest): Promise<z.output<S>> {
    return (await fetchDated(schema, request)).value;
  }

  async function fetchDated<S extends z.ZodType>(
    schema: S,
    request: EsiRequest,
  ): Promise<{ value: z.output<S>; lastModified: Date | null }> {
    const reply = await send(request);
    const value = validate(schema, request.route, reply.body);
    return { value, lastModified: reply.lastModified === null ? null : new Date(reply.lastModified) };
  }

  /** Every page of a paginated list route (`X-Pages`), concatenated, dated by its oldest page. */
  async function fetchAllPagesDated(
    request: EsiRequest,
  ): Promise<{ ids: number[]; lastModified: Date | null }> {
    const first = await send(request);
    const rest = Array.from({ length: first.pages - 1 }, (_, i) => i + 2);
    const pages = await mapWithConcurrency(rest, o.concurrency, async (page) => {
      const reply = await send({ ...request, query: { ...request.query, page: String(page) } });
      return { ids: validate(idListSchema, request.route, reply.body), lastModified: reply.lastModified };
    });
    const dates = [first.lastModified, ...pages.map((p) => p.lastModified)];
    const lastModified = dates.some((d) => d === null) ? null : Math.min(...(dates as number[]));
    return {
      ids: [...validate(idListSchema, request.route, first.body), ...pages.flatMap((p) => p.ids)],
      lastModified: lastModified === null ? null : new Date(lastModified),
    };
  }

  async function fetchAllPages(request: EsiRequest): Promise<number[]> {
    return (await fetchAllPagesDated(request)).ids;
  }

  return {
    async getCharacter(characterId) {
      assertId('character', characterId);
      const route = '/characters/{character_id}/';
      const c = await fetchParsed(characterSchema, {
        method: 'GET',
        route,
        path: `/characters/${characterId}/`,
      });
      return { characterId, ...c };
    },
    async getCorporation(corporationId, options = {}) {
      assertId('corporation', corporationId);
      const route = '/corporations/{corporation_id}/';
      const { value, lastModified } = await fetchDated(corporationSchema, {
        method: 'GET',
        route,
        path: `/corporations/${corporationId}/`,
        fresh: options.fresh ?? false,
      });
      return { corporationId, ...value, lastModified };
    },
    async getAlliance(allianceId, options = {}) {
      assertId('alliance', allianceId);
      const route = '/alliances/{alliance_id}/';
      const { value, lastModified } = await fetchDated(allianceSchema, {
        method: 'GET',
        route,
        path: `/alliances/${allianceId}/`,
        fresh: options.fresh ?? false,
      });
      return { allianceId, ...value, lastModified };
    },
    async getAllianceCorporations(allianceId, options = {}) {
      assertId('alliance', allianceId);
      const route = '/alliances/{alliance_id}/corporations/';
      const { ids, lastModified } = await fetchAllPagesDated({
        method: 'GET',
        route,
        path: `/alliances/${allianceId}/corporations/`,
        fresh: options.fresh ?? false,
      });
      return { corporationIds: ids, lastModified };
    },
    async getAffiliations(characterIds) {
      for (const id of characterIds) assertId('character', id);
      const unique = [...new Set(characterIds)];
      const route = '/characters/affiliation/';
      const batches = await mapWithConcurrency(chunk(unique, o.affiliationBatchSize), o.concurrency, (ids) =>
        fetchParsed(affiliationListSchema, {
          method: 'POST',
          route,
          path: '/characters/affiliation/',
          body: ids,
        }),
      );
      return batches.flat();
    },
    async resolveIds(names) {
      const unique = [...new Map(names.map((n) => [n.trim().toLowerCase(), n.trim()])).values()].filter(
        (n) => n.length > 0,
      );
      const route = '/universe/ids/';
      const batches = await mapWithConcurrency(chunk(unique, o.idsBatchSize), o.concurrency, (batch) =>
        fetchParsed(universeIdsSchema, { method: 'POST', route, path: route, body: batch }),
      );
      return {
        characters: batches.flatMap((b) => b.characters),
        corporations: batches.flatMap((b) => b.corporations),
        alliances: batches.flatMap((b) => b.alliances),
      };
    },
    async getNames(ids) {
      for (const id of ids) assertId('entity', id);
      const route = '/universe/names/';
      const fetchBatch = async (batch: number[]): Promise<EsiUniverseName[]> => {
        try {
          return await fetchParsed(universeNameListSchema, {
            method: 'POST',
            route,
            path: route,
            body: batch,
          });
        } catch (error) {
          if (!(error instanceof EsiNotFoundError)) throw error;
          if (batch.length === 1) return [];
          const half = Math.ceil(batch.length / 2);
          return [...(await fetchBatch(batch.slice(0, half))), ...(await fetchBatch(batch.slice(half)))];
        }
      };
      const batches = await mapWithConcurrency(
        chunk([...new Set(ids)], o.namesBatchSize),
        o.concurrency,
        fetchBatch,
      );
      return batches.flat();
    },
    async getCorporationMembers(corporationId, accessToken) {
      assertId('corporation', corporationId);
      if (!accessToken) throw new TypeError('getCorporationMembers needs an access token');
      const route = '/corporations/{corporation_id}/members/';
      return fetchAllPages({
        method: 'GET',
        route,
        path: `/corporations/${corporationId}/members/`,
        accessToken,
      });
    },
    stats: () => ({ ...counters, errorLimitRemain: governor.lastRemain() }),
    errorLimitRemain: () => governor.lastRemain(),
    clearCache: () => cache.clear(),
  };
}

function validate<S extends z.ZodType>(schema: S, route: string, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (!result.success)
    throw new EsiMalformedResponseError(route, 200, describeIssues(result.error), result.error);
  return result.data;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * One ESI request with everything around it: the error-limit wait, the conditional-request
 * cache, a per-attempt timeout, and retries with exponential backoff on 5xx, 420 (after the
 * error-limit reset), network errors and timeouts. 4xx other than 420 are never retried.
 */
import type { Logger } from 'pino';
import { backoffDelay } from '../backoff.ts';
import { EsiError, EsiMalformedResponseError, esiErrorForStatus } from './errors.ts';
import type { ErrorLimitGovernor } from './error-limit.ts';
import { freshUntil, generatedAt, type ResponseCache } from './response-cache.ts';

export interface TransportOptions {
  readonly baseUrl: string;
  readonly userAgent: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

export interface EsiRequest {
  readonly method: 'GET' | 'POST';
  /** Route template, for errors, logs and metrics. */
  readonly route: string;
  /** Concrete path below the base URL, e.g. `/characters/90000001/`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly accessToken?: string;
  /**
   * Skip the local cache's fresh copy and ask ESI (an operator's refresh): the ETag is still
   * sent, so unchanged data costs a 304.
   */
  readonly fresh?: boolean;
}

export interface EsiReply {
  readonly body: unknown;
  /** `X-Pages`, 1 when absent. */
  readonly pages: number;
  /** When ESI generated this data (`Last-Modified`), epoch ms; null when ESI did not say. */
  readonly lastModified: number | null;
}

export interface TransportCounters {
  calls: number;
  notModified: number;
  cacheHits: number;
  retries: number;
  slowdowns: number;
  pauses: number;
}

export type Transport = (request: EsiRequest) => Promise<EsiReply>;

function buildUrl(baseUrl: string, request: EsiRequest): string {
  const url = new URL(baseUrl.replace(/\/+$/, '') + request.path);
  for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value);
  return url.href;
}

function readPages(headers: Headers): number {
  const pages = Number(headers.get('x-pages') ?? '1');
  return Number.isInteger(pages) && pages >= 1 ? pages : 1;
}

function esiMessageOf(text: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'error' in parsed) {
      return typeof parsed.error === 'string' ? parsed.error.slice(0, 200) : undefined;
    }
  } catch {
    // not JSON: no message
  }
  return undefined;
}

function describeFailure(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return 'timed out';
  }
  return error instanceof Error ? error.message : String(error);
}

export function createTransport(
  options: TransportOptions,
  governor: ErrorLimitGovernor,
  cache: ResponseCache,
  counters: TransportCounters,
  logger?: Logger,
): Transport {
  const policy = { minMs: options.backoffMinMs, maxMs: options.backoffMaxMs, jitter: 'equal' } as const;
  const backoff = (attempt: number): number => backoffDelay(attempt, policy);

  const waitForErrorLimit = async (route: string): Promise<void> => {
    for (;;) {
      const wait = governor.nextWait();
      if (wait.kind === 'none') return;
      if (wait.kind === 'pause') counters.pauses += 1;
      else counters.slowdowns += 1;
      logger?.[wait.kind === 'pause' ? 'warn' : 'debug'](
        { route, waitMs: wait.ms, errorLimitRemain: governor.lastRemain() },
        wait.kind === 'pause' ? 'esi:error-limit-pause' : 'esi:error-limit-slowdown',
      );
      await options.sleep(wait.ms);
      if (wait.kind === 'slowdown') return;
    }
  };

  return async function send(request) {
    const url = buildUrl(options.baseUrl, request);
    const cacheable = request.method === 'GET';
    const cached = cacheable ? cache.get(url) : undefined;
    // Authenticated replies are always revalidated, so that ESI still checks the token.
    if (cached && !request.fresh && request.accessToken === undefined && cached.expiresAt > options.now()) {
      counters.cacheHits += 1;
      return { body: cached.body, pages: cached.pages, lastModified: cached.lastModified };
    }

    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': options.userAgent,
    };
    if (request.accessToken !== undefined) headers.authorization = `Bearer ${request.accessToken}`;
    if (cached?.etag) headers['if-none-match'] = cached.etag;
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);

    let lastError: EsiError | undefined;
    for (let attempt = 0; attempt <= options.maxRetries; attempt += 1) {
      if (attempt > 0) counters.retries += 1;
      await waitForErrorLimit(request.route);
      counters.calls += 1;
      let status: number;
      let replyHeaders: Headers;
      let text: string;
      try {
        const response = await fetch(url, {
          method: request.method,
          headers,
          body,
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        status = response.status;
        replyHeaders = response.headers;
        text = await response.text();
      } catch (error) {
        lastError = new EsiError(`ESI ${request.route}: ${describeFailure(error)}`, {
          status: null,
          route: request.route,
          transient: true,
          cause: error,
        });
        logger?.debug({ route: request.route, attempt, err: lastError.message }, 'esi:retry');
        if (attempt < options.maxRetries) await options.sleep(backoff(attempt));
        continue;
      }
      governor.observe(replyHeaders);

      if (status === 304 && cached) {
        counters.notModified += 1;
        cached.expiresAt = freshUntil(replyHeaders, options.now());
        // Unchanged as of this reply: ESI's newer Last-Modified dates the same data.
        cached.lastModified = generatedAt(replyHeaders) ?? cached.lastModified;
        return { body: cached.body, pages: cached.pages, lastModified: cached.lastModified };
      }
      if (status >= 200 && status < 300) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch (error) {
          throw new EsiMalformedResponseError(request.route, status, 'body is not JSON', error);
        }
        const pages = readPages(replyHeaders);
        const lastModified = generatedAt(replyHeaders);
        if (cacheable) {
          const etag = replyHeaders.get('etag');
          const expiresAt = freshUntil(replyHeaders, options.now());
          if (etag !== null || expiresAt > options.now()) {
            cache.set(url, { body: parsed, etag, expiresAt, pages, lastModified });
          }
        }
        return { body: parsed, pages, lastModified };
      }

      lastError = esiErrorForStatus(request.route, status, esiMessageOf(text));
      if (status === 420) {
        governor.limited(replyHeaders);
        logger?.warn({ route: request.route, attempt }, 'esi:error-limited');
        continue; // the next attempt waits for the reset in waitForErrorLimit
      }
      if (!lastError.transient) throw lastError;
      logger?.debug({ route: request.route, attempt, status }, 'esi:retry');
      if (attempt < options.maxRetries) await options.sleep(backoff(attempt));
    }
    throw (
      lastError ??
      new EsiError(`ESI ${request.route}: no attempt made`, {
        status: null,
        route: request.route,
        transient: true,
      })
    );
  };
}

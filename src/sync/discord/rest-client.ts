import { DefaultRestOptions, DiscordAPIError, HTTPError, RateLimitError, REST, RESTEvents } from 'discord.js';
import type { Logger } from 'pino';
import { backoffDelay, type Jitter } from '../../backoff.ts';
import type { ResolvedDiscordOptions } from './options.ts';

/** What the REST client saw of Discord's rate limits and failures since the target was created. */
export interface RateLimitStats {
  /** Times @discordjs/rest waited before sending because a bucket or the global limit was spent. */
  readonly waits: number;
  /** Sum of those waits, in milliseconds. */
  readonly waitedMs: number;
  /** 429 responses received (each one retried by @discordjs/rest after `retry_after`). */
  readonly received429: number;
  /** Of those, global 429s (`X-RateLimit-Global`). */
  readonly global429: number;
  readonly serverErrors: number;
  readonly networkErrors: number;
  /** Retries with backoff this adapter made after @discordjs/rest gave up. */
  readonly backoffRetries: number;
}

/**
 * Equal jitter (between half the exponential delay and all of it): a member-edit batch sends
 * `concurrency` requests at once, so a Discord outage fails them together, and without jitter they
 * would all come back at the same instants, again and again. The longest wait is unchanged.
 */
const RETRY_JITTER: Jitter = 'equal';

type Counters = { -readonly [K in keyof RateLimitStats]: number };

/**
 * A @discordjs/rest client (buckets, 429s, global limit, immediate retries) whose every HTTP
 * attempt is counted, plus a backoff retry for what it gives up on.
 */
export class DiscordRest {
  readonly rest: REST;
  /**
   * The same, without @discordjs/rest's immediate retries, for calls that must not be repeated
   * blindly after a lost answer (creating a role, exchanging a single-use code).
   */
  readonly restOnce: REST;
  #calls = 0;
  readonly #byRoute = new Map<string, number>();
  readonly #counters: Counters = {
    waits: 0,
    waitedMs: 0,
    received429: 0,
    global429: 0,
    serverErrors: 0,
    networkErrors: 0,
    backoffRetries: 0,
  };
  readonly #options: ResolvedDiscordOptions;
  readonly #logger: Logger | undefined;
  /** The last bot-authenticated answer was a 401. */
  #botTokenRejected = false;

  constructor(options: ResolvedDiscordOptions, logger?: Logger) {
    this.#options = options;
    this.#logger = logger;
    this.rest = this.#create(options.restRetries);
    this.restOnce = this.#create(0);
  }

  #create(retries: number): REST {
    const options = this.#options;
    const rest = new REST({
      api: options.apiBaseUrl,
      version: '10',
      retries,
      timeout: options.timeoutMs,
      globalRequestsPerSecond: options.globalRequestsPerSecond,
      offset: options.rateLimitOffsetMs,
      makeRequest: (url, init) => this.#send(url, init),
    }).setToken(options.token);
    // After a 401 @discordjs/rest forgets the token, and every later call fails with "Expected
    // token to be set for this request": the token is kept, so each call gets Discord's own 401,
    // which `withBackoff` turns into a DiscordTokenRejectedError that says what is wrong.
    const setToken = rest.setToken.bind(rest);
    rest.setToken = (token: string | null) => setToken(token ?? options.token);
    // @discordjs/rest adds an 'abort' listener to the caller's signal for every request and never
    // removes it. The target passes one signal that lives as long as it does (stop() aborts it), so
    // each request would leave its listener, AbortController and fetch state behind (the soak
    // benchmark's heap grew ~0.5 MB a run): every request gets a signal of its own instead, tied to
    // the caller's only while the request lasts.
    const queueRequest = rest.queueRequest.bind(rest);
    rest.queueRequest = async (request) => {
      const outer = request.signal;
      if (!outer) return queueRequest(request);
      const inner = new AbortController();
      const abort = () => inner.abort(outer.reason);
      if (outer.aborted) abort();
      else outer.addEventListener('abort', abort, { once: true });
      try {
        return await queueRequest({ ...request, signal: inner.signal });
      } finally {
        outer.removeEventListener('abort', abort);
      }
    };
    rest.on(RESTEvents.RateLimited, (info) => {
      this.#counters.waits++;
      this.#counters.waitedMs += Math.max(0, info.timeToReset);
      this.#logger?.debug(
        { route: info.route, global: info.global, waitMs: info.timeToReset },
        'discord: waiting for rate limit',
      );
    });
    return rest;
  }

  async #send(url: string, init: Parameters<typeof DefaultRestOptions.makeRequest>[1]) {
    this.#calls++;
    const route = `${init.method ?? 'GET'} ${new URL(url).pathname.replace(/\/api(\/v\d+)?/, '').replaceAll(/\d{17,20}/g, ':id')}`;
    this.#byRoute.set(route, (this.#byRoute.get(route) ?? 0) + 1);
    try {
      const res = await DefaultRestOptions.makeRequest(url, init);
      const auth =
        new Headers(init.headers as ConstructorParameters<typeof Headers>[0]).get('authorization') ?? '';
      if (auth.startsWith('Bot ')) this.#botTokenRejected = res.status === 401;
      if (res.status === 429) {
        this.#counters.received429++;
        const global = res.headers.get('x-ratelimit-global') !== null;
        if (global) this.#counters.global429++;
        this.#logger?.warn(
          { route, global, retryAfter: res.headers.get('retry-after') },
          'discord: 429 received',
        );
      } else if (res.status >= 500) {
        this.#counters.serverErrors++;
        this.#logger?.warn({ route, status: res.status }, 'discord: server error');
      }
      return res;
    } catch (error) {
      this.#counters.networkErrors++;
      this.#logger?.warn({ route, err: String(error) }, 'discord: network error');
      throw error;
    }
  }

  /** HTTP requests issued (attempts, retries included). */
  calls(): number {
    return this.#calls;
  }

  /** Requests issued per `METHOD /route/:id`. */
  callsByRoute(): Record<string, number> {
    return Object.fromEntries(this.#byRoute);
  }

  stats(): RateLimitStats {
    return { ...this.#counters };
  }

  /**
   * Runs `call`, retrying with exponential backoff on 5xx and network errors that @discordjs/rest
   * already gave up on. Discord's 4xx answers (DiscordAPIError) are never retried.
   */
  async withBackoff<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (error instanceof DiscordAPIError && error.status === 401 && this.#botTokenRejected)
          throw new DiscordTokenRejectedError(this.#options.name, error);
        if (attempt >= this.#options.backoffRetries || !isRetryable(error) || signal?.aborted) throw error;
        const delay = this.retryDelay(attempt);
        this.#counters.backoffRetries++;
        this.#logger?.info(
          { attempt: attempt + 1, delayMs: delay, err: describeError(error) },
          'discord: retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** The wait before retry `attempt` (0-based) of a call Discord failed (5xx, network). */
  retryDelay(attempt: number): number {
    const { backoffBaseMs: minMs, backoffMaxMs: maxMs } = this.#options;
    return backoffDelay(attempt, { minMs, maxMs, jitter: RETRY_JITTER });
  }

  close(): void {
    for (const rest of [this.rest, this.restOnce]) {
      rest.clearHashSweeper();
      rest.clearHandlerSweeper();
    }
  }
}

/** Discord answered 401 to the bot's token: wrong, or reset in the developer portal. Never retried. */
export class DiscordTokenRejectedError extends Error {
  override readonly name = 'DiscordTokenRejectedError';
  constructor(target: string, cause: unknown) {
    super(
      `Discord rejected the bot token (401 Unauthorized) of target "${target}": set discord.targets[].token ` +
        '(ROSTER_DISCORD__TARGETS__<n>__TOKEN) to the bot token of the developer portal',
      { cause },
    );
  }
}

export function isRetryable(error: unknown): boolean {
  if (error instanceof DiscordTokenRejectedError) return false;
  if (error instanceof DiscordAPIError || error instanceof RateLimitError) return false;
  return error instanceof HTTPError || error instanceof Error;
}

/** The Discord JSON error code of an error (50013, 10007, ...), if it is one. */
export function discordCode(error: unknown): number | string | undefined {
  return error instanceof DiscordAPIError ? error.code : undefined;
}

/** A log- and report-safe description of an error (no request bodies, no tokens). */
export function describeError(error: unknown): string {
  if (error instanceof DiscordTokenRejectedError) return error.message;
  if (error instanceof DiscordAPIError) return `${error.message} (${error.code}, HTTP ${error.status})`;
  if (error instanceof HTTPError) return `HTTP ${error.status} ${error.message}`;
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: unknown } }).cause?.code;
    return `${error.name}: ${error.message}${typeof cause === 'string' ? ` (${cause})` : ''}`;
  }
  return String(error);
}

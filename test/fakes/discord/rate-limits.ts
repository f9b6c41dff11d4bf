import { createHash } from 'node:crypto';

/** `limit` requests per fixed window of `windowMs`, the window opening at its first request. */
export interface RateWindow {
  readonly limit: number;
  readonly windowMs: number;
}

export interface RateLimitOptions {
  /** Editing members (PATCH member, PUT/DELETE member role): one bucket per guild. Discord: 10 per 10 s. */
  readonly memberEdit?: RateWindow;
  /** Every other route, one bucket per route and major parameter. */
  readonly route?: RateWindow;
  /** All requests of the bot together. Discord: 50 per second. */
  readonly global?: RateWindow;
}

export const defaultRateLimits = {
  memberEdit: { limit: 10, windowMs: 10_000 },
  route: { limit: 10, windowMs: 1_000 },
  global: { limit: 50, windowMs: 1_000 },
} as const satisfies Required<RateLimitOptions>;

export type BucketKind = 'memberEdit' | 'route';

export interface LimitVerdict {
  readonly ok: boolean;
  readonly headers: Record<string, string>;
  /** Set when refused. */
  readonly retryAfterMs?: number;
  readonly global?: boolean;
}

class FixedWindow {
  readonly window: RateWindow;
  count = 0;
  resetAt = 0;

  constructor(window: RateWindow) {
    this.window = window;
  }

  /** Counts a request if the window has room; returns whether it had. */
  take(now: number): boolean {
    if (now >= this.resetAt) {
      this.count = 0;
      this.resetAt = now + this.window.windowMs;
    }
    if (this.count >= this.window.limit) return false;
    this.count++;
    return true;
  }

  remaining(): number {
    return Math.max(0, this.window.limit - this.count);
  }
}

const seconds = (ms: number): string => (Math.max(0, ms) / 1000).toFixed(3);

/** Discord-style per-bucket and global limits, answering with Discord's headers. */
export class RateLimiter {
  readonly #limits: Required<RateLimitOptions>;
  readonly #buckets = new Map<string, FixedWindow>();
  readonly #global: FixedWindow;

  constructor(options: RateLimitOptions = {}) {
    this.#limits = { ...defaultRateLimits, ...options };
    this.#global = new FixedWindow(this.#limits.global);
  }

  /** The opaque bucket hash Discord reports (shared by every guild; the major parameter splits state). */
  static bucketHash(name: string): string {
    return createHash('sha1').update(name).digest('hex').slice(0, 32);
  }

  global(now: number): LimitVerdict {
    if (this.#global.take(now)) return { ok: true, headers: {} };
    const retryAfterMs = this.#global.resetAt - now;
    return {
      ok: false,
      global: true,
      retryAfterMs,
      headers: {
        'X-RateLimit-Global': 'true',
        'X-RateLimit-Scope': 'global',
        'Retry-After': seconds(retryAfterMs),
      },
    };
  }

  /** Takes one request from the bucket `name` for `major` (the guild id). */
  bucket(kind: BucketKind, name: string, major: string, now: number): LimitVerdict {
    const hash = RateLimiter.bucketHash(name);
    const key = `${hash}:${major}`;
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = new FixedWindow(this.#limits[kind]);
      this.#buckets.set(key, bucket);
    }
    const ok = bucket.take(now);
    const resetAfterMs = bucket.resetAt - now;
    const headers: Record<string, string> = {
      'X-RateLimit-Limit': String(bucket.window.limit),
      'X-RateLimit-Remaining': String(bucket.remaining()),
      'X-RateLimit-Reset': seconds(bucket.resetAt),
      'X-RateLimit-Reset-After': seconds(resetAfterMs),
      'X-RateLimit-Bucket': hash,
    };
    if (ok) return { ok, headers };
    return {
      ok,
      global: false,
      retryAfterMs: resetAfterMs,
      headers: { ...headers, 'X-RateLimit-Scope': 'user', 'Retry-After': seconds(resetAfterMs) },
    };
  }

  /** Current state of a bucket, for tests. */
  peek(name: string, major: string): { remaining: number; resetAt: number } | undefined {
    const bucket = this.#buckets.get(`${RateLimiter.bucketHash(name)}:${major}`);
    return bucket && { remaining: bucket.remaining(), resetAt: bucket.resetAt };
  }
}

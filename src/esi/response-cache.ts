/**
 * In-memory HTTP cache of ESI GET replies, keyed by URL: the raw JSON body with its ETag,
 * `Expires` and `X-Pages`. Within `Expires` a body is served without a call; after it the
 * ETag makes the revalidation cost a 304. Bounded: the least recently used entry goes first.
 */

export interface CacheEntry {
  readonly body: unknown;
  readonly etag: string | null;
  /** Epoch ms after which the entry must be revalidated. */
  expiresAt: number;
  readonly pages: number;
  /** When ESI generated this data (`Last-Modified`, else `Date`), epoch ms; revalidation moves it. */
  lastModified: number | null;
}

export interface ResponseCache {
  get(url: string): CacheEntry | undefined;
  set(url: string, entry: CacheEntry): void;
  clear(): void;
  readonly size: number;
}

export function createResponseCache(maxEntries: number): ResponseCache {
  const entries = new Map<string, CacheEntry>();
  return {
    get(url) {
      const entry = entries.get(url);
      if (entry !== undefined) {
        // Re-insert to mark it as most recently used.
        entries.delete(url);
        entries.set(url, entry);
      }
      return entry;
    },
    set(url, entry) {
      entries.delete(url);
      entries.set(url, entry);
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
    },
    clear: () => entries.clear(),
    get size() {
      return entries.size;
    },
  };
}

/**
 * Epoch ms (on our clock) until which a reply is fresh, or 0 when it has no readable `Expires`.
 * The lifetime is `Expires - Date` as the server counts it, added to our `now`, so a skewed
 * local clock neither keeps stale data nor throws fresh data away.
 */
export function freshUntil(headers: Headers, now: number): number {
  const expires = Date.parse(headers.get('expires') ?? '');
  if (Number.isNaN(expires)) return 0;
  const served = Date.parse(headers.get('date') ?? '');
  return Number.isNaN(served) ? expires : now + (expires - served);
}

/** When ESI generated the data of a reply: `Last-Modified`, else `Date`, as epoch ms; null for neither. */
export function generatedAt(headers: Headers): number | null {
  for (const name of ['last-modified', 'date']) {
    const at = Date.parse(headers.get(name) ?? '');
    if (!Number.isNaN(at)) return at;
  }
  return null;
}

/** Counts failed authentications per address in a sliding minute; past the limit the address waits. */
export interface AuthLimiter {
  fail(ip: string): void;
  blocked(ip: string): boolean;
  /** Addresses remembered now (bounded: see `createAuthLimiter`). */
  size(): number;
}

export interface AuthLimiterOptions {
  /** Most addresses remembered at once; past it the address seen least recently is forgotten. */
  readonly maxAddresses?: number;
}

const WINDOW_MS = 60_000;

/**
 * The map of addresses stays bounded whatever the traffic: an address whose failures are all
 * older than the window is swept (at most once a window, so a sweep costs O(1) per call
 * amortized), and at most `maxAddresses` are held, the least recently failing dropped first.
 */
export function createAuthLimiter(
  maxPerMinute: number,
  now: () => number = Date.now,
  options: AuthLimiterOptions = {},
): AuthLimiter {
  const maxAddresses = options.maxAddresses ?? 10_000;
  // Insertion order = order of the last failure (an address is re-inserted when it fails again).
  const failures = new Map<string, number[]>();
  let lastSweep = now();
  const sweep = () => {
    if (now() - lastSweep < WINDOW_MS) return;
    lastSweep = now();
    const cutoff = lastSweep - WINDOW_MS;
    for (const [ip, list] of failures) {
      if (list[list.length - 1]! > cutoff) break; // later entries failed more recently
      failures.delete(ip);
    }
  };
  const recent = (ip: string) => {
    const cutoff = now() - WINDOW_MS;
    const list = (failures.get(ip) ?? []).filter((t) => t > cutoff);
    if (!list.length) failures.delete(ip);
    return list;
  };
  return {
    fail(ip) {
      sweep();
      const list = recent(ip);
      list.push(now());
      failures.delete(ip);
      failures.set(ip, list);
      while (failures.size > maxAddresses) failures.delete(failures.keys().next().value!);
    },
    blocked: (ip) => {
      sweep();
      const list = recent(ip);
      if (list.length) failures.set(ip, list);
      return list.length >= maxPerMinute;
    },
    size: () => failures.size,
  };
}

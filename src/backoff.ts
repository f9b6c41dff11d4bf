/**
 * The delay before a retry: exponential (minMs, doubled each attempt, capped at maxMs), then
 * spread by a jitter so that many clients failing together (a platform outage, a dropped link)
 * do not all come back at the same instant. Pure: the random source is passed in for tests.
 */

/**
 * How the delay is spread below (or around) the exponential ceiling:
 * - `none`: the ceiling itself;
 * - `equal`: between half the ceiling and the ceiling ("equal jitter": never longer than the
 *   ceiling, never shorter than half of it);
 * - `{ spread: r }`: within ±r of the ceiling (r = 0.1 is ±10 %), never above `maxMs`.
 */
export type Jitter = 'none' | 'equal' | { readonly spread: number };

export interface BackoffPolicy {
  /** The first delay (attempt 0), in milliseconds. */
  readonly minMs: number;
  /** The longest delay, in milliseconds. */
  readonly maxMs: number;
  readonly jitter: Jitter;
}

/** Doubling stops here: 2 ** 30 times any sane minimum is past any sane maximum, and it keeps 0 * Infinity out. */
const MAX_DOUBLINGS = 30;

/** The exponential ceiling of `attempt` (0-based), before jitter. */
export function backoffCeiling(attempt: number, policy: Pick<BackoffPolicy, 'minMs' | 'maxMs'>): number {
  return Math.min(policy.maxMs, policy.minMs * 2 ** Math.min(Math.max(attempt, 0), MAX_DOUBLINGS));
}

/** The delay in whole milliseconds before retry `attempt` (0-based). `random` returns [0, 1). */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = backoffCeiling(attempt, policy);
  const { jitter } = policy;
  if (jitter === 'none') return Math.round(ceiling);
  if (jitter === 'equal') return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  const spread = ceiling * (1 - jitter.spread + random() * 2 * jitter.spread);
  return Math.round(Math.min(policy.maxMs, spread));
}

/**
 * ESI's error limit as a small state machine: every reply carries `X-ESI-Error-Limit-Remain`
 * (errors left in the window) and `X-ESI-Error-Limit-Reset` (seconds until the window resets).
 * Before each request the client asks how long to wait: nothing while the budget is healthy,
 * a spread-out delay once it runs low, and a pause until the reset when it is nearly spent,
 * so that the 420 (and the IP ban that follows repeated 420s) is never reached.
 */

export interface ErrorLimitOptions {
  /** Slow down when fewer errors than this remain. */
  readonly slowdownBelow: number;
  /** Pause until the window resets when fewer errors than this remain. */
  readonly pauseBelow: number;
  /** Upper bound of one slowdown delay. */
  readonly maxSlowdownMs: number;
  /** Added to a pause, because ESI rounds the reset to whole seconds. */
  readonly pauseMarginMs: number;
  /** Used for a 420 that carries no reset header. */
  readonly defaultResetMs: number;
  readonly now: () => number;
}

export type ErrorLimitWait =
  { readonly kind: 'none' } | { readonly kind: 'slowdown' | 'pause'; readonly ms: number };

export interface ErrorLimitGovernor {
  /** Reads the error-limit headers of any reply. */
  observe(headers: Headers): void;
  /** Records a 420: the budget is spent until the reset. */
  limited(headers: Headers): void;
  /** How long to wait before the next request. */
  nextWait(): ErrorLimitWait;
  /** The last `X-ESI-Error-Limit-Remain` seen, for metrics; null before the first reply. */
  lastRemain(): number | null;
}

function readNumber(headers: Headers, name: string): number | null {
  const raw = headers.get(name);
  if (raw === null || raw.trim() === '') return null;
  const value = Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : null;
}

export function createErrorLimitGovernor(options: ErrorLimitOptions): ErrorLimitGovernor {
  // The window currently known: errors left and when it resets (epoch ms). Null when unknown.
  let remain: number | null = null;
  let resetAt: number | null = null;
  let lastSeen: number | null = null;

  return {
    observe(headers) {
      const r = readNumber(headers, 'x-esi-error-limit-remain');
      const reset = readNumber(headers, 'x-esi-error-limit-reset');
      if (r === null) return;
      lastSeen = r;
      if (reset === null) return;
      remain = r;
      resetAt = options.now() + reset * 1000;
    },
    limited(headers) {
      const reset = readNumber(headers, 'x-esi-error-limit-reset');
      remain = 0;
      lastSeen = 0;
      resetAt = options.now() + (reset === null ? options.defaultResetMs : reset * 1000);
    },
    nextWait() {
      if (remain === null || resetAt === null) return { kind: 'none' };
      const untilReset = resetAt - options.now();
      if (untilReset <= 0) {
        // The window has turned over; the budget is full again until a reply says otherwise.
        remain = null;
        resetAt = null;
        return { kind: 'none' };
      }
      if (remain <= 0 || remain < options.pauseBelow) {
        return { kind: 'pause', ms: untilReset + options.pauseMarginMs };
      }
      if (remain < options.slowdownBelow) {
        // Spread what is left of the window over the errors that may still be spent.
        const budget = Math.max(1, remain - options.pauseBelow + 1);
        return { kind: 'slowdown', ms: Math.min(options.maxSlowdownMs, Math.ceil(untilReset / budget)) };
      }
      return { kind: 'none' };
    },
    lastRemain: () => lastSeen,
  };
}

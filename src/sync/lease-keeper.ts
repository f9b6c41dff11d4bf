/**
 * The leases one daemon holds, kept alive by one heartbeat while it holds any: every
 * `heartbeatMs` each lease is renewed for `ttlMs` with one guarded write. A daemon that dies
 * stops renewing, so its leases lapse within `ttlMs` and another daemon takes over; no lease
 * outlives its holder by more than that. The clock and the timers are passed in (tests drive them).
 */
import type { Logger } from '../logger.ts';
import type { Database } from '../store/orm.ts';
import { acquireLease, releaseLease, renewLease, type LeaseAttempt } from '../store/lease.ts';

export interface LeaseTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface LeaseKeeperOptions {
  /** This daemon's name in the leases it holds. */
  readonly holder: string;
  readonly ttlMs: number;
  readonly heartbeatMs: number;
  readonly now: () => Date;
  readonly timers?: LeaseTimers;
  /** A held lease was found taken by someone else at a heartbeat (ours had lapsed). */
  readonly onLost?: (id: string) => void;
}

export interface LeaseKeeper {
  /** Takes the lease (see `acquireLease`) and, if taken, renews it until `drop`. */
  hold(id: string): Promise<LeaseAttempt>;
  /**
   * Stops renewing the lease; `release` also gives it up at once, and then resolves false when it
   * was no longer ours (it lapsed and someone took it).
   */
  drop(id: string, release: boolean): Promise<boolean>;
  /** Renews every held lease now (what each heartbeat does). */
  beat(): Promise<void>;
  held(): readonly string[];
}

const systemTimers: LeaseTimers = {
  setInterval: (fn, ms) => {
    const handle = setInterval(fn, ms);
    // The heartbeat alone must not keep a process alive.
    handle.unref();
    return handle;
  },
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

export function createLeaseKeeper(db: Database, options: LeaseKeeperOptions, logger: Logger): LeaseKeeper {
  const timers = options.timers ?? systemTimers;
  const held = new Set<string>();
  let timer: unknown = null;
  let beating: Promise<void> | null = null;

  function schedule() {
    if (held.size > 0 && timer === null) timer = timers.setInterval(() => void beat(), options.heartbeatMs);
    if (held.size === 0 && timer !== null) {
      timers.clearInterval(timer);
      timer = null;
    }
  }

  async function renewAll() {
    for (const id of [...held]) {
      try {
        const kept = await renewLease(db.fork(), id, options.holder, options.ttlMs, options.now());
        if (kept || !held.has(id)) continue;
        held.delete(id);
        logger.error({ lease: id }, 'lease lost: it lapsed and another daemon took it');
        options.onLost?.(id);
      } catch (error) {
        // A database blip: the next beat tries again, well before the lease lapses.
        logger.warn({ err: error, lease: id }, 'could not renew a lease');
      }
    }
    schedule();
  }

  /** One beat at a time: a slow database must not pile renewals up. */
  function beat(): Promise<void> {
    beating ??= renewAll().finally(() => (beating = null));
    return beating;
  }

  return {
    async hold(id) {
      const attempt = await acquireLease(db.fork(), id, options.holder, options.ttlMs, options.now());
      if (attempt.acquired) {
        held.add(id);
        schedule();
      }
      return attempt;
    },
    async drop(id, release) {
      held.delete(id);
      schedule();
      return release ? releaseLease(db.fork(), id, options.holder) : true;
    },
    beat,
    held: () => [...held],
  };
}

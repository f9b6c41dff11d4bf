import type { EntityManager } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Lease } from './entities/index.ts';

/** Who holds a lease, since when, and until when it lives unless renewed. */
export interface LeaseHolding {
  readonly holder: string;
  readonly since: Date;
  readonly until: Date;
}

export type LeaseAttempt =
  /** `takenOver`: the previous holder, whose lease had lapsed (it stopped renewing: dead or cut off). */
  | { readonly acquired: true; readonly takenOver: LeaseHolding | null }
  | { readonly acquired: false; readonly heldBy: LeaseHolding | null };

const holdingOf = (row: Lease): LeaseHolding => ({
  holder: row.holder,
  since: row.since ?? row.until,
  until: row.until,
});

/**
 * Takes a named lease with one guarded write (free, lapsed, or already ours), so two daemons on
 * one database never do the same work at once. A lapsed lease is taken with a compare-and-set on
 * the holder and expiry just read, so of several takers exactly one wins and learns whom it took
 * over from. Works on PostgreSQL, PGlite and MongoDB alike.
 */
export async function acquireLease(
  em: EntityManager,
  id: string,
  holder: string,
  ttlMs: number,
  now: Date = new Date(),
): Promise<LeaseAttempt> {
  const until = new Date(now.getTime() + ttlMs);
  const current = await em.findOne(Lease, { id }, { disableIdentityMap: true });
  if (!current) {
    try {
      await em.insert(Lease, { id, holder, since: now, until });
      return { acquired: true, takenOver: null };
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      const winner = await em.findOne(Lease, { id }, { disableIdentityMap: true });
      return { acquired: false, heldBy: winner ? holdingOf(winner) : null };
    }
  }
  const ours = current.holder === holder;
  const lapsed = current.until.getTime() < now.getTime();
  if (!ours && !lapsed) return { acquired: false, heldBy: holdingOf(current) };
  const taken = await em.nativeUpdate(
    Lease,
    { id, holder: current.holder, until: current.until },
    { holder, until, since: ours && !lapsed ? (current.since ?? now) : now },
  );
  if (taken === 0) {
    const winner = await em.findOne(Lease, { id }, { disableIdentityMap: true });
    return { acquired: false, heldBy: winner ? holdingOf(winner) : null };
  }
  // A released lease (until = epoch) was given up, not lost: nobody to take over from.
  const released = current.until.getTime() === 0;
  return { acquired: true, takenOver: ours || released ? null : holdingOf(current) };
}

/**
 * The heartbeat: pushes the expiry of a lease this holder still has, in one guarded write.
 * False when someone else took it meanwhile (the holder's renewals stopped long enough for it to
 * lapse): the caller has lost it.
 */
export async function renewLease(
  em: EntityManager,
  id: string,
  holder: string,
  ttlMs: number,
  now: Date = new Date(),
): Promise<boolean> {
  return (await em.nativeUpdate(Lease, { id, holder }, { until: new Date(now.getTime() + ttlMs) })) > 0;
}

/** Gives a lease up (expires it at once); only its holder can. False when it was no longer ours. */
export async function releaseLease(em: EntityManager, id: string, holder: string): Promise<boolean> {
  return (await em.nativeUpdate(Lease, { id, holder }, { until: new Date(0) })) > 0;
}

/** Which of these leases are alive (held and not lapsed) now. */
export async function liveLeases(
  em: EntityManager,
  ids: readonly string[],
  now: Date = new Date(),
): Promise<Map<string, LeaseHolding>> {
  if (ids.length === 0) return new Map();
  const rows = await em.find(
    Lease,
    { id: { $in: [...ids] }, until: { $gte: now } },
    { disableIdentityMap: true },
  );
  return new Map(rows.map((row) => [row.id, holdingOf(row)]));
}

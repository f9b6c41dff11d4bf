import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { idProperty } from './common.ts';

export const SyncRun = defineEntity({
  name: 'SyncRun',
  tableName: 'sync_runs',
  indexes: [{ properties: ['platform', 'target', 'startedAt'] }],
  properties: {
    id: idProperty(),
    platform: p.enum(['teamspeak', 'discord'] as const),
    target: p.string().length(64),
    status: p.enum(['running', 'applied', 'planned', 'refused', 'failed', 'abandoned'] as const),
    /** The daemon that ran it (its lease holder name); a run whose daemon is gone is closed as abandoned. */
    holder: p.string().length(64).nullable(),
    dryRun: p.boolean(),
    forced: p.boolean(),
    trigger: p.string().length(64),
    startedAt: p.datetime(),
    finishedAt: p.datetime().nullable(),
    creates: p.integer(),
    renames: p.integer(),
    adds: p.integer(),
    removes: p.integer(),
    nicknames: p.integer(),
    heldRemovals: p.integer(),
    drift: p.integer(),
    skipped: p.json<{ accountId: string; groupId?: string; groupName?: string; reason: string }[]>(),
    callsIssued: p.integer(),
    errors: p.json<string[]>(),
    refusedReason: p.text().nullable(),
    managedMemberships: p.integer(),
  },
});
export type SyncRun = InferEntity<typeof SyncRun>;

/** When each planned removal was first planned, for `sync.removalGraceMinutes`. */
export const PendingRemoval = defineEntity({
  name: 'PendingRemoval',
  tableName: 'pending_removals',
  uniques: [{ properties: ['platform', 'target', 'platformGroupId', 'accountId'] }],
  properties: {
    id: idProperty(),
    platform: p.enum(['teamspeak', 'discord'] as const),
    target: p.string().length(64),
    platformGroupId: p.string().length(32),
    accountId: p.string().length(32),
    firstPlannedAt: p.datetime(),
  },
});
export type PendingRemoval = InferEntity<typeof PendingRemoval>;

/**
 * What Roster left on a target after its last applied run, per platform group: the next run
 * tells drift (changes made by hand on the platform) from changes of the directory.
 */
export const SyncSnapshot = defineEntity({
  name: 'SyncSnapshot',
  tableName: 'sync_snapshots',
  properties: {
    id: idProperty(),
    members: p.json<Record<string, string[]>>(),
    updatedAt: p.datetime(),
  },
});
export type SyncSnapshot = InferEntity<typeof SyncSnapshot>;

/** A lease taken with one conditional update, so two daemons never reconcile one target at once. */
export const Lease = defineEntity({
  name: 'Lease',
  tableName: 'leases',
  properties: {
    id: idProperty(),
    holder: p.string().length(64),
    /** When the current holder took it (renewals keep it). */
    since: p.datetime().nullable(),
    until: p.datetime(),
  },
});
export type Lease = InferEntity<typeof Lease>;

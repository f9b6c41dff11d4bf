import type { Platform, PlatformGroup } from './target.ts';

/** One group mapped onto the target, as the directory wants it. */
export interface DesiredGroup {
  readonly mappingId: string;
  readonly groupId: string;
  readonly groupName: string;
  /** The name the platform should show (already truncated and unique on this target). */
  readonly displayName: string;
  /** Tracked platform group id, or null when none was created or adopted yet. */
  readonly platformGroupId: string | null;
  readonly mode: 'managed' | 'grantOnly';
  /** Account ids that should be in the group. */
  readonly members: ReadonlySet<string>;
}

export interface PlanInput {
  readonly platform: Platform;
  readonly target: string;
  readonly desired: readonly DesiredGroup[];
  /** Every group on the platform (managed or not). */
  readonly platformGroups: readonly PlatformGroup[];
  /** Observed members of the managed platform groups, by platform group id. */
  readonly observed: ReadonlyMap<string, ReadonlySet<string>>;
  /** Accounts the platform knows right now (Discord: guild members); null when it cannot tell (TeamSpeak). */
  readonly presentAccounts: ReadonlySet<string> | null;
  readonly desiredNicknames: ReadonlyMap<string, string>;
  /** Nicknames the platform showed (accounts it does not show are left alone). */
  readonly observedNicknames: ReadonlyMap<string, string | null>;
  /** First time each removal (`groupId/accountId`) was planned, from earlier runs. */
  readonly pendingRemovals: ReadonlyMap<string, Date>;
  readonly now: Date;
  readonly removalGraceMs: number;
  /** What Roster left in each platform group after its last applied run; null before the first. */
  readonly lastApplied: ReadonlyMap<string, ReadonlySet<string>> | null;
}

export interface GroupCreation {
  readonly mappingId: string;
  readonly name: string;
}
export interface GroupAdoption {
  readonly mappingId: string;
  readonly platformGroupId: string;
  readonly name: string;
}
export interface GroupRename {
  readonly mappingId: string;
  readonly platformGroupId: string;
  readonly from: string;
  readonly to: string;
}

export interface MembershipDelta {
  readonly mappingId: string;
  /** Null while the group is still to be created by this plan. */
  readonly platformGroupId: string | null;
  readonly accountIds: readonly string[];
}

export interface HeldRemoval {
  readonly mappingId: string;
  readonly platformGroupId: string;
  readonly accountId: string;
  readonly dueAt: Date;
}

export interface Plan {
  readonly platform: Platform;
  readonly target: string;
  readonly creates: readonly GroupCreation[];
  readonly adopts: readonly GroupAdoption[];
  readonly renames: readonly GroupRename[];
  readonly adds: readonly MembershipDelta[];
  readonly removes: readonly MembershipDelta[];
  readonly heldRemovals: readonly HeldRemoval[];
  readonly nicknames: readonly {
    readonly accountId: string;
    readonly from: string | null;
    readonly to: string;
  }[];
  /** Accounts that should get a group but are not on the platform (e.g. not in the Discord guild). */
  readonly absentAccounts: number;
  /** Changes that undo a hand edit on the platform since Roster's last applied run. */
  readonly drift: { readonly added: number; readonly removed: number };
  /** Memberships observed in managed-mode groups: the base of the blast-radius share. */
  readonly managedMemberships: number;
  /** The removal clock to keep for the next run. */
  readonly pendingRemovals: ReadonlyMap<string, Date>;
}

export const removalKey = (platformGroupId: string, accountId: string) => `${platformGroupId}/${accountId}`;

/**
 * The heart of the reconciler, pure: from what the directory wants and what the platform has,
 * what to do. Only groups named by a mapping are ever touched; grantOnly groups never lose members.
 */
export function plan(input: PlanInput): Plan {
  const byId = new Map(input.platformGroups.map((g) => [g.id, g]));
  const byName = new Map<string, PlatformGroup>();
  for (const g of input.platformGroups)
    if (g.adoptable !== false && !byName.has(g.name)) byName.set(g.name, g);
  const claimed = new Set(
    input.desired.flatMap((d) =>
      d.platformGroupId && byId.has(d.platformGroupId) ? [d.platformGroupId] : [],
    ),
  );

  const creates: GroupCreation[] = [];
  const adopts: GroupAdoption[] = [];
  const renames: GroupRename[] = [];
  const adds: MembershipDelta[] = [];
  const removes: MembershipDelta[] = [];
  const heldRemovals: HeldRemoval[] = [];
  const pendingRemovals = new Map<string, Date>();
  let absentAccounts = 0;
  let managedMemberships = 0;
  const drift = { added: 0, removed: 0 };

  for (const group of input.desired) {
    let platformGroupId =
      group.platformGroupId && byId.has(group.platformGroupId) ? group.platformGroupId : null;
    if (platformGroupId === null) {
      // Adopting by exact name makes creation idempotent across crashes: a group created just
      // before a crash, whose id was never saved, is found again instead of created twice.
      const existing = byName.get(group.displayName);
      if (existing && !claimed.has(existing.id)) {
        claimed.add(existing.id);
        platformGroupId = existing.id;
        adopts.push({ mappingId: group.mappingId, platformGroupId, name: existing.name });
      } else {
        creates.push({ mappingId: group.mappingId, name: group.displayName });
      }
    } else if (byId.get(platformGroupId)!.name !== group.displayName) {
      renames.push({
        mappingId: group.mappingId,
        platformGroupId,
        from: byId.get(platformGroupId)!.name,
        to: group.displayName,
      });
    }

    const observed =
      platformGroupId === null
        ? new Set<string>()
        : (input.observed.get(platformGroupId) ?? new Set<string>());
    const last = platformGroupId === null ? undefined : input.lastApplied?.get(platformGroupId);
    const toAdd: string[] = [];
    for (const account of group.members) {
      if (observed.has(account)) continue;
      if (input.presentAccounts && !input.presentAccounts.has(account)) {
        absentAccounts++;
        continue;
      }
      toAdd.push(account);
      if (last?.has(account)) drift.removed++;
    }
    if (toAdd.length)
      adds.push({ mappingId: group.mappingId, platformGroupId, accountIds: toAdd.sort(compareIds) });

    if (group.mode !== 'managed' || platformGroupId === null) continue;
    managedMemberships += observed.size;
    const toRemove: string[] = [];
    for (const account of observed) {
      if (group.members.has(account)) continue;
      if (last && !last.has(account)) drift.added++;
      const key = removalKey(platformGroupId, account);
      const since = input.pendingRemovals.get(key) ?? input.now;
      pendingRemovals.set(key, since);
      const dueAt = new Date(since.getTime() + input.removalGraceMs);
      if (dueAt.getTime() <= input.now.getTime()) toRemove.push(account);
      else heldRemovals.push({ mappingId: group.mappingId, platformGroupId, accountId: account, dueAt });
    }
    if (toRemove.length)
      removes.push({ mappingId: group.mappingId, platformGroupId, accountIds: toRemove.sort(compareIds) });
  }

  const nicknames: Plan['nicknames'][number][] = [];
  for (const [accountId, to] of input.desiredNicknames) {
    if (!input.observedNicknames.has(accountId)) continue;
    const from = input.observedNicknames.get(accountId) ?? null;
    if (from !== to) nicknames.push({ accountId, from, to });
  }
  nicknames.sort((a, b) => compareIds(a.accountId, b.accountId));
  heldRemovals.sort((a, b) => compareIds(a.accountId, b.accountId));

  return {
    platform: input.platform,
    target: input.target,
    creates,
    adopts,
    renames,
    adds,
    removes,
    heldRemovals,
    nicknames,
    absentAccounts,
    drift,
    managedMemberships,
    pendingRemovals,
  };
}

/**
 * Account ids in the order a person reads them: numeric ids (TeamSpeak client database ids,
 * Discord snowflakes) by value, so 9 comes before 10; anything else after them, as text.
 */
export function compareIds(a: string, b: string): number {
  const numeric = (id: string) => /^\d+$/.test(id);
  if (numeric(a) !== numeric(b)) return numeric(a) ? -1 : 1;
  const trim = (id: string) => (numeric(id) ? id.replace(/^0+(?=\d)/, '') : id);
  const [x, y] = [trim(a), trim(b)];
  if (numeric(a) && x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

export const countAccounts = (deltas: readonly MembershipDelta[]) =>
  deltas.reduce((n, d) => n + d.accountIds.length, 0);

/**
 * Scoped runs. A change in the directory names what it touched (a `DirectoryScope`); the next
 * event-driven run of a target observes and fixes only that, still reading what is on the platform
 * before it writes. The scheduled full run stays the safety net: it is what repairs edits made by
 * hand on the platforms outside any change's scope.
 */
import type { DesiredGroup, PlanInput } from './plan.ts';
import type { Platform } from './target.ts';

/** What one change (or a merged burst of them) touched, in directory terms. */
export interface DirectoryScope {
  /** Roster groups whose membership changed as a whole (a bulk edit, an autogroup rebuild). */
  readonly groups: readonly string[];
  /** Users whose groups, login decision, name or link changed: observed in every mapped group. */
  readonly users: readonly string[];
  /** Platform accounts no longer linked to anyone (an unlink): observed so Roster's groups leave them. */
  readonly accounts: readonly ScopeAccount[];
}

export interface ScopeAccount {
  readonly platform: Platform;
  /** The target the account was linked on; null for every target of the platform (Discord links). */
  readonly target: string | null;
  readonly accountId: string;
}

export const emptyScope: DirectoryScope = { groups: [], users: [], accounts: [] };

/** A scope naming these users only. */
export const usersScope = (userIds: readonly string[]): DirectoryScope => ({
  ...emptyScope,
  users: [...new Set(userIds)],
});

/**
 * A membership edit of one group: a few users are read one by one; past `MEMBERS_READ_SINGLY`
 * the group is read whole (one TeamSpeak list; on Discord the member list).
 */
export const MEMBERS_READ_SINGLY = 10;
export const membershipScope = (groupId: string, userIds: readonly string[]): DirectoryScope =>
  new Set(userIds).size <= MEMBERS_READ_SINGLY ? usersScope(userIds) : { ...emptyScope, groups: [groupId] };

/**
 * Past this many users a change is run full: on both platforms a read of everything is then fewer
 * calls than reading the users one by one, and the directory is read whole anyway.
 */
export const USERS_SCOPED_AT_MOST = 2_000;

/**
 * What an autogroup rebuild touched: the users whose autogroup memberships changed (a corporation
 * move, a login flag, a clearance: the built-in groups follow every login decision, so any change
 * of one shows here). Null (run full) when a group was renamed (names and nicknames change for
 * all its members) or removed, or when too many users moved.
 */
export function rebuildScope(rebuild: {
  readonly renamed: number;
  readonly deleted: readonly unknown[];
  readonly changedUserIds: readonly string[];
}): DirectoryScope | null {
  if (rebuild.renamed > 0 || rebuild.deleted.length > 0) return null;
  if (rebuild.changedUserIds.length > USERS_SCOPED_AT_MOST) return null;
  return usersScope(rebuild.changedUserIds);
}

export function mergeScopes(a: DirectoryScope, b: DirectoryScope): DirectoryScope {
  const accounts = new Map<string, ScopeAccount>();
  for (const account of [...a.accounts, ...b.accounts])
    accounts.set(`${account.platform}/${account.target ?? ''}/${account.accountId}`, account);
  return {
    groups: [...new Set([...a.groups, ...b.groups])],
    users: [...new Set([...a.users, ...b.users])],
    accounts: [...accounts.values()],
  };
}

/** The scope on one target: mapped groups observed whole, accounts observed in every managed group. */
export interface TargetScope {
  /** Mapping ids (of this target) whose platform groups are observed and fixed whole. */
  readonly mappingIds: ReadonlySet<string>;
  /** Platform accounts observed and fixed in every managed group. */
  readonly accounts: ReadonlySet<string>;
}

/** What a directory scope means on one target; empty when the change does not reach it. */
export function targetScope(
  scope: DirectoryScope,
  platform: Platform,
  target: string,
  mappings: readonly { readonly id: string; readonly groupId: string }[],
  accountOf: ReadonlyMap<string, string>,
): TargetScope {
  const groups = new Set(scope.groups);
  const accounts = new Set<string>();
  for (const userId of scope.users) {
    const account = accountOf.get(userId);
    if (account !== undefined) accounts.add(account);
  }
  for (const a of scope.accounts)
    if (a.platform === platform && (a.target === null || a.target === target)) accounts.add(a.accountId);
  return { mappingIds: new Set(mappings.filter((m) => groups.has(m.groupId)).map((m) => m.id)), accounts };
}

export const isEmptyScope = (scope: TargetScope) => scope.mappingIds.size === 0 && scope.accounts.size === 0;

/** Platform group ids the scope observes whole. */
export function wholeGroupIds(scope: TargetScope, desired: readonly DesiredGroup[]): Set<string> {
  return new Set(
    desired.flatMap((g) =>
      g.platformGroupId && scope.mappingIds.has(g.mappingId) ? [g.platformGroupId] : [],
    ),
  );
}

/** Whether the membership (platform group, account) lies inside the scope. */
export function scopePredicate(
  scope: TargetScope,
  desired: readonly DesiredGroup[],
): (platformGroupId: string, accountId: string) => boolean {
  const whole = wholeGroupIds(scope, desired);
  return (platformGroupId, accountId) => whole.has(platformGroupId) || scope.accounts.has(accountId);
}

function restrict(set: ReadonlySet<string>, keep: (account: string) => boolean): Set<string> {
  const out = new Set<string>();
  for (const account of set) if (keep(account)) out.add(account);
  return out;
}

/**
 * The planner's input cut down to a scope, so that `plan()` proposes nothing outside it: groups
 * the scope names keep every member, the others keep only the scoped accounts, on the desired and
 * the observed side alike (and in the removal clocks and the last-applied snapshot). Groups
 * themselves (creations, adoptions, renames) are planned as in a full run.
 */
export function scopePlanInput(input: PlanInput, scope: TargetScope): PlanInput {
  const whole = new Set(
    input.desired.filter((g) => scope.mappingIds.has(g.mappingId)).map((g) => g.mappingId),
  );
  const wholeIds = wholeGroupIds(scope, input.desired);
  const inAccounts = (account: string) => scope.accounts.has(account);
  const byGroup = <T extends ReadonlySet<string>>(map: ReadonlyMap<string, T>) =>
    new Map(
      [...map].map(([groupId, members]) => [
        groupId,
        wholeIds.has(groupId) ? members : restrict(members, inAccounts),
      ]),
    );
  const nicknameScope = new Set(scope.accounts);
  for (const g of input.desired) if (whole.has(g.mappingId)) for (const m of g.members) nicknameScope.add(m);
  const inNicknames = (account: string) => nicknameScope.has(account);
  return {
    ...input,
    desired: input.desired.map((g) =>
      whole.has(g.mappingId) ? g : { ...g, members: restrict(g.members, inAccounts) },
    ),
    observed: byGroup(input.observed),
    lastApplied: input.lastApplied ? byGroup(input.lastApplied) : null,
    pendingRemovals: new Map(
      [...input.pendingRemovals].filter(([key]) => {
        const [groupId, account] = key.split('/') as [string, string];
        return wholeIds.has(groupId) || inAccounts(account);
      }),
    ),
    desiredNicknames: new Map([...input.desiredNicknames].filter(([account]) => inNicknames(account))),
    observedNicknames: new Map([...input.observedNicknames].filter(([account]) => inNicknames(account))),
  };
}

import { countAccounts, type Plan } from './plan.ts';

/** A plan as plain JSON, for the control plane, the run record and a dry run's printout. */
export interface PlanSummary {
  readonly platform: string;
  readonly target: string;
  readonly counts: {
    readonly creates: number;
    readonly renames: number;
    readonly adds: number;
    readonly removes: number;
    readonly heldRemovals: number;
    readonly nicknames: number;
    readonly absentAccounts: number;
    readonly driftAdded: number;
    readonly driftRemoved: number;
    readonly managedMemberships: number;
  };
  readonly creates: readonly { mappingId: string; name: string }[];
  readonly adopts: readonly { mappingId: string; platformGroupId: string; name: string }[];
  readonly renames: readonly { mappingId: string; platformGroupId: string; from: string; to: string }[];
  readonly adds: readonly {
    mappingId: string;
    platformGroupId: string | null;
    accountIds: readonly string[];
  }[];
  readonly removes: readonly {
    mappingId: string;
    platformGroupId: string | null;
    accountIds: readonly string[];
  }[];
  readonly heldRemovals: readonly {
    mappingId: string;
    platformGroupId: string;
    accountId: string;
    dueAt: string;
  }[];
  readonly nicknames: readonly { accountId: string; from: string | null; to: string }[];
  /** The platform name of each mapped group the plan touches, by mapping id. */
  readonly groups: Readonly<Record<string, string>>;
  /** Who each account the plan names is, so that a person reads names beside the ids. */
  readonly accounts: Readonly<Record<string, AccountLabel>>;
}

export interface AccountLabel {
  /** The directory user's character name; null for an account linked to no user. */
  readonly name: string | null;
  /** The name the platform shows (TeamSpeak: online clients only); null when it shows none. */
  readonly nickname: string | null;
}

/** What the engine knows to name a plan's groups and accounts with. */
export interface PlanLabels {
  /** Display name on the platform, by mapping id. */
  readonly groups: ReadonlyMap<string, string>;
  readonly account: (accountId: string) => AccountLabel;
}

const noLabels: PlanLabels = { groups: new Map(), account: () => ({ name: null, nickname: null }) };

/**
 * The labels of one target's accounts: `accountOf` is userId -> account id, `nameOf` a user's
 * character name, `nicknames` what the platform showed.
 */
export function planLabels(
  groups: ReadonlyMap<string, string>,
  accountOf: ReadonlyMap<string, string>,
  nameOf: (userId: string) => string | undefined,
  nicknames: ReadonlyMap<string, string | null>,
): PlanLabels {
  const userOf = new Map<string, string>();
  for (const [userId, account] of accountOf) userOf.set(account, userId);
  return {
    groups,
    account: (accountId) => {
      const userId = userOf.get(accountId);
      return {
        name: (userId === undefined ? undefined : nameOf(userId)) ?? null,
        nickname: nicknames.get(accountId) ?? null,
      };
    },
  };
}

export function summarizePlan(plan: Plan, labels: PlanLabels = noLabels): PlanSummary {
  const mappingIds = new Set<string>();
  const accountIds = new Set<string>();
  for (const list of [plan.creates, plan.adopts, plan.renames, plan.adds, plan.removes, plan.heldRemovals])
    for (const change of list) mappingIds.add(change.mappingId);
  for (const delta of [...plan.adds, ...plan.removes]) for (const id of delta.accountIds) accountIds.add(id);
  for (const change of [...plan.heldRemovals, ...plan.nicknames]) accountIds.add(change.accountId);
  const groups: Record<string, string> = {};
  for (const id of mappingIds) {
    const name = labels.groups.get(id);
    if (name !== undefined) groups[id] = name;
  }
  const accounts: Record<string, AccountLabel> = {};
  for (const id of accountIds) accounts[id] = labels.account(id);
  return {
    platform: plan.platform,
    target: plan.target,
    counts: {
      creates: plan.creates.length,
      renames: plan.renames.length,
      adds: countAccounts(plan.adds),
      removes: countAccounts(plan.removes),
      heldRemovals: plan.heldRemovals.length,
      nicknames: plan.nicknames.length,
      absentAccounts: plan.absentAccounts,
      driftAdded: plan.drift.added,
      driftRemoved: plan.drift.removed,
      managedMemberships: plan.managedMemberships,
    },
    creates: plan.creates,
    adopts: plan.adopts,
    renames: plan.renames,
    adds: plan.adds,
    removes: plan.removes,
    heldRemovals: plan.heldRemovals.map((h) => ({ ...h, dueAt: h.dueAt.toISOString() })),
    nicknames: plan.nicknames,
    groups,
    accounts,
  };
}

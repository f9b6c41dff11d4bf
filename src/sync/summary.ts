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
}

export function summarizePlan(plan: Plan): PlanSummary {
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
  };
}

/** A dry run as lines a person reads. */
export function formatPlan(
  summary: PlanSummary,
  groupName: (mappingId: string) => string = (id) => id,
): string[] {
  const lines = [`plan for ${summary.platform} target "${summary.target}":`];
  for (const c of summary.creates) lines.push(`  create group "${c.name}"`);
  for (const a of summary.adopts) lines.push(`  adopt existing group "${a.name}" (id ${a.platformGroupId})`);
  for (const r of summary.renames) lines.push(`  rename "${r.from}" -> "${r.to}"`);
  for (const a of summary.adds)
    lines.push(`  add ${a.accountIds.length} to ${groupName(a.mappingId)}: ${a.accountIds.join(', ')}`);
  for (const r of summary.removes)
    lines.push(`  remove ${r.accountIds.length} from ${groupName(r.mappingId)}: ${r.accountIds.join(', ')}`);
  for (const h of summary.heldRemovals)
    lines.push(`  hold removal of ${h.accountId} from ${groupName(h.mappingId)} until ${h.dueAt}`);
  for (const n of summary.nicknames) lines.push(`  nickname ${n.accountId}: "${n.from ?? ''}" -> "${n.to}"`);
  if (lines.length === 1) lines.push('  nothing to do');
  return lines;
}

import { countAccounts, type Plan } from './plan.ts';

export interface GuardOptions {
  /** Largest share of managed memberships one run may remove (0..1). */
  readonly maxRemovalShare: number;
  /** Largest number of memberships one run may remove. */
  readonly maxRemovals: number;
  /**
   * Fewer removals than this never trip the share rule (only `maxRemovals` applies to them): one
   * stray member of a small adopted group is 100 % of it, not a wiped directory. Default 10.
   */
  readonly guardMinRemovals?: number;
}

export const guardDefaults = { guardMinRemovals: 10 } as const satisfies Required<
  Pick<GuardOptions, 'guardMinRemovals'>
>;

export type GuardVerdict = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/**
 * The blast-radius guard: a wiped or misconfigured directory must not empty a server. A refused
 * run changes nothing; an operator who has read the plan can force it.
 */
export function guard(plan: Plan, options: GuardOptions): GuardVerdict {
  const removals = countAccounts(plan.removes);
  if (removals === 0) return { allowed: true };
  if (removals > options.maxRemovals) {
    return {
      allowed: false,
      reason: `the run would remove ${removals} memberships, more than sync.maxRemovals (${options.maxRemovals})`,
    };
  }
  if (removals < (options.guardMinRemovals ?? guardDefaults.guardMinRemovals)) return { allowed: true };
  const share = plan.managedMemberships === 0 ? 1 : removals / plan.managedMemberships;
  if (share > options.maxRemovalShare) {
    const percent = (x: number) => `${Math.round(x * 1000) / 10}%`;
    return {
      allowed: false,
      reason: `the run would remove ${removals} of ${plan.managedMemberships} managed memberships (${percent(share)}), more than sync.maxRemovalShare (${percent(options.maxRemovalShare)})`,
    };
  }
  return { allowed: true };
}

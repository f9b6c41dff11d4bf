import { compareIds } from './plan.ts';
import type { AccountLabel, PlanSummary } from './summary.ts';
import type { SkippedChange } from './target.ts';

/** Members listed per group (and skipped changes per run) before "... and K more". */
export const defaultListLimit = 20;

export interface PlanTextOptions {
  /** Members shown per group; null shows every one (`--all`). */
  readonly limit?: number | null;
  /** Names of groups the summary does not name (older daemons), by mapping id. */
  readonly groupName?: (mappingId: string) => string | undefined;
  /** How to show every member, for the "... and K more" line. */
  readonly showAll?: string;
}

/** `Alice Pilot ("[CORP] Alice")`, `"someone" (no directory user)`, or `(no directory user)`. */
export function describeAccount(label: AccountLabel | undefined): string {
  const name = label?.name ?? null;
  const nickname = label?.nickname ?? null;
  if (name !== null) return nickname !== null && nickname !== name ? `${name} ("${nickname}")` : name;
  return nickname !== null ? `"${nickname}" (no directory user)` : '(no directory user)';
}

/**
 * One line per account, id first (padded so that names line up), at most `limit` of them and
 * then how many more; ids in numeric order.
 */
export function accountLines(
  ids: readonly string[],
  describe: (id: string) => string,
  indent: string,
  limit: number | null,
  showAll: string,
): string[] {
  const sorted = ids.toSorted(compareIds);
  const shown = limit === null ? sorted : sorted.slice(0, limit);
  const width = Math.max(0, ...shown.map((id) => id.length));
  const lines = shown.map((id) => `${indent}${id.padEnd(width)}  ${describe(id)}`);
  const rest = sorted.length - shown.length;
  if (rest > 0) lines.push(`${indent}... and ${rest} more${showAll ? ` (${showAll})` : ''}`);
  return lines;
}

/** A dry run as lines a person reads: groups by name, members by id, character name and nickname. */
export function formatPlan(summary: PlanSummary, options: PlanTextOptions = {}): string[] {
  const limit = options.limit === undefined ? defaultListLimit : options.limit;
  const showAll = options.showAll ?? '';
  const groupName = (mappingId: string) => {
    const name = summary.groups?.[mappingId] ?? options.groupName?.(mappingId);
    return name === undefined ? `mapping ${mappingId}` : `"${name}"`;
  };
  const who = (id: string) => describeAccount(summary.accounts?.[id]);
  const list = (ids: readonly string[], describe = who) =>
    accountLines(ids, describe, '    ', limit, showAll);

  const lines = [`plan for ${summary.platform} target "${summary.target}":`];
  for (const c of summary.creates) lines.push(`  create group "${c.name}"`);
  for (const a of summary.adopts) lines.push(`  adopt existing group "${a.name}" (id ${a.platformGroupId})`);
  for (const r of summary.renames) lines.push(`  rename "${r.from}" -> "${r.to}"`);
  for (const a of summary.adds)
    lines.push(`  add ${a.accountIds.length} to ${groupName(a.mappingId)}:`, ...list(a.accountIds));
  for (const r of summary.removes)
    lines.push(`  remove ${r.accountIds.length} from ${groupName(r.mappingId)}:`, ...list(r.accountIds));
  const held = new Map<string, Map<string, string>>();
  for (const h of summary.heldRemovals) {
    let of = held.get(h.mappingId);
    if (!of) held.set(h.mappingId, (of = new Map()));
    of.set(h.accountId, h.dueAt);
  }
  for (const [mappingId, due] of held) {
    lines.push(`  hold ${due.size} removals from ${groupName(mappingId)} (grace period):`);
    lines.push(...list([...due.keys()], (id) => `${who(id)} until ${due.get(id)}`));
  }
  if (summary.nicknames.length) {
    const change = new Map(summary.nicknames.map((n) => [n.accountId, n]));
    lines.push(`  nickname changes (${summary.nicknames.length}):`);
    lines.push(
      ...list([...change.keys()], (id) => {
        const n = change.get(id)!;
        const name = summary.accounts?.[id]?.name;
        return `${name ? `${name}: ` : ''}"${n.from ?? ''}" -> "${n.to}"`;
      }),
    );
  }
  if (lines.length === 1) lines.push('  nothing to do');
  return lines;
}

/**
 * Changes a run could not make, one line each: the account with its name, the group by its
 * platform name, and why; at most `limit` of them.
 */
export function formatSkipped(
  skipped: readonly SkippedChange[],
  accounts: Readonly<Record<string, AccountLabel>> | undefined,
  limit: number | null,
  showAll: string,
): string[] {
  const shown = limit === null ? skipped : skipped.slice(0, limit);
  const lines = shown.map((s) => {
    const group = s.groupId === undefined ? '' : ` in ${s.groupName ? `"${s.groupName}"` : s.groupId}`;
    return `  skipped   ${s.accountId} ${describeAccount(accounts?.[s.accountId])}${group}: ${s.reason}`;
  });
  const rest = skipped.length - shown.length;
  if (rest > 0) lines.push(`  skipped   ... and ${rest} more${showAll ? ` (${showAll})` : ''}`);
  return lines;
}

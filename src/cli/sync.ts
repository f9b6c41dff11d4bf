import { formatPlan, type PlanSummary } from '../sync/summary.ts';
import type { Clients, TypedClient } from './client.ts';
import { duration } from './format.ts';
import { EXIT, printLines, println, type CliIo, type ExitCode } from './io.ts';
import { withProgress } from './progress.ts';

export type RunResult = Awaited<ReturnType<TypedClient['sync']['run']['mutate']>>;
export type TargetInput = Parameters<TypedClient['sync']['run']['mutate']>[0];

/**
 * Refused and failed runs exit 1, so scripts notice; on a busy target the daemon queued a sync that
 * runs once the holder is done (or its lease lapsed), so that is not a failure.
 */
export function runExitCode(result: RunResult): ExitCode {
  return result.status === 'refused' || result.status === 'failed' ? EXIT.failed : EXIT.ok;
}

/** A run (or forced run) as a few lines: outcome, changes, calls, drift, and what went wrong. */
export function formatRun(result: RunResult, seconds: number): string[] {
  const where = `${result.platform}/${result.target}`;
  const lines = [`${result.status}: ${where} in ${duration(seconds)} (run ${result.runId})`];
  const counts = result.plan?.counts;
  if (result.status === 'busy')
    return [
      `busy: ${where}: ${result.reason ?? 'another run is in progress'}; a sync is queued to run after it`,
    ];
  if (counts) {
    const added = result.report?.added ?? counts.adds;
    const removed = result.report?.removed ?? counts.removes;
    const nicknames = result.report?.nicknamesChanged ?? counts.nicknames;
    const verb = result.report ? '' : ' planned';
    lines.push(
      `  changes   +${added} added, -${removed} removed, ${counts.creates} created, ${counts.renames} renamed, ${nicknames} nicknames${verb}`,
    );
    if (counts.heldRemovals)
      lines.push(`  held      ${counts.heldRemovals} removals wait out the grace period`);
    lines.push(
      `  drift     ${counts.driftAdded + counts.driftRemoved} (made by hand on the platform since the last run)`,
    );
  }
  lines.push(`  calls     ${result.callsIssued} platform calls`);
  for (const skipped of result.report?.skipped ?? []) {
    lines.push(
      `  skipped   ${skipped.accountId}${skipped.groupId ? ` in ${skipped.groupId}` : ''}: ${skipped.reason}`,
    );
  }
  if (result.status === 'refused') {
    lines.push(`  refused   ${result.reason ?? ''}`);
    lines.push(
      `  to apply anyway: rosterctl sync force --platform ${result.platform} --target ${result.target}`,
    );
  }
  for (const error of result.errors) lines.push(`  error     ${error}`);
  if (result.status === 'failed' && !result.errors.length && result.reason)
    lines.push(`  error     ${result.reason}`);
  return lines;
}

/** A dry run: the plan as `formatPlan` writes it, with group names where the directory tells them. */
export function formatDryRun(result: RunResult, names: ReadonlyMap<string, string>): string[] {
  if (!result.plan) return formatRun(result, 0);
  const plan = result.plan as unknown as PlanSummary;
  const byMapping = new Map<string, string>();
  for (const c of plan.creates) byMapping.set(c.mappingId, `"${c.name}"`);
  for (const a of plan.adopts) byMapping.set(a.mappingId, `"${a.name}"`);
  for (const r of plan.renames) byMapping.set(r.mappingId, `"${r.to}"`);
  for (const change of [...plan.adds, ...plan.removes, ...plan.heldRemovals]) {
    const name = change.platformGroupId ? names.get(change.platformGroupId) : undefined;
    if (name && !byMapping.has(change.mappingId)) byMapping.set(change.mappingId, `"${name}"`);
  }
  const c = plan.counts;
  return [
    ...formatPlan(plan, (id) => byMapping.get(id) ?? `mapping ${id}`),
    `  total: +${c.adds} -${c.removes}, ${c.creates} to create, ${c.renames} to rename, ${c.nicknames} nicknames, ` +
      `${c.heldRemovals} held; drift ${c.driftAdded + c.driftRemoved}; ${c.managedMemberships} managed memberships`,
  ];
}

/**
 * Names of the platform groups of one target, from the directory's group mappings (display name,
 * else the group's name). Best effort: without the right to list groups the plan shows ids.
 */
export async function platformGroupNames(
  client: TypedClient,
  input: TargetInput,
): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  try {
    let cursor: string | null = null;
    for (let page = 0; page < 50; page++) {
      const result: Awaited<ReturnType<TypedClient['group']['list']['query']>> =
        await client.group.list.query({ limit: 500, cursor });
      for (const group of result.items) {
        for (const m of group.mappings) {
          if (m.platform === input.platform && m.target === input.target && m.platformGroupId)
            names.set(m.platformGroupId, m.displayName ?? group.name);
        }
      }
      cursor = result.nextCursor;
      if (!cursor) break;
    }
  } catch {
    // The plan is still printed, with mapping ids.
  }
  return names;
}

/** A sync run waits with a spinner (on a terminal) and ends with its summary; a plan prints readably. */
export async function syncCommand(
  io: CliIo,
  clients: Clients,
  action: 'run' | 'force' | 'plan',
  input: TargetInput,
  json: boolean,
): Promise<ExitCode> {
  const where = `${input?.platform}/${input?.target}`;
  const started = performance.now();
  const work =
    action === 'plan'
      ? clients.typed.sync.plan.query(input)
      : action === 'force'
        ? clients.typed.sync.force.mutate(input)
        : clients.typed.sync.run.mutate(input);
  const label =
    action === 'plan'
      ? `planning ${where}`
      : `${action === 'force' ? 'forcing' : 'running'} sync of ${where}`;
  const result = await withProgress(io.stderr, label, work);
  const seconds = (performance.now() - started) / 1000;
  if (json) println(io.stdout, JSON.stringify(result, null, 2));
  else if (action === 'plan' && result.status === 'planned')
    printLines(io.stdout, formatDryRun(result, await platformGroupNames(clients.typed, input)));
  else printLines(io.stdout, formatRun(result, seconds));
  return runExitCode(result);
}

import { defaultListLimit, formatPlan, formatSkipped } from '../sync/plan-text.ts';
import type { PlanSummary } from '../sync/summary.ts';
import type { Clients, TypedClient } from './client.ts';
import { duration } from './format.ts';
import { CliError, EXIT, printLines, println, type CliIo, type ExitCode } from './io.ts';
import { runProgress, withProgress } from './progress.ts';

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
export function formatRun(
  result: RunResult,
  seconds: number,
  limit: number | null = defaultListLimit,
): string[] {
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
  const accounts = (result.plan as unknown as PlanSummary | null)?.accounts;
  lines.push(...formatSkipped(result.report?.skipped ?? [], accounts, limit, showAll));
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

/** A dry run: the plan as `formatPlan` writes it, and its totals. */
export function formatDryRun(result: RunResult, limit: number | null = defaultListLimit): string[] {
  if (!result.plan) return formatRun(result, 0);
  const plan = result.plan as unknown as PlanSummary;
  const c = plan.counts;
  return [
    ...formatPlan(plan, { limit, showAll }),
    `  total: +${c.adds} -${c.removes}, ${c.creates} to create, ${c.renames} to rename, ${c.nicknames} nicknames, ` +
      `${c.heldRemovals} held; drift ${c.driftAdded + c.driftRemoved}; ${c.managedMemberships} managed memberships`,
  ];
}

/** What the "... and K more" lines point to: the same command with `--all`. */
const showAll = '--all shows every one';

/** A sync run waits with a spinner (on a terminal) and ends with its summary; a plan prints readably. */
export async function syncCommand(
  io: CliIo,
  clients: Clients,
  action: 'run' | 'force' | 'plan',
  input: TargetInput,
  json: boolean,
  all = false,
): Promise<ExitCode> {
  const limit = all ? null : defaultListLimit;
  if (action === 'run') return followRun(io, clients, input, json, limit);
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
    printLines(io.stdout, formatDryRun(result, limit));
  else printLines(io.stdout, formatRun(result, seconds, limit));
  return runExitCode(result);
}

/** How long the CLI keeps asking a daemon that does not answer about a run it follows. */
const LOST_AFTER_MS = 60_000;

type RunRecord = NonNullable<Awaited<ReturnType<TypedClient['sync']['progress']['query']>>['record']>;

/**
 * `sync run`: starts the run, gets its id at once and follows it (phase, calls done out of
 * planned, ETA; a bar on a terminal) until it ends, however long it takes, then prints the
 * outcome and exits with it. A daemon that stops answering for a minute ends the wait (the run
 * goes on there); nothing else does.
 */
async function followRun(
  io: CliIo,
  clients: Clients,
  input: TargetInput,
  json: boolean,
  limit: number | null,
): Promise<ExitCode> {
  const where = `${input?.platform}/${input?.target}`;
  const started = performance.now();
  const start = await clients.typed.sync.start.mutate(input);
  let result: RunResult | null = start.result;
  let record: RunRecord | null = null;
  if (start.started) {
    const bar = runProgress(io.stderr, `sync ${where}`);
    bar.update({ phase: 'reading', callsDone: 0, callsPlanned: null, etaSeconds: null });
    let failingSince: number | null = null;
    let waitMs = 200;
    try {
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        waitMs = Math.min(1000, waitMs * 2);
        let answer;
        try {
          answer = await clients.typed.sync.progress.query({ runId: start.runId });
          failingSince = null;
        } catch (error) {
          // An answer with a code is the daemon's (no such run, no right): not worth waiting on.
          if ((error as { data?: { code?: string } }).data?.code) throw error;
          failingSince ??= performance.now();
          if (performance.now() - failingSince < LOST_AFTER_MS) continue;
          throw new CliError(
            `the daemon stopped answering while following run ${start.runId} of ${where}; the run goes on there (rosterctl sync runs)`,
          );
        }
        if (answer.state === 'running') {
          if (answer.progress) bar.update(answer.progress);
          continue;
        }
        result = answer.result;
        record = answer.record;
        break;
      }
    } finally {
      bar.done();
    }
  }
  const seconds = (performance.now() - started) / 1000;
  if (result) {
    if (json) println(io.stdout, JSON.stringify(result, null, 2));
    else printLines(io.stdout, formatRun(result, seconds, limit));
    return runExitCode(result);
  }
  // Finished elsewhere (another daemon, or this one restarted): what its record says.
  if (json) println(io.stdout, JSON.stringify(record, null, 2));
  else if (record)
    printLines(io.stdout, [
      `${record.status}: ${where} in ${duration(seconds)} (run ${record.id})`,
      `  changes   +${record.adds} added, -${record.removes} removed, ${record.creates} created, ${record.renames} renamed`,
      `  calls     ${record.callsIssued} platform calls`,
      ...record.errors.map((e) => `  error     ${e}`),
    ]);
  return record?.status === 'applied' ? EXIT.ok : EXIT.failed;
}

import { styleText } from 'node:util';
import { splitFlag } from './args.ts';
import type { Clients, TypedClient } from './client.ts';
import { ago, duration, table } from './format.ts';
import { EXIT, printLines, println, UsageError, type CliIo, type ExitCode } from './io.ts';

export type TargetStatus = Awaited<ReturnType<TypedClient['sync']['status']['query']>>[number];
export type SyncRunRow = Awaited<ReturnType<TypedClient['sync']['runs']['query']>>['items'][number];

export interface StatusView {
  readonly targets: readonly TargetStatus[];
  readonly runs: readonly SyncRunRow[];
}

/** One read of `sync.status` and the last runs of `sync.runs`, newest first. */
export async function fetchStatus(client: TypedClient, runs: number): Promise<StatusView> {
  const [targets, page] = await Promise.all([
    client.sync.status.query(),
    client.sync.runs.query({ limit: runs }),
  ]);
  // `sync.runs` pages by id, and ids are random UUIDs: order what came by start time.
  const byStart = [...page.items].sort(
    (a, b) => String(b.startedAt).localeCompare(String(a.startedAt)) || b.id.localeCompare(a.id),
  );
  return { targets, runs: byStart };
}

type Paint = (text: string, tone: 'good' | 'bad' | 'warn' | 'dim') => string;

const TONES = { good: 'green', bad: 'red', warn: 'yellow', dim: 'dim' } as const;

export const painter = (color: boolean): Paint =>
  color ? (text, tone) => styleText(TONES[tone], text, { validateStream: false }) : (text) => text;

const toneOf = (status: string) =>
  status === 'applied' || status === 'planned'
    ? 'good'
    : status === 'failed' || status === 'refused' || status === 'abandoned'
      ? 'bad'
      : 'warn';

const num = { right: true } as const;

/** The view people look at: a line per target, the notes that need attention, then the recent runs. */
export function formatStatus(view: StatusView, now: Date, paint: Paint): string[] {
  const lines: string[] = [];
  if (!view.targets.length) {
    lines.push(
      'no platform targets are configured (teamspeak.targets, discord.targets in the daemon config)',
    );
  } else {
    const rows = view.targets.map((t) => {
      const run = t.lastRun;
      return [
        `${t.platform}/${t.target}`,
        t.connected ? paint('connected', 'good') : paint('down', 'bad'),
        run ? paint(run.status, toneOf(run.status)) : paint('never', 'dim'),
        run ? ago(run.startedAt, now) : '-',
        run ? `+${run.adds} -${run.removes}` : '-',
        run ? String(run.creates) : '-',
        run ? String(run.callsIssued) : '-',
        run ? (run.drift ? paint(String(run.drift), 'warn') : '0') : '-',
        t.lastAppliedAt ? ago(t.lastAppliedAt, now) : 'never',
      ];
    });
    lines.push(
      ...table(
        [
          'target',
          'connection',
          'last run',
          'when',
          'changes',
          { header: 'creates', ...num },
          { header: 'calls', ...num },
          { header: 'drift', ...num },
          'last applied',
        ],
        rows,
      ),
    );
    for (const t of view.targets) {
      const where = `${t.platform}/${t.target}`;
      if (t.lastError) lines.push(paint(`  ! ${where}: ${t.lastError}`, 'bad'));
      if (t.missingPermissions.length)
        lines.push(paint(`  ! ${where}: missing permissions: ${t.missingPermissions.join(', ')}`, 'bad'));
      if (t.refusedMembers)
        lines.push(
          paint(
            `  ! ${where}: ${t.refusedMembers} member(s) refused by the platform (hierarchy, owner); skipped until their roles, the role positions or the bot's roles change (sync explain shows why)`,
            'warn',
          ),
        );
      const run = t.lastRun;
      if (run?.refusedReason)
        lines.push(paint(`  ! ${where}: last run refused: ${run.refusedReason}`, 'warn'));
      else if ((run?.status === 'failed' || run?.status === 'abandoned') && run.errors.length)
        lines.push(paint(`  ! ${where}: last run ${run.status}: ${run.errors[0]}`, 'bad'));
    }
  }
  lines.push('', 'recent runs');
  if (!view.runs.length) {
    lines.push('  (none yet)');
    return lines;
  }
  const runRows = view.runs.map((r) => [
    ago(r.startedAt, now),
    `${r.platform}/${r.target}`,
    paint(r.status, toneOf(r.status)) + (r.dryRun ? ' (dry run)' : '') + (r.forced ? ' (forced)' : ''),
    r.trigger,
    `+${r.adds} -${r.removes}`,
    String(r.creates),
    String(r.callsIssued),
    String(r.drift),
    r.finishedAt
      ? duration((new Date(r.finishedAt).getTime() - new Date(r.startedAt).getTime()) / 1000)
      : '-',
  ]);
  lines.push(
    ...table(
      [
        'when',
        'target',
        'status',
        'trigger',
        'changes',
        { header: 'creates', ...num },
        { header: 'calls', ...num },
        { header: 'drift', ...num },
        'took',
      ],
      runRows,
    ).map((l) => `  ${l}`),
  );
  return lines;
}

/** `rosterctl status [--runs N]`. */
export async function statusCommand(
  io: CliIo,
  clients: Clients,
  tokens: readonly string[],
  json: boolean,
): Promise<ExitCode> {
  let runs = 10;
  for (let i = 0; i < tokens.length; i++) {
    const [name, inline] = splitFlag(tokens[i]!);
    if (name !== 'runs')
      throw new UsageError(
        `unexpected ${name ? `flag --${name}` : `argument "${tokens[i]}"`} for status`,
        'status',
      );
    const value = inline ?? tokens[++i] ?? '';
    runs = Number(value);
    if (!Number.isInteger(runs) || runs < 1 || runs > 500)
      throw new UsageError(`--runs takes a number from 1 to 500, not "${value}"`, 'status');
  }
  const view = await fetchStatus(clients.typed, runs);
  if (json) println(io.stdout, JSON.stringify(view, null, 2));
  else printLines(io.stdout, formatStatus(view, io.now?.() ?? new Date(), painter(colorFor(io))));
  return EXIT.ok;
}

const colorFor = (io: CliIo) => io.stdout.isTTY === true && !io.env.NO_COLOR && io.env.TERM !== 'dumb';

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobControl } from '../services/job-control.ts';
import type { Reconciler, ReconcilerEvents } from '../sync/engine.ts';
import type { PlatformTarget, RateLimitCounts } from '../sync/target.ts';

export interface MetricsSources {
  readonly reconciler: Pick<Reconciler, 'on' | 'off'>;
  readonly targets: readonly PlatformTarget[];
  readonly jobs: Pick<JobControl, 'list'>;
  /** The ESI client, when the daemon has one. */
  readonly esi?: { errorLimitRemain(): number | null } | null;
  readonly version: string;
  /** tRPC procedure names; any other path is counted as `unknown` (bounded label values). */
  readonly procedures: ReadonlySet<string>;
  /** Node's process metrics (CPU, memory, event loop lag); default true. */
  readonly processMetrics?: boolean;
}

export interface Metrics {
  /** This daemon's own registry: several daemons in one process (tests) do not share metrics. */
  readonly registry: Registry;
  /** Counts one control-plane request (the control plane's `onRequest` event). */
  observeRequest(info: { path: string; code: string; ms: number }): void;
  /** The Prometheus text exposition. */
  render(): Promise<string>;
  readonly contentType: string;
  /** Stops listening to the reconciler. */
  close(): void;
}

type Finished = ReconcilerEvents['sync:finished'][0];
type Started = ReconcilerEvents['sync:started'][0];

const runStatuses = ['applied', 'planned', 'refused', 'failed', 'busy'] as const;
const changeKinds = ['add', 'remove', 'create', 'rename', 'nickname'] as const;

/**
 * The daemon's Prometheus metrics. Run outcomes are counted from the reconciler's events; the
 * platforms' connection state, rate-limit counters, job queues and the ESI error budget are read
 * when scraped.
 */
export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (sources.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const tl = ['platform', 'target'] as const;

  new Gauge({
    name: 'roster_info',
    help: 'Always 1; the version label tells which Roster runs.',
    labelNames: ['version'],
    registers,
  }).set({ version: sources.version }, 1);

  const runs = new Counter({
    name: 'roster_sync_runs_total',
    help: 'Sync runs finished, by outcome (planned = dry run).',
    labelNames: [...tl, 'status'],
    registers,
  });
  const duration = new Histogram({
    name: 'roster_sync_run_duration_seconds',
    help: 'Wall time of sync runs.',
    labelNames: tl,
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900],
    registers,
  });
  const inProgress = new Gauge({
    name: 'roster_sync_runs_in_progress',
    help: 'Sync runs running now.',
    labelNames: tl,
    registers,
  });
  const applied = new Counter({
    name: 'roster_sync_changes_applied_total',
    help: 'Changes applied on the platforms: add/remove (memberships), create/rename (groups), nickname.',
    labelNames: [...tl, 'change'],
    registers,
  });
  const calls = new Counter({
    name: 'roster_sync_platform_calls_total',
    help: 'Platform calls (ServerQuery commands, Discord requests) issued by sync runs.',
    labelNames: tl,
    registers,
  });
  // "Drift" has one meaning everywhere (status, runs, metrics): memberships changed by hand on the
  // platform since Roster's last applied run, as the last run found them.
  const drift = new Gauge({
    name: 'roster_sync_drift',
    help: "Memberships changed by hand on the platform since Roster's last applied run that are still there: what the last run (or dry run) found, 0 once an applied run put them back.",
    labelNames: tl,
    registers,
  });
  const pending = new Gauge({
    name: 'roster_sync_pending_changes',
    help: 'Membership and group changes the last run (or dry run) planned that are not applied: refused, held back by the removal grace, skipped or failed. Nicknames are not counted (TeamSpeak can only ask people).',
    labelNames: tl,
    registers,
  });
  const reverted = new Counter({
    name: 'roster_sync_hand_edits_reverted_total',
    help: 'Memberships changed by hand on the platform since the last applied run, that a run then put back (added = someone added a member by hand).',
    labelNames: [...tl, 'direction'],
    registers,
  });
  const lastSuccess = new Gauge({
    name: 'roster_sync_last_success_timestamp_seconds',
    help: 'When the last applied (not dry, not refused, error-free) run of the target finished, in Unix seconds.',
    labelNames: tl,
    registers,
  });

  new Gauge({
    name: 'roster_platform_connected',
    help: '1 when the target is connected (TeamSpeak query session up; Discord start-up check passed).',
    labelNames: tl,
    registers,
    collect() {
      for (const t of sources.targets)
        this.set({ platform: t.platform, target: t.name }, t.status().connected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'roster_platform_missing_permissions',
    help: 'Permissions the target lacks, as found by its start-up check (0 = none missing).',
    labelNames: tl,
    registers,
    collect() {
      for (const t of sources.targets)
        this.set({ platform: t.platform, target: t.name }, t.status().missingPermissions.length);
    },
  });

  const perTarget = (counter: Counter, value: (limits: RateLimitCounts) => number) => {
    counter.reset();
    for (const t of sources.targets)
      counter.inc({ platform: t.platform, target: t.name }, value(t.rateLimits()));
  };
  new Counter({
    name: 'roster_rate_limit_waits_total',
    help: 'Requests that waited for a rate-limit bucket before being sent (Discord; TeamSpeak pacing is not counted).',
    labelNames: tl,
    registers,
    collect() {
      perTarget(this, (l) => l.waits);
    },
  });
  new Counter({
    name: 'roster_rate_limit_wait_seconds_total',
    help: 'Time spent waiting for rate-limit buckets before sending (Discord).',
    labelNames: tl,
    registers,
    collect() {
      perTarget(this, (l) => l.waitedMs / 1000);
    },
  });
  new Counter({
    name: 'roster_rate_limited_total',
    help: 'Times a platform said Roster went over its limit: Discord 429 answers, TeamSpeak flood warnings.',
    labelNames: tl,
    registers,
    collect() {
      perTarget(this, (l) => l.refused);
    },
  });

  new Gauge({
    name: 'roster_job_queue_depth',
    help: 'Jobs per pg-boss queue and state (queued = waiting, active = running).',
    labelNames: ['queue', 'state'],
    registers,
    async collect() {
      this.reset();
      const queues = await sources.jobs.list().catch(() => []);
      for (const q of queues) {
        this.set({ queue: q.name, state: 'queued' }, q.queued);
        this.set({ queue: q.name, state: 'active' }, q.active);
      }
    },
  });

  const esi = sources.esi;
  if (esi) {
    new Gauge({
      name: 'roster_esi_error_limit_remaining',
      help: "ESI's error budget left in the current window (X-ESI-Error-Limit-Remain); NaN before ESI's first answer.",
      registers,
      collect() {
        this.set(esi.errorLimitRemain() ?? Number.NaN);
      },
    });
  }

  const requests = new Counter({
    name: 'roster_control_plane_requests_total',
    help: 'Control-plane (tRPC) requests by procedure and HTTP status; a batch counts once per procedure.',
    labelNames: ['procedure', 'code'],
    registers,
  });
  const requestSeconds = new Histogram({
    name: 'roster_control_plane_request_duration_seconds',
    help: 'Control-plane (tRPC) request time by procedure.',
    labelNames: ['procedure'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });

  // Every series of a configured target exists from the start, so rate() and alerts see zeros.
  for (const t of sources.targets) {
    const labels = { platform: t.platform, target: t.name };
    for (const status of runStatuses) runs.inc({ ...labels, status }, 0);
    for (const change of changeKinds) applied.inc({ ...labels, change }, 0);
    for (const direction of ['added', 'removed']) reverted.inc({ ...labels, direction }, 0);
    calls.inc(labels, 0);
    inProgress.set(labels, 0);
  }

  const dryRuns = new Map<string, boolean>();
  const onStarted = (run: Started) => {
    dryRuns.set(run.runId, run.dryRun);
    inProgress.inc({ platform: run.platform, target: run.target });
  };
  const onFinished = (run: Finished) => {
    const labels = { platform: run.platform, target: run.target };
    const dryRun = dryRuns.get(run.runId) ?? run.status === 'planned';
    const started = dryRuns.delete(run.runId);
    runs.inc({ ...labels, status: run.status });
    if (run.status === 'busy') return;
    if (started) inProgress.dec(labels);
    duration.observe(labels, run.seconds);
    calls.inc(labels, run.callsIssued);
    const counts = run.plan?.counts;
    if (!counts) return;
    let done = 0;
    if (!dryRun && run.status !== 'refused') {
      reverted.inc({ ...labels, direction: 'added' }, counts.driftAdded);
      reverted.inc({ ...labels, direction: 'removed' }, counts.driftRemoved);
    }
    const appliedRun = !dryRun && run.status === 'applied';
    drift.set(labels, appliedRun ? 0 : counts.driftAdded + counts.driftRemoved);
    if (!dryRun && run.status !== 'refused') {
      // A refused run changes nothing; the engine reports each group change that failed as an
      // error starting `create "` or `rename "`.
      const failed = (verb: string) => run.errors.filter((e) => e.startsWith(`${verb} "`)).length;
      const changes = {
        add: run.report?.added ?? 0,
        remove: run.report?.removed ?? 0,
        nickname: run.report?.nicknamesChanged ?? 0,
        create: Math.max(0, counts.creates - failed('create')),
        rename: Math.max(0, counts.renames - failed('rename')),
      };
      for (const change of changeKinds) applied.inc({ ...labels, change }, changes[change]);
      done = changes.add + changes.remove + changes.create + changes.rename;
    }
    const planned = counts.adds + counts.removes + counts.creates + counts.renames + counts.heldRemovals;
    pending.set(labels, Math.max(0, planned - done));
    if (appliedRun) lastSuccess.set(labels, Date.now() / 1000);
  };
  sources.reconciler.on('sync:started', onStarted);
  sources.reconciler.on('sync:finished', onFinished);

  const procedureOf = (name: string) => (sources.procedures.has(name) ? name : 'unknown');

  return {
    registry,
    contentType: registry.contentType,
    observeRequest({ path, code, ms }) {
      for (const name of path.split(',')) {
        const procedure = procedureOf(name);
        requests.inc({ procedure, code });
        requestSeconds.observe({ procedure }, ms / 1000);
      }
    },
    render: () => registry.metrics(),
    close() {
      sources.reconciler.off('sync:started', onStarted);
      sources.reconciler.off('sync:finished', onFinished);
    },
  };
}

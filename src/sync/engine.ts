import { EventEmitter } from 'node:events';
import { withLogContext, type Logger } from '../logger.ts';
import type { Database } from '../store/orm.ts';
import { GroupMapping, PendingRemoval, SyncRun, SyncSnapshot } from '../store/entities/index.ts';
import { closeAbandonedRuns, presenceLeaseId, type AbandonedRun } from '../store/abandoned-runs.ts';
import type { LeaseHolding } from '../store/lease.ts';
import { newId } from '../crypto.ts';
import { desiredState } from './desired.ts';
import { guard, type GuardOptions } from './guard.ts';
import { loadSyncInputs, snapshotId, type SyncInputs } from './inputs.ts';
import { createLeaseKeeper, type LeaseTimers } from './lease-keeper.ts';
import { plan as computePlan, type DesiredGroup, type Plan, type PlanInput } from './plan.ts';
import {
  isEmptyScope,
  scopePlanInput,
  scopePredicate,
  targetScope,
  wholeGroupIds,
  type DirectoryScope,
  type TargetScope,
} from './scope.ts';
import { planLabels, summarizePlan, type PlanSummary } from './summary.ts';
import { trackProgress, type ProgressTracker, type RunProgress } from './progress.ts';
import type { ApplyBatch, ApplyReport, Platform, PlatformGroup, PlatformTarget } from './target.ts';

/** The calls an apply will issue: the target's own count, else one per account it changes. */
function estimateApplyCalls(target: PlatformTarget, batch: ApplyBatch): number {
  if (target.estimateApplyCalls) return target.estimateApplyCalls(batch);
  const accounts = new Set<string>();
  for (const change of [...batch.adds, ...batch.removes]) for (const a of change.accountIds) accounts.add(a);
  if (target.actsOnNicknames) for (const n of batch.nicknames) accounts.add(n.accountId);
  return accounts.size;
}

export interface ReconcilerOptions extends GuardOptions {
  readonly removalGraceMinutes: number;
  /** Identifies this daemon in leases and in the runs it records (at most 64 characters). */
  readonly instanceId?: string;
  /** How long a lease lives without a heartbeat: a dead daemon's lease is gone this long after it died. */
  readonly leaseTtlMs?: number;
  /** How often a daemon renews the leases it holds (default a third of the TTL). */
  readonly leaseHeartbeatMs?: number;
  readonly now?: () => Date;
  /** The heartbeat's timers (tests pass fake ones). */
  readonly timers?: LeaseTimers;
}

/** Defaults of the lease: a dead holder's lease lapses within 30 s, renewed every 10 s while alive. */
export const leaseDefaults = { ttlMs: 30_000, heartbeatMs: 10_000 } as const;

export interface RunOptions {
  readonly dryRun?: boolean;
  /** Apply even if the blast-radius guard refuses. */
  readonly force?: boolean;
  /** What asked for the run: `schedule`, `api:<userId>`, `debounce`, ... */
  readonly trigger?: string;
  /**
   * Observe and fix only what these directory changes touched (an event-driven run). A target
   * that has never had a full run gets one instead.
   */
  readonly scope?: DirectoryScope;
  /** The run's id, when the caller names it beforehand (to follow it); default a new one. */
  readonly runId?: string;
}

export type RunStatus = 'applied' | 'planned' | 'refused' | 'failed' | 'busy';

export interface RunResult {
  readonly runId: string;
  readonly platform: Platform;
  readonly target: string;
  readonly status: RunStatus;
  readonly plan: PlanSummary | null;
  readonly report: ApplyReport | null;
  readonly callsIssued: number;
  readonly reason: string | null;
  readonly errors: readonly string[];
  /** On `busy`: the daemon whose run holds the target, and since when (ISO time). */
  readonly heldBy?: { readonly holder: string; readonly since: string };
  /** What a scoped run covered on this target (mapped groups whole, accounts); null for a full run. */
  readonly scope?: { readonly groups: number; readonly accounts: number } | null;
}

export interface ReconcilerEvents {
  'sync:started': [{ runId: string; platform: Platform; target: string; dryRun: boolean }];
  /** Also for `busy` answers (no run started; seconds 0). */
  'sync:finished': [RunResult & { seconds: number; plan: PlanSummary | null }];
  /** Runs a dead daemon left `running`, closed by this one. */
  'sync:abandoned': [AbandonedRun];
}

export interface Reconciler extends EventEmitter<ReconcilerEvents> {
  run(platform: Platform, target: string, options?: RunOptions): Promise<RunResult>;
  /**
   * Resolves once no run of this reconciler is in progress, or after `timeoutMs`. A stopping
   * daemon calls it after stopping its targets: a run the job system stopped waiting for then
   * fails fast, records itself and gives up its lease before the database closes.
   */
  idle(timeoutMs: number): Promise<void>;
  /**
   * Closes as `abandoned` the runs left `running` by daemons that are gone (the daemon calls it at
   * start; a run calls it whenever it takes a target's lease, a takeover included).
   */
  closeAbandoned(): Promise<AbandonedRun[]>;
  /** This daemon's runs in progress, or the one with this id (undefined when it is not running here). */
  progress(): RunProgress[];
  progress(runId: string): RunProgress | undefined;
  /** The result of a run of this daemon that finished lately (the last 100 are kept). */
  result(runId: string): RunResult | undefined;
  /** This daemon's name in leases and runs. */
  readonly instanceId: string;
  targets(): readonly PlatformTarget[];
  target(platform: Platform, name: string): PlatformTarget | undefined;
}

/**
 * The platform-neutral engine: desired -> observed -> plan -> guard -> apply -> record. Each run
 * reads everything afresh (level-triggered), so a run that dies halfway is finished by the next.
 */
export function createReconciler(
  db: Database,
  targets: readonly PlatformTarget[],
  options: ReconcilerOptions,
  logger: Logger,
): Reconciler {
  const events = new EventEmitter<ReconcilerEvents>();
  const instanceId = options.instanceId ?? newId();
  const now = options.now ?? (() => new Date());
  const ttlMs = options.leaseTtlMs ?? leaseDefaults.ttlMs;
  const lost = new Set<string>();
  const leases = createLeaseKeeper(
    db,
    {
      holder: instanceId,
      ttlMs,
      heartbeatMs: options.leaseHeartbeatMs ?? Math.max(1, Math.floor(ttlMs / 3)),
      now,
      timers: options.timers,
      onLost: (id) => lost.add(id),
    },
    logger,
  );
  const find = (platform: Platform, name: string) =>
    targets.find((t) => t.platform === platform && t.name === name);
  // The database lease keeps two daemons apart, but it is held per daemon (instanceId), so it
  // would let two runs of one daemon through; these are the leases this daemon's runs hold now,
  // with when each was taken.
  const running = new Map<string, Date>();
  const inProgress = new Set<Promise<RunResult>>();
  const live = new Map<string, ProgressTracker>();
  const results = new Map<string, RunResult>();
  // While any run of this daemon is in progress, its presence lease says the daemon is alive: the
  // runs it recorded `running` are not abandoned. Held from the first run to the last.
  const presence = presenceLeaseId(instanceId);
  let runsInProgress = 0;
  let entering: Promise<unknown> | null = null;

  async function enter() {
    runsInProgress += 1;
    entering ??= leases.hold(presence);
    await entering;
  }

  async function leave() {
    runsInProgress -= 1;
    if (runsInProgress > 0) return;
    entering = null;
    // Not released: it lapses on its own, and until then says nothing wrong (no run of ours is running).
    await leases.drop(presence, false);
  }

  async function closeAbandoned(): Promise<AbandonedRun[]> {
    const closed = await closeAbandonedRuns(db.fork(), now(), instanceId);
    for (const run of closed) {
      logger.warn(
        { runId: run.id, platform: run.platform, target: run.target, holder: run.holder },
        run.reason,
      );
      events.emit('sync:abandoned', run);
    }
    return closed;
  }

  function tracked(platform: Platform, name: string, runOptions: RunOptions = {}): Promise<RunResult> {
    const promise = run(platform, name, runOptions);
    inProgress.add(promise);
    const done = () => inProgress.delete(promise);
    promise.then(done, done);
    return promise;
  }

  async function idle(timeoutMs: number): Promise<void> {
    if (inProgress.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    try {
      await Promise.race([Promise.allSettled([...inProgress]), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function run(platform: Platform, name: string, runOptions: RunOptions = {}): Promise<RunResult> {
    const target = find(platform, name);
    if (!target) throw new Error(`no ${platform} target named "${name}" in the configuration`);
    const runId = runOptions.runId ?? newId();
    const dryRun = runOptions.dryRun ?? false;
    const log = logger.child({ runId, platform, target: name });
    const startedAt = now();
    const leaseId = `sync:${platform}:${name}`;
    const result = (status: RunStatus, fields: Partial<RunResult> = {}): RunResult => ({
      runId,
      platform,
      target: name,
      status,
      plan: null,
      report: null,
      callsIssued: 0,
      reason: null,
      errors: [],
      ...fields,
    });

    const busy = (heldBy: LeaseHolding | null): RunResult => {
      const by = heldBy ?? { holder: 'unknown', since: startedAt };
      const outcome = result('busy', {
        reason: `another run of this target is in progress (daemon ${by.holder}, since ${by.since.toISOString()})`,
        heldBy: { holder: by.holder, since: by.since.toISOString() },
      });
      log.info(
        { holder: by.holder, since: by.since },
        'another run of this target holds the lease; skipping',
      );
      events.emit('sync:finished', { ...outcome, seconds: 0 });
      return outcome;
    };

    if (!dryRun) {
      // Claimed before the first await, so two concurrent calls cannot both pass.
      const local = running.get(leaseId);
      if (local) return busy({ holder: instanceId, since: local, until: local });
      running.set(leaseId, startedAt);
      let attempt;
      try {
        await enter();
        attempt = await leases.hold(leaseId);
      } catch (error) {
        running.delete(leaseId);
        await leave();
        throw error;
      }
      if (!attempt.acquired) {
        running.delete(leaseId);
        await leave();
        return busy(attempt.heldBy);
      }
      lost.delete(leaseId);
      if (attempt.takenOver)
        log.warn(
          { previousHolder: attempt.takenOver.holder, lapsedAt: attempt.takenOver.until },
          'took over the lease of a daemon that stopped renewing it',
        );
      // Whoever ran this target before us, if its run is still `running`, is gone: close it now.
      await closeAbandoned().catch((error: unknown) =>
        log.error({ err: error }, 'could not close abandoned runs'),
      );
    } else {
      await enter();
    }
    events.emit('sync:started', { runId, platform, target: name, dryRun });
    const run = db.fork().create(SyncRun, {
      id: runId,
      platform,
      target: name,
      holder: instanceId,
      status: 'running',
      dryRun,
      forced: runOptions.force ?? false,
      trigger: runOptions.trigger ?? 'manual',
      startedAt,
      finishedAt: null,
      creates: 0,
      renames: 0,
      adds: 0,
      removes: 0,
      nicknames: 0,
      heldRemovals: 0,
      drift: 0,
      skipped: [],
      callsIssued: 0,
      errors: [],
      refusedReason: null,
      managedMemberships: 0,
    });
    const callsBefore = target.callsIssued();
    const progress = trackProgress(
      { runId, platform, target: name, startedAt },
      () => target.callsIssued() - callsBefore,
    );
    live.set(runId, progress);
    let outcome: RunResult;
    try {
      await db.fork().persist(run).flush();
      // The adapters log with loggers of their own: the context gives their lines the runId too.
      outcome = await withLogContext({ runId }, () =>
        reconcile(target, runId, dryRun, runOptions.force ?? false, log, runOptions.scope ?? null, progress),
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.error({ err: error }, 'sync run failed');
      outcome = result('failed', { reason: message, errors: [message] });
    } finally {
      if (!dryRun) {
        // Released with a write guarded on being ours: a lease another daemon took meanwhile is lost.
        if (!(await leases.drop(leaseId, true).catch(() => true))) lost.add(leaseId);
        running.delete(leaseId);
      }
    }
    if (lost.delete(leaseId)) {
      // Our heartbeat failed long enough for another daemon to take the target: its run may have
      // overlapped ours, so this one does not count as applied (the job retries it).
      const message =
        'lost the lease of this target during the run (heartbeats failed); another daemon took it';
      outcome = {
        ...outcome,
        status: outcome.status === 'applied' ? 'failed' : outcome.status,
        errors: [...outcome.errors, message],
        reason: outcome.reason ?? message,
      };
    }
    outcome = { ...outcome, runId, callsIssued: target.callsIssued() - callsBefore };
    progress.phase('recording');
    await recordRun(outcome, dryRun).catch((error: unknown) =>
      log.error({ err: error }, 'could not record the run'),
    );
    await leave().catch(() => undefined);
    live.delete(runId);
    results.set(runId, outcome);
    for (const old of results.keys()) {
      if (results.size <= 100) break;
      results.delete(old);
    }
    events.emit('sync:finished', { ...outcome, seconds: (now().getTime() - startedAt.getTime()) / 1000 });
    log.info(
      {
        status: outcome.status,
        calls: outcome.callsIssued,
        plan: outcome.plan?.counts,
        reason: outcome.reason ?? undefined,
      },
      `sync run ${outcome.status}`,
    );
    return outcome;
  }

  async function reconcile(
    target: PlatformTarget,
    runId: string,
    dryRun: boolean,
    force: boolean,
    log: Logger,
    directoryScope: DirectoryScope | null,
    progress: ProgressTracker,
  ): Promise<RunResult> {
    const { platform, name } = target;
    // A run scoped to users alone reads only them from the directory (its cost follows the change,
    // not the directory's size); a group read whole needs all its members, so the rest read it all.
    const onlyUsers =
      directoryScope && directoryScope.groups.length === 0 ? { userIds: directoryScope.users } : undefined;
    let inputs = await loadSyncInputs(db.fork(), platform, name, onlyUsers);
    // Without a last applied run there is nothing to keep outside a scope: the first run is full.
    if (onlyUsers && !inputs.lastApplied) inputs = await loadSyncInputs(db.fork(), platform, name);
    const partial = onlyUsers !== undefined && inputs.lastApplied !== null;
    const desired = desiredState(
      platform,
      inputs.dir,
      inputs.mappings,
      inputs.accountOf,
      inputs.membersOf,
      inputs.heldByNotice,
    );
    // A target configured to leave nicknames alone gets no nickname changes planned, so the plan
    // (a dry run's printout included) is what the run will do.
    const desiredNicknames = target.actsOnNicknames ? desired.nicknames : new Map<string, string>();
    // Without a last applied run there is nothing to keep outside a scope: the first run is full.
    let scope: TargetScope | null =
      directoryScope && inputs.lastApplied
        ? targetScope(directoryScope, platform, name, inputs.mappings, inputs.accountOf)
        : null;
    const base = {
      runId,
      platform,
      target: name,
      callsIssued: 0,
      scope: scope ? { groups: scope.mappingIds.size, accounts: scope.accounts.size } : null,
    };
    if (scope && isEmptyScope(scope)) {
      log.info('the changes touch nothing on this target');
      const nothing = summarizePlan(computePlan(planInput(inputs, [], [], new Map(), null, platform, name)));
      return {
        ...base,
        status: dryRun ? 'planned' : 'applied',
        plan: nothing,
        report: null,
        reason: null,
        errors: [],
      };
    }
    // Discord shows it in the guild's audit log for every change of this run.
    const reason = `Roster sync run ${runId}`;

    // Everything is read and planned before anything is written: a run the guard refuses changes
    // nothing at all, not even the groups it would have created. Groups still to be created have no
    // members to observe (they do not exist yet); adopted ones are observed under their platform id.
    // A run scoped to accounts in groups that all have a platform group trusts the tracked ids (a
    // group deleted by hand fails its writes; the next full run recreates it) and skips the list.
    const trustIds =
      scope !== null && scope.mappingIds.size === 0 && desired.groups.every((g) => g.platformGroupId);
    const platformGroups = trustIds
      ? desired.groups.map((g) => ({ id: g.platformGroupId!, name: g.displayName }))
      : await target.listGroups();
    const groupPlan = planWith(inputs, desired.groups, platformGroups, new Map(), null, platform, name);
    const ids = new Map(desired.groups.map((g) => [g.mappingId, g.platformGroupId]));
    for (const adoption of groupPlan.adopts) ids.set(adoption.mappingId, adoption.platformGroupId);
    const resolve = (): DesiredGroup[] =>
      desired.groups.map((g) => ({ ...g, platformGroupId: ids.get(g.mappingId) ?? null }));
    const managedIds = (groups: readonly DesiredGroup[]) =>
      groups.flatMap((g) => (g.platformGroupId ? [g.platformGroupId] : []));
    // A group this run creates is new to the target's view of the guild: read it all, with the
    // whole directory behind it (nothing is written yet, so starting over as a full run is free).
    if (groupPlan.creates.length > 0 && partial)
      return reconcile(target, runId, dryRun, force, log, null, progress);
    if (groupPlan.creates.length > 0) scope = null;
    const planned = resolve();
    const observed = await target.observe(
      managedIds(planned),
      scope
        ? { wholeGroupIds: [...wholeGroupIds(scope, planned)], accountIds: [...scope.accounts] }
        : undefined,
    );
    const firstPlan = planWith(
      inputs,
      planned,
      platformGroups,
      observed.members,
      observed.nicknames,
      platform,
      name,
      desiredNicknames,
      scope,
    );
    // The group phase is reported as pass 1 planned it (in a real run it is applied below).
    const labels = planLabels(
      new Map(desired.groups.map((g) => [g.mappingId, g.displayName])),
      inputs.accountOf,
      (userId) => inputs.dir.users.get(userId)?.characterName,
      observed.nicknames,
    );
    const summary = summarizePlan(
      { ...firstPlan, creates: groupPlan.creates, adopts: groupPlan.adopts, renames: groupPlan.renames },
      labels,
    );
    const errors: string[] = [];
    if (dryRun) return { ...base, status: 'planned', plan: summary, report: null, reason: null, errors };

    // A scoped plan sees a slice of the target: its removals are weighed against every managed
    // membership Roster left there (the last applied snapshot), as in a full run.
    const verdict = guard(
      scope ? { ...firstPlan, managedMemberships: managedBase(inputs, planned, firstPlan) } : firstPlan,
      options,
    );
    if (!verdict.allowed && !force) {
      const c = summary.counts;
      const refusal = `${verdict.reason}; nothing was changed: the run would have created ${c.creates} and renamed ${c.renames} groups, added ${c.adds} and removed ${c.removes} memberships (an operator can force it)`;
      log.warn({ reason: refusal }, 'blast-radius guard refused the run; an operator can force it');
      return { ...base, status: 'refused', plan: summary, report: null, reason: refusal, errors };
    }
    if (!verdict.allowed) log.warn({ reason: verdict.reason }, 'blast-radius guard overridden by force');

    // The groups themselves (adopt, create, rename), saved one by one so a crash loses nothing.
    for (const adoption of groupPlan.adopts) await saveGroupId(adoption.mappingId, adoption.platformGroupId);
    const observedMembers = new Map(observed.members);
    progress.phase('groups');
    for (const creation of groupPlan.creates) {
      try {
        const created = await target.createGroup(creation.name, reason);
        ids.set(creation.mappingId, created.id);
        await saveGroupId(creation.mappingId, created.id);
        platformGroups.push(created);
        observedMembers.set(created.id, new Set());
      } catch (error) {
        errors.push(`create "${creation.name}": ${(error as Error).message}`);
      }
    }
    for (const rename of groupPlan.renames) {
      try {
        await target.renameGroup(rename.platformGroupId, rename.to, reason);
      } catch (error) {
        errors.push(`rename "${rename.from}" to "${rename.to}": ${(error as Error).message}`);
      }
    }

    // The memberships, now with the ids of the groups just created (empty, so nothing to observe).
    const resolved = resolve();
    const fullPlan = planWith(
      inputs,
      resolved,
      platformGroups,
      observedMembers,
      observed.nicknames,
      platform,
      name,
      desiredNicknames,
      scope,
    );
    const batch: ApplyBatch = {
      runId,
      adds: fullPlan.adds.flatMap((d) =>
        d.platformGroupId ? [{ groupId: d.platformGroupId, accountIds: d.accountIds }] : [],
      ),
      removes: fullPlan.removes.map((d) => ({ groupId: d.platformGroupId!, accountIds: d.accountIds })),
      nicknames: fullPlan.nicknames.map((n) => ({ accountId: n.accountId, nickname: n.to })),
      reason,
    };
    progress.phase('applying', progress.snapshot().callsDone + estimateApplyCalls(target, batch));
    const applied = await target.apply(batch);
    // Skips name their group as the platform does, for the run report and the stored run.
    const groupNames = new Map(platformGroups.map((g) => [g.id, g.name]));
    for (const g of resolved) if (g.platformGroupId) groupNames.set(g.platformGroupId, g.displayName);
    const report: ApplyReport = {
      ...applied,
      skipped: applied.skipped.map((s) => {
        const groupName = s.groupId === undefined ? undefined : groupNames.get(s.groupId);
        return groupName === undefined ? s : { ...s, groupName };
      }),
    };
    await saveAfterApply(
      platform,
      name,
      fullPlan,
      observedMembers,
      report,
      managedIds(resolved),
      scope ? { inScope: scopePredicate(scope, resolved), inputs } : null,
    );
    const allErrors = [...errors, ...report.errors];
    if (fullPlan.drift.added + fullPlan.drift.removed > 0) {
      log.warn({ drift: fullPlan.drift }, 'reverted changes made by hand on the platform');
    }
    return {
      ...base,
      status: allErrors.length ? 'failed' : 'applied',
      plan: summary,
      report,
      reason: allErrors[0] ?? null,
      errors: allErrors,
    };
  }

  function planWith(
    inputs: SyncInputs,
    desired: DesiredGroup[],
    platformGroups: readonly PlatformGroup[],
    observed: ReadonlyMap<string, ReadonlySet<string>>,
    observedNicknames: ReadonlyMap<string, string | null> | null,
    platform: Platform,
    name: string,
    desiredNicknames: ReadonlyMap<string, string> = new Map(),
    scope: TargetScope | null = null,
  ): Plan {
    const input = planInput(
      inputs,
      desired,
      platformGroups,
      observed,
      observedNicknames,
      platform,
      name,
      desiredNicknames,
    );
    return computePlan(scope ? scopePlanInput(input, scope) : input);
  }

  function planInput(
    inputs: SyncInputs,
    desired: DesiredGroup[],
    platformGroups: readonly PlatformGroup[],
    observed: ReadonlyMap<string, ReadonlySet<string>>,
    observedNicknames: ReadonlyMap<string, string | null> | null,
    platform: Platform,
    name: string,
    desiredNicknames: ReadonlyMap<string, string> = new Map(),
  ): PlanInput {
    return {
      platform,
      target: name,
      desired,
      platformGroups,
      observed,
      presentAccounts: platform === 'discord' && observedNicknames ? new Set(observedNicknames.keys()) : null,
      desiredNicknames,
      observedNicknames: observedNicknames ?? new Map(),
      pendingRemovals: inputs.pendingRemovals,
      now: now(),
      removalGraceMs: options.removalGraceMinutes * 60_000,
      lastApplied: inputs.lastApplied,
    };
  }

  /** Managed memberships of the whole target for the guard of a scoped run. */
  function managedBase(inputs: SyncInputs, desired: readonly DesiredGroup[], scoped: Plan): number {
    let total = 0;
    for (const g of desired)
      if (g.mode === 'managed' && g.platformGroupId)
        total += inputs.lastApplied?.get(g.platformGroupId)?.size ?? 0;
    return Math.max(total, scoped.managedMemberships);
  }

  async function saveGroupId(mappingId: string, platformGroupId: string) {
    await db.fork().nativeUpdate(GroupMapping, { id: mappingId }, { platformGroupId });
  }

  async function saveAfterApply(
    platform: Platform,
    name: string,
    plan: Plan,
    observed: ReadonlyMap<string, ReadonlySet<string>>,
    report: ApplyReport,
    managedIds: string[],
    scoped: {
      readonly inScope: (platformGroupId: string, accountId: string) => boolean;
      readonly inputs: SyncInputs;
    } | null,
  ) {
    const em = db.fork();
    // An apply that reported errors may have stopped part way (a dropped connection): which of its
    // changes landed is unknown. Then only what was observed is remembered, and every removal keeps
    // its clock, so the next run neither takes an unapplied change for a hand edit on the platform
    // (false drift) nor restarts the grace period of a removal that never happened.
    const complete = report.errors.length === 0;
    await em.nativeDelete(PendingRemoval, { platform, target: name });
    // A scoped run replaces the removal clocks inside its scope and keeps the others.
    const kept = scoped
      ? [...scoped.inputs.pendingRemovals].filter(([key]) => {
          const [platformGroupId, accountId] = key.split('/') as [string, string];
          return !scoped.inScope(platformGroupId, accountId);
        })
      : [];
    const pending = [...kept, ...plan.pendingRemovals].flatMap(([key, since]) => {
      const [platformGroupId, accountId] = key.split('/') as [string, string];
      const applied =
        complete &&
        plan.removes.some((r) => r.platformGroupId === platformGroupId && r.accountIds.includes(accountId));
      return applied
        ? []
        : [{ id: newId(), platform, target: name, platformGroupId, accountId, firstPlannedAt: since }];
    });
    if (pending.length) await em.insertMany(PendingRemoval, pending);

    // Only skipped membership changes matter here; a skipped nickname (no groupId) changes no group.
    const skipped = new Set(
      report.skipped.flatMap((s) => (s.groupId ? [`${s.groupId}/${s.accountId}`] : [])),
    );
    const members: Record<string, string[]> = {};
    for (const groupId of managedIds) {
      // Outside its scope a scoped run saw nothing: what the last run left there stays as it was.
      const set = scoped
        ? new Set([
            ...[...(scoped.inputs.lastApplied?.get(groupId) ?? [])].filter(
              (a) => !scoped.inScope(groupId, a),
            ),
            ...[...(observed.get(groupId) ?? [])].filter((a) => scoped.inScope(groupId, a)),
          ])
        : new Set(observed.get(groupId) ?? []);
      if (complete) {
        for (const add of plan.adds.filter((a) => a.platformGroupId === groupId)) {
          for (const account of add.accountIds) if (!skipped.has(`${groupId}/${account}`)) set.add(account);
        }
        for (const remove of plan.removes.filter((r) => r.platformGroupId === groupId)) {
          for (const account of remove.accountIds)
            if (!skipped.has(`${groupId}/${account}`)) set.delete(account);
        }
      }
      members[groupId] = [...set];
    }
    const id = snapshotId(platform, name);
    const updated = await em.nativeUpdate(SyncSnapshot, { id }, { members, updatedAt: now() });
    if (updated === 0) await em.insert(SyncSnapshot, { id, members, updatedAt: now() });
  }

  async function recordRun(outcome: RunResult, dryRun: boolean) {
    const counts = outcome.plan?.counts;
    await db.fork().nativeUpdate(
      SyncRun,
      { id: outcome.runId },
      {
        status: outcome.status === 'busy' ? 'failed' : outcome.status,
        dryRun,
        finishedAt: now(),
        creates: counts?.creates ?? 0,
        renames: counts?.renames ?? 0,
        adds: outcome.report?.added ?? (dryRun ? (counts?.adds ?? 0) : 0),
        removes: outcome.report?.removed ?? (dryRun ? (counts?.removes ?? 0) : 0),
        nicknames: outcome.report?.nicknamesChanged ?? (dryRun ? (counts?.nicknames ?? 0) : 0),
        heldRemovals: counts?.heldRemovals ?? 0,
        drift: (counts?.driftAdded ?? 0) + (counts?.driftRemoved ?? 0),
        skipped: [...(outcome.report?.skipped ?? [])].slice(0, 500),
        callsIssued: outcome.callsIssued,
        errors: [...outcome.errors].slice(0, 100),
        refusedReason: outcome.status === 'refused' ? outcome.reason : null,
        managedMemberships: counts?.managedMemberships ?? 0,
      },
    );
  }

  function progressOf(): RunProgress[];
  function progressOf(runId: string): RunProgress | undefined;
  function progressOf(runId?: string): RunProgress[] | RunProgress | undefined {
    if (runId !== undefined) return live.get(runId)?.snapshot();
    return [...live.values()].map((p) => p.snapshot());
  }

  return Object.assign(events, {
    run: tracked,
    progress: progressOf,
    result: (runId: string) => results.get(runId),
    idle,
    closeAbandoned,
    instanceId,
    targets: () => targets,
    target: find,
  });
}

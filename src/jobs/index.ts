import type { PgBoss, Job } from 'pg-boss';
import { PermanentJobError, type JobControl } from '../services/job-control.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import { emptyScope, type DirectoryScope } from '../sync/scope.ts';
import { syncScopeAfterRebuild } from '../services/notifier.ts';
import type { Platform } from '../sync/target.ts';
import { createPendingScopes } from './pending-scopes.ts';
import { queues, schedules, type QueueName } from './queues.ts';

export interface SyncJobData {
  readonly platform: Platform;
  readonly target: string;
  readonly trigger: string;
  /** The daemon that asked for the run; the scope it owes waits in that daemon (see pending-scopes.ts). */
  readonly origin?: string;
}

/** What a sync job needs to know of its run: whether it is done, or must be tried again. */
/** A rebuild asked for through JobControl.requestRebuild; cron and the ESI jobs send none. */
export interface RebuildJobData {
  readonly trigger?: string;
  /** The daemon that asked; the scopes its requests named wait there. */
  readonly origin?: string;
}

export interface SyncJobOutcome {
  readonly status: string;
  readonly reason: string | null;
  /** What the run covered: null when it ran full (a first run is full whatever it was asked). */
  readonly scope?: unknown;
}

/** The work behind each queue; main.ts wires them to the services. */
export interface JobHandlers {
  /** One run of a target: scoped to what the merged changes touched, or full (scope null). */
  sync(data: SyncJobData, scope: DirectoryScope | null): Promise<SyncJobOutcome>;
  /** Enqueue a sync of every target (the scheduled full reconcile). */
  targets(): { platform: Platform; target: string }[];
  affiliations(): Promise<unknown>;
  esiRefresh(): Promise<unknown>;
  /** Rebuilds the autogroups; what it touched, or null when the targets must run full. */
  autogroups(): Promise<DirectoryScope | null>;
  cleanup(): Promise<unknown>;
}

export interface Jobs {
  readonly control: JobControl;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * pg-boss queues, schedules and workers. Syncs go through one `stately` queue keyed by target:
 * at most one queued and one running per target, and two daemons on one database never reconcile
 * the same target at once. That is the debounce, on the leading edge: the first change of a burst
 * is sent with no delay and wakes this daemon's sync worker at once; changes that arrive while it
 * runs find one job already queued and merge into it (pg-boss drops their sends), so a burst costs
 * one run now and one follow-up after it.
 */
export function createJobs(boss: PgBoss, config: Config, handlers: JobHandlers, logger: Logger): Jobs {
  const log = logger.child({ area: 'jobs' });
  const retry = {
    retryLimit: config.jobs.retryLimit,
    retryDelay: config.jobs.retryDelaySeconds,
    retryBackoff: true,
    retryDelayMax: 300,
    deadLetter: queues.deadLetters,
    // A worker that dies (kill -9, a lost machine) stops its job's heartbeat: pg-boss's supervisor
    // fails the job and it is retried within a minute, not when it expires (15 minutes).
    heartbeatSeconds: config.jobs.heartbeatSeconds,
  };
  let starting: Promise<void> | null = null;
  let stopping: Promise<void> | null = null;
  /** This daemon's sync worker: woken when a sync is asked for, instead of waiting for its next poll. */
  let syncWorker: string | null = null;
  let rebuildWorker: string | null = null;
  const origin = crypto.randomUUID();
  const pending = createPendingScopes();
  /** What the changes asking for a rebuild named, for the syncs after it (one key: one rebuild). */
  const rebuildsOwed = createPendingScopes();
  const REBUILD = 'rebuild';
  const keyOf = (t: { platform: Platform; target: string }) => `${t.platform}:${t.target}`;

  async function deadLetter(queue: string, job: Job<unknown>, error: unknown) {
    await boss.send(queues.deadLetters, {
      queue,
      jobId: job.id,
      data: job.data,
      error: (error as Error).message,
    });
  }

  /** Runs a handler; permanent errors are dead-lettered at once instead of retried. */
  function worker<T>(queue: QueueName, run: (data: T) => Promise<unknown>) {
    return async (jobs: Job<T>[]) => {
      for (const job of jobs) {
        try {
          await run(job.data);
        } catch (error) {
          if (error instanceof PermanentJobError) {
            log.error({ queue, jobId: job.id, err: error }, 'job failed permanently; dead-lettered');
            await deadLetter(queue, job as Job<unknown>, error);
            continue;
          }
          log.warn({ queue, jobId: job.id, err: error }, 'job failed; pg-boss will retry it');
          throw error;
        }
      }
    };
  }

  /** Owes the target a run (of this scope, or full) and makes sure a job will come to take it. */
  async function enqueueSync(data: SyncJobData, delaySeconds: number, scope: DirectoryScope | null = null) {
    pending.add(keyOf(data), scope ?? 'full');
    const id = await boss.send(
      queues.sync,
      { ...data, origin },
      {
        ...retry,
        singletonKey: keyOf(data),
        startAfter: delaySeconds,
      },
    );
    if (delaySeconds === 0 && syncWorker) boss.notifyWorker(syncWorker);
    return id;
  }

  /**
   * Runs what the target is owed. A job this daemon sent whose debt an earlier run already took
   * has nothing left to do; one from elsewhere runs full. A failed run (a dropped connection, a
   * platform error) and a busy target (another run, maybe a dead daemon's until its lease lapses,
   * holds it) owe their scope again (a failed full run, everything) and fail the job, so pg-boss
   * retries it with backoff until the run applies. A refused run is a decision, not a failure: it waits for an operator.
   */
  async function runSync(data: SyncJobData): Promise<SyncJobOutcome | undefined> {
    const key = keyOf(data);
    const owed = pending.take(key);
    if (data.origin === origin && owed === undefined) {
      log.debug({ target: key, trigger: data.trigger }, 'sync: an earlier run covered this request');
      return undefined;
    }
    const mine = data.origin === origin ? owed : 'full';
    const scope = mine === undefined || mine === 'full' ? null : mine;
    let outcome: SyncJobOutcome;
    try {
      outcome = await handlers.sync(data, scope);
    } catch (error) {
      if (owed !== undefined) pending.restore(key, owed);
      throw error;
    }
    if (outcome.status === 'failed' || outcome.status === 'busy') {
      // A failed run owes what it set out to do: a full one (the first run on a target is full
      // even when asked for a scope) owes everything, or its retry would fix only the scope and
      // leave the rest of what it did not apply to the scheduled run.
      const ranFull = outcome.status === 'failed' && (outcome.scope === null || outcome.scope === undefined);
      if (ranFull) pending.restore(key, 'full');
      else if (owed !== undefined) pending.restore(key, owed);
      throw new Error(
        `sync of ${data.platform}/${data.target} ${outcome.status}: ${outcome.reason ?? 'no reason given'}`,
      );
    }
    return outcome;
  }

  /**
   * One rebuild, then the syncs it calls for. The queue runs one rebuild at a time (across
   * daemons); a rebuild reads the whole directory, so it covers every request made before it
   * started: this daemon's requests queued during it find their debt taken and end at once.
   * Jobs from cron, the ESI jobs or another daemon always run (their scope is what the rebuild moved).
   */
  async function runRebuild(data: RebuildJobData | null): Promise<void> {
    const owed = rebuildsOwed.take(REBUILD);
    if (data?.origin === origin && owed === undefined) {
      log.debug({ trigger: data.trigger }, 'autogroups: an earlier rebuild covered this request');
      return;
    }
    let rebuilt: DirectoryScope | null;
    try {
      rebuilt = await handlers.autogroups();
    } catch (error) {
      if (owed !== undefined) rebuildsOwed.restore(REBUILD, owed);
      throw error;
    }
    const scope = syncScopeAfterRebuild(rebuilt, owed === 'full' ? undefined : owed);
    const trigger = data?.origin === origin && data.trigger ? data.trigger : 'autogroups';
    for (const t of handlers.targets())
      await enqueueSync({ ...t, trigger }, config.jobs.syncDebounceSeconds, scope);
  }

  async function start() {
    boss.on('error', (error) => log.error({ err: error }, 'pg-boss error'));
    await boss.start();
    await boss.createQueue(queues.deadLetters, { policy: 'standard' }).catch(ignoreExists);
    // createQueue leaves an existing queue as it is: the retry settings of the config are applied anyway.
    await boss.createQueue(queues.sync, { policy: 'stately', ...retry }).catch(ignoreExists);
    await boss.updateQueue(queues.sync, retry);
    for (const queue of [
      queues.reconcile,
      queues.affiliations,
      queues.esiRefresh,
      queues.autogroups,
      queues.cleanup,
    ]) {
      await boss.createQueue(queue, { policy: 'singleton', ...retry }).catch(ignoreExists);
      await boss.updateQueue(queue, retry);
    }
    for (const { queue, cron } of schedules(config)) await boss.schedule(queue, cron, null, { tz: 'UTC' });

    const fast = { pollingIntervalSeconds: 0.5, batchSize: 1 };
    // One worker per target (up to the pool's 4 connections): a slow run on one target (TeamSpeak's
    // flood budget, Discord's member-edit limit) must not hold back the syncs of the others. The
    // stately queue still keeps one run per target at a time.
    const syncWorkers = Math.min(4, Math.max(1, handlers.targets().length));
    const serve = <T>(queue: QueueName, run: (data: T) => Promise<unknown>, options: object = fast) =>
      boss.work<T>(queue, options, worker(queue, run));
    syncWorker = await serve<SyncJobData>(queues.sync, runSync, {
      ...fast,
      localConcurrency: syncWorkers,
    });
    await serve(queues.reconcile, async () => {
      for (const t of handlers.targets()) await enqueueSync({ ...t, trigger: 'schedule' }, 0);
    });
    await serve(queues.affiliations, async () => {
      await handlers.affiliations();
      await boss.send(queues.autogroups, { trigger: 'after-affiliations' });
    });
    await serve(queues.esiRefresh, async () => {
      await handlers.esiRefresh();
      await boss.send(queues.autogroups, { trigger: 'after-esi-refresh' });
    });
    rebuildWorker = await serve<RebuildJobData | null>(queues.autogroups, runRebuild);
    await serve(queues.cleanup, () => handlers.cleanup());
    log.info({ schedules: schedules(config) }, 'jobs started');
  }

  const control: JobControl = {
    async requestSync(platform, target, trigger, scope) {
      const list = handlers
        .targets()
        .filter((t) => t.platform === platform && (target === null || t.target === target));
      for (const t of list)
        await enqueueSync({ ...t, trigger }, config.jobs.syncDebounceSeconds, scope ?? null);
    },
    /**
     * Queued, active and failed counts are pg-boss's, as of its last monitor pass (every few seconds);
     * dead letters are counted now, per queue they came from (the dead-letter row has them all).
     */
    async requestRebuild(trigger, scope) {
      rebuildsOwed.add(REBUILD, scope ?? emptyScope);
      await boss.send(queues.autogroups, { trigger, origin } satisfies RebuildJobData);
      if (rebuildWorker) boss.notifyWorker(rebuildWorker);
    },
    async list() {
      const [byQueue, scheduleList, letters] = await Promise.all([
        boss.getQueues(Object.values(queues)),
        boss.getSchedules(),
        boss.findJobs<{ queue?: unknown }>(queues.deadLetters, { queued: true, limit: 100_000 }),
      ]);
      const deadOf = new Map<string, number>();
      for (const letter of letters) {
        const source =
          letter.sourceName ?? (typeof letter.data?.queue === 'string' ? letter.data.queue : 'unknown');
        deadOf.set(source, (deadOf.get(source) ?? 0) + 1);
      }
      return byQueue.map((q) => ({
        name: q.name,
        queued: q.name === queues.deadLetters ? letters.length : q.queuedCount,
        active: q.activeCount,
        failed: q.failedCount,
        deadLettered: q.name === queues.deadLetters ? letters.length : (deadOf.get(q.name) ?? 0),
        schedule: scheduleList.find((s) => s.name === q.name)?.cron ?? null,
      }));
    },
    async trigger(name, data = {}) {
      if (!Object.values(queues).includes(name as QueueName))
        throw new PermanentJobError(`unknown job "${name}"`);
      return boss.send(name, data);
    },
    async ready() {
      return starting !== null && stopping === null && boss.isInstalled();
    },
  };

  return {
    control,
    start() {
      starting ??= start();
      return starting;
    },
    stop() {
      stopping ??= (async () => {
        if (!starting) return;
        await starting.catch(() => undefined);
        await boss.stop({ graceful: true, timeout: config.jobs.shutdownTimeoutMs, close: true });
      })();
      return stopping;
    },
  };
}

function ignoreExists(error: unknown) {
  if (!/already exists/i.test((error as Error).message)) throw error;
}

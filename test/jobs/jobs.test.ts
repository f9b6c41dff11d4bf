import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { createBoss } from '../../src/jobs/boss.ts';
import { createJobs, type JobHandlers, type Jobs, type SyncJobData } from '../../src/jobs/index.ts';
import { queues } from '../../src/jobs/queues.ts';
import { PermanentJobError } from '../../src/services/job-control.ts';
import { createLogger } from '../../src/logger.ts';
import { usersScope, type DirectoryScope } from '../../src/sync/scope.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

/**
 * The job system on real pg-boss, on the test PostgreSQL server: one schema per test, so the
 * tests do not see each other's queues.
 */
const logger = createLogger({ level: 'silent' });
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t?.dispose());

const running: Jobs[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((j) => j.stop()));
});

const config = (jobs: Record<string, unknown> = {}) =>
  configSchema.parse({
    jobs: { syncDebounceSeconds: 1, retryLimit: 2, retryDelaySeconds: 1, shutdownTimeoutMs: 10_000, ...jobs },
  });

async function start(handlers: Partial<JobHandlers>, jobsConfig: Record<string, unknown> = {}) {
  const boss = createBoss({
    connectionString: t.url,
    pglite: null,
    schema: `pgboss_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`,
  });
  const jobs = createJobs(
    boss,
    config(jobsConfig),
    {
      sync: async () => applied,
      targets: () => [{ platform: 'teamspeak', target: 'main' }],
      affiliations: async () => undefined,
      esiRefresh: async () => undefined,
      autogroups: async () => null,
      cleanup: async () => undefined,
      ...handlers,
    },
    logger,
  );
  running.push(jobs);
  await jobs.start();
  return { boss, jobs };
}

/** What a sync handler answers when its run applied. */
const applied = { status: 'applied', reason: null } as const;

const until = (check: () => void | Promise<void>) => vi.waitFor(check, { timeout: 20_000, interval: 100 });

describe('jobs on pg-boss', () => {
  it('registers the cron schedules of the configuration', async () => {
    const { boss, jobs } = await start({}, { esiRefreshCron: '5 4 * * *' });
    const schedules = await boss.getSchedules();
    expect(Object.fromEntries(schedules.map((s) => [s.name, s.cron]))).toEqual({
      [queues.reconcile]: '*/10 * * * *',
      [queues.affiliations]: '17 * * * *',
      [queues.esiRefresh]: '5 4 * * *',
      [queues.autogroups]: '41 * * * *',
      [queues.cleanup]: '*/15 * * * *',
    });
    const listed = await jobs.control.list();
    expect(listed.find((q) => q.name === queues.esiRefresh)).toMatchObject({ schedule: '5 4 * * *' });
    expect(await jobs.control.ready()).toBe(true);
  });

  it('collapses a burst of 20 sync requests into at most 2 runs', async () => {
    const runs: SyncJobData[] = [];
    const { boss, jobs } = await start({ sync: async (data) => (runs.push(data), applied) });
    await Promise.all(Array.from({ length: 20 }, () => jobs.control.requestSync('teamspeak', null, 'x')));
    await until(async () => {
      expect(runs.length).toBeGreaterThanOrEqual(1);
      expect(await boss.findJobs(queues.sync, { queued: true })).toEqual([]);
    });
    expect(runs.length).toBeLessThanOrEqual(2);
    expect(runs[0]).toMatchObject({ platform: 'teamspeak', target: 'main', trigger: 'x' });
  });

  it('debounces on the leading edge: the first request runs at once, requests during the run merge into one follow-up', async () => {
    const runs: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const started = new Promise<void>((resolve) => (entered = resolve));
    const { boss, jobs } = await start(
      {
        sync: async (data) => {
          runs.push(data.trigger);
          if (runs.length === 1) {
            entered();
            await held;
          }
          return applied;
        },
      },
      { syncDebounceSeconds: 0 },
    );
    await jobs.control.requestSync('teamspeak', null, 'first');
    // Sent with no delay: the job may start as soon as it is created.
    const [job] = await boss.findJobs(queues.sync);
    expect(job!.startAfter.getTime()).toBeLessThanOrEqual(job!.createdOn.getTime());
    await started;
    for (const n of [1, 2, 3, 4, 5]) await jobs.control.requestSync('teamspeak', null, `during-${n}`);
    expect(runs).toEqual(['first']);
    release();
    await until(async () => {
      expect(runs).toHaveLength(2);
      expect(await boss.findJobs(queues.sync, { queued: true })).toEqual([]);
    });
    // The follow-up is the first request made during the run; the other four merged into it.
    expect(runs).toEqual(['first', 'during-1']);
  });

  it('merges the scopes of the requests made during a run into its follow-up; one request without a scope makes it full', async () => {
    const scopes: (DirectoryScope | null)[] = [];
    let release!: () => void;
    let entered!: () => void;
    const { boss, jobs } = await start(
      {
        sync: async (_data, scope) => {
          scopes.push(scope);
          if (scopes.length <= 2) {
            entered();
            await new Promise<void>((resolve) => (release = resolve));
          }
          return applied;
        },
      },
      { syncDebounceSeconds: 0 },
    );
    const held = () => new Promise<void>((resolve) => (entered = resolve));
    let running = held();
    await jobs.control.requestSync('teamspeak', null, 'edit', usersScope(['u1']));
    await running;
    await jobs.control.requestSync('teamspeak', null, 'edit', usersScope(['u2']));
    await jobs.control.requestSync('teamspeak', null, 'edit', {
      groups: ['g1'],
      users: ['u3'],
      accounts: [],
    });
    running = held();
    release();
    await running;
    // The second run is held too: during it, a scoped request and one for everything.
    await jobs.control.requestSync('teamspeak', null, 'edit', usersScope(['u4']));
    await jobs.control.requestSync('teamspeak', null, 'schedule');
    release();
    await until(async () => {
      expect(scopes).toHaveLength(3);
      expect(await boss.findJobs(queues.sync, { queued: true })).toEqual([]);
    });
    expect(scopes[0]).toEqual(usersScope(['u1']));
    expect(scopes[1]).toEqual({ groups: ['g1'], users: ['u2', 'u3'], accounts: [] });
    expect(scopes[2]).toBeNull();
  });

  it('rebuilds as a job: a burst during a rebuild shares one follow-up, and the syncs after it carry what the requests named', async () => {
    const rebuilds: number[] = [];
    const synced: { trigger: string; scope: DirectoryScope | null }[] = [];
    let release!: () => void;
    let entered!: () => void;
    const started = new Promise<void>((resolve) => (entered = resolve));
    const { boss, jobs } = await start(
      {
        autogroups: async () => {
          rebuilds.push(rebuilds.length + 1);
          if (rebuilds.length === 1) {
            entered();
            await new Promise<void>((resolve) => (release = resolve));
          }
          // The rebuild moved one user in; a renamed group would answer null (full runs).
          return usersScope([`moved-${rebuilds.length}`]);
        },
        sync: async (data, scope) => (synced.push({ trigger: data.trigger, scope }), applied),
      },
      { syncDebounceSeconds: 0 },
    );
    await jobs.control.requestRebuild('user.setClearance', usersScope(['u1']));
    await started;
    for (const n of [2, 3, 4, 5, 6])
      await jobs.control.requestRebuild('coalition.update', usersScope([`u${n}`]));
    expect(rebuilds).toEqual([1]);
    release();
    await until(async () => {
      expect(await boss.findJobs(queues.autogroups, { queued: true })).toEqual([]);
      expect(await boss.findJobs(queues.sync, { queued: true })).toEqual([]);
      expect(synced.map((s) => s.scope?.users).flat()).toContain('u6');
    });
    // Five requests during the first rebuild: one more rebuild, not five.
    expect(rebuilds).toEqual([1, 2]);
    // The syncs carry what both rebuilds moved and what every request named (the first rebuild's
    // sync may still be queued when the second adds to it: then they are one run).
    expect(synced[0]!.trigger).toBe('user.setClearance');
    expect(synced.every((s) => s.scope !== null)).toBe(true);
    expect(new Set(synced.flatMap((s) => s.scope!.users))).toEqual(
      new Set(['moved-1', 'u1', 'moved-2', 'u2', 'u3', 'u4', 'u5', 'u6']),
    );
  });

  it("gives a failed rebuild's requests back to its retry, and a rebuild that answers null makes the syncs full", async () => {
    let attempts = 0;
    const scopes: (DirectoryScope | null)[] = [];
    const { jobs } = await start({
      autogroups: async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('the database went away (transient)');
        return null;
      },
      sync: async (_data, scope) => (scopes.push(scope), applied),
    });
    await jobs.control.requestRebuild('ruleGroup.setRule', usersScope(['u1']));
    await until(() => {
      expect(attempts).toBe(2);
      expect(scopes).toEqual([null]);
    });
  });

  it('retries a transient failure, then runs what follows (the autogroup rebuild and a sync)', async () => {
    let attempts = 0;
    let rebuilt = 0;
    const synced: string[] = [];
    const { jobs } = await start({
      affiliations: async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('ESI is down (transient)');
      },
      // A corporation move: the rebuild names the user who moved, and the sync is scoped to them.
      autogroups: async () => ((rebuilt += 1), usersScope(['moved'])),
      sync: async (data, scope) => (synced.push(data.trigger), scopes.push(scope), applied),
    });
    const scopes: (DirectoryScope | null)[] = [];
    await jobs.control.trigger(queues.affiliations);
    await until(() => {
      expect(attempts).toBe(2);
      expect(rebuilt).toBe(1);
      expect(synced).toEqual(['autogroups']);
    });
    expect(scopes).toEqual([usersScope(['moved'])]);
    expect((await jobs.control.list()).find((q) => q.name === queues.deadLetters)).toMatchObject({
      deadLettered: 0,
    });
  });

  it('dead-letters a permanent failure at once, and a transient one after its retries; both show in list()', async () => {
    let permanent = 0;
    let transient = 0;
    const { boss, jobs } = await start(
      {
        esiRefresh: async () => {
          permanent += 1;
          throw new PermanentJobError('ESI refused: 403 (permanent)');
        },
        cleanup: async () => {
          transient += 1;
          throw new Error('database busy (transient)');
        },
      },
      { retryLimit: 1 },
    );
    await jobs.control.trigger(queues.esiRefresh);
    await jobs.control.trigger(queues.cleanup);
    await until(async () => {
      const letters = await boss.findJobs<Record<string, unknown>>(queues.deadLetters, { queued: true });
      expect(letters).toHaveLength(2);
    });
    expect(permanent).toBe(1);
    expect(transient).toBe(2); // the first attempt and one retry
    const listed = await jobs.control.list();
    expect(listed.find((q) => q.name === queues.deadLetters)).toMatchObject({ deadLettered: 2 });
    expect(listed.find((q) => q.name === queues.esiRefresh)).toMatchObject({ deadLettered: 1 });
    expect(listed.find((q) => q.name === queues.cleanup)).toMatchObject({ deadLettered: 1 });
  });

  it('stops gracefully: no new jobs, the running one finishes, a second stop() is the same', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const started = new Promise<void>((resolve) => (entered = resolve));
    let finished = false;
    const { jobs } = await start({
      sync: async () => {
        entered();
        await held;
        finished = true;
        return applied;
      },
    });
    await jobs.control.requestSync('teamspeak', 'main', 'x');
    await started;
    let stopped = false;
    const stopping = jobs.stop().then(() => (stopped = true));
    expect(jobs.stop()).toBe(jobs.stop());
    expect(await jobs.control.ready()).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stopped).toBe(false); // still waiting for the running job
    release();
    await stopping;
    expect(finished).toBe(true);
  });

  it('retries a failed or busy sync with backoff until its run applies; a refused one is not retried', async () => {
    const answers = [
      { status: 'failed', reason: 'not connected to TeamSpeak: connection lost; reconnecting' },
      { status: 'busy', reason: 'another run of this target is in progress' },
      applied,
    ];
    const seen: string[] = [];
    const { boss, jobs } = await start(
      {
        sync: async () => {
          const answer = answers.shift() ?? { status: 'refused', reason: 'guard' };
          seen.push(answer.status);
          return answer;
        },
      },
      { retryLimit: 5 },
    );
    await jobs.control.requestSync('teamspeak', 'main', 'x');
    await until(async () => {
      expect(seen).toEqual(['failed', 'busy', 'applied']);
      expect(await boss.findJobs(queues.sync, { queued: true })).toEqual([]);
    });
    // A refusal waits for an operator: the job completes, nothing is retried or dead-lettered.
    await jobs.control.requestSync('teamspeak', 'main', 'y');
    await until(async () => {
      expect(seen).toEqual(['failed', 'busy', 'applied', 'refused']);
      expect(await boss.findJobs(queues.sync, { queued: true })).toEqual([]);
    });
    expect(await boss.findJobs(queues.deadLetters, { queued: true })).toEqual([]);
  });

  it('retries a failed scoped run with its scope, and a failed full run (a first run) in full', async () => {
    // Each answer: what the run covered (its `scope`: null for a full one) and how it ended.
    const answers = [
      { status: 'failed', reason: 'connection lost', scope: { groups: 0, accounts: 1 } },
      applied,
      { status: 'failed', reason: 'connection lost', scope: null },
      applied,
    ];
    const asked: (DirectoryScope | null)[] = [];
    const { boss, jobs } = await start(
      {
        sync: async (_data, scope) => {
          asked.push(scope);
          return answers.shift() ?? applied;
        },
      },
      { retryLimit: 5, syncDebounceSeconds: 0 },
    );
    await jobs.control.requestSync('teamspeak', 'main', 'edit', usersScope(['u1']));
    await until(async () => {
      expect(asked).toHaveLength(2);
      expect(await boss.findJobs(queues.sync, { queued: true })).toEqual([]);
    });
    // The run was asked for u1 and ran full (as a first run does) but failed: the retry is full.
    await jobs.control.requestSync('teamspeak', 'main', 'edit', usersScope(['u2']));
    await until(async () => {
      expect(asked).toHaveLength(4);
      expect(await boss.findJobs(queues.sync, { queued: true })).toEqual([]);
    });
    expect(asked).toEqual([usersScope(['u1']), usersScope(['u1']), usersScope(['u2']), null]);
  });

  it('fails and retries the job of a worker that died mid-job (no heartbeat), within a minute', async () => {
    const schema = `pgboss_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const runs: string[] = [];
    const daemon = (superviseSeconds?: number) =>
      createJobs(
        createBoss({ connectionString: t.url, pglite: null, schema, superviseSeconds }),
        config({ retryLimit: 3 }),
        {
          sync: async (data) => (runs.push(data.trigger), applied),
          targets: () => [{ platform: 'teamspeak', target: 'main' }],
          affiliations: async () => undefined,
          esiRefresh: async () => undefined,
          autogroups: async () => null,
          cleanup: async () => undefined,
        },
        logger,
      );
    // A first daemon sets the queues up (their heartbeat is the configuration's), then stops.
    const first = daemon();
    await first.start();
    await first.stop();
    // The dead daemon: it claims the sync job (pg-boss marks it active) and then dies (SIGKILL):
    // nothing heartbeats nor settles the job.
    const dying = createBoss({ connectionString: t.url, pglite: null, schema });
    dying.on('error', () => undefined);
    await dying.start();
    await dying.send(
      queues.sync,
      { platform: 'teamspeak', target: 'main', trigger: 'x' },
      { singletonKey: 'teamspeak:main' },
    );
    const [claimed] = await dying.fetch(queues.sync);
    expect(claimed).toMatchObject({ heartbeatSeconds: 10 });
    await dying.stop({ graceful: false, close: true });

    // The survivor, on the same schema, supervising every 5 s.
    const jobs = daemon(5);
    running.push(jobs);
    const boss = createBoss({ connectionString: t.url, pglite: null, schema });
    await boss.start();
    const began = Date.now();
    await jobs.start();
    await vi.waitFor(() => expect(runs).toEqual(['x']), { timeout: 40_000, interval: 200 });
    expect(Date.now() - began).toBeLessThan(60_000);
    const job = await boss.getJobById(queues.sync, claimed!.id);
    await boss.stop({ close: true });
    expect(job).toMatchObject({ state: 'completed', retryCount: 1 });
  }, 60_000);
});

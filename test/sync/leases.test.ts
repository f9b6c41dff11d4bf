/**
 * Leases that follow liveness, on the engine, with the clock and the heartbeat's timers passed in:
 * a live run keeps its target however long it takes; a dead daemon (no more heartbeats) loses it
 * within the TTL, the next run takes over and closes the dead run as abandoned; `busy` says who
 * holds the target and since when, and is counted as a finished answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { SyncRun } from '../../src/store/entities/index.ts';
import { createReconciler, type ReconcilerEvents } from '../../src/sync/engine.ts';
import type { LeaseTimers } from '../../src/sync/lease-keeper.ts';
import { backends, createTestDatabase, type TestDatabase } from '../support/database.ts';
import { MemoryTarget } from '../support/memory-target.ts';
import { addCorporation, addGroup, addMapping, addTeamspeakLink, addUser } from '../support/rows.ts';

const logger = createLogger({ level: 'silent' });
const permissive = { maxRemovals: 1_000_000, maxRemovalShare: 1, removalGraceMinutes: 0 } as const;

/** A shared wall clock and, per daemon, interval timers that fire only when the test moves time. */
function fakeClock(start = Date.UTC(2026, 11, 1, 12, 0, 0)) {
  let nowMs = start;
  const daemons: { timers: Map<number, { fn: () => void; every: number; next: number }>; alive: boolean }[] =
    [];
  let nextHandle = 1;
  return {
    now: () => new Date(nowMs),
    at: (ms: number) => new Date(start + ms),
    /** Timers of one daemon; `kill()` stops them for good, as SIGKILL would. */
    daemon() {
      const d = { timers: new Map<number, { fn: () => void; every: number; next: number }>(), alive: true };
      daemons.push(d);
      const timers: LeaseTimers = {
        setInterval(fn, every) {
          const handle = nextHandle++;
          d.timers.set(handle, { fn, every, next: nowMs + every });
          return handle;
        },
        clearInterval: (handle) => void d.timers.delete(handle as number),
      };
      return { timers, kill: () => (d.alive = false) };
    },
    /** Moves time forward, firing due heartbeats of live daemons and letting their writes land. */
    async advance(ms: number) {
      const end = nowMs + ms;
      for (;;) {
        const due = daemons
          .filter((d) => d.alive)
          .flatMap((d) => [...d.timers.values()])
          .filter((t) => t.next <= end)
          .sort((a, b) => a.next - b.next)[0];
        if (!due) break;
        nowMs = due.next;
        due.next += due.every;
        due.fn();
        // The heartbeat's guarded writes go to a real database: give them time to land.
        await new Promise((r) => setTimeout(r, 50));
      }
      nowMs = end;
    },
  };
}

describe.each(backends())('leases that follow liveness, on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => t?.dispose());

  let corporationId = 97_000_001;
  async function world(target: string) {
    const em = t.db.fork();
    const corporation = addCorporation(em, corporationId++, { authorizedToLogin: true });
    const pilot = addUser(em, `Pilot ${target}`, { corporationId: corporation.corporationId });
    addTeamspeakLink(em, pilot.id, target, '11');
    addMapping(em, addGroup(em, `Fleet ${target}`, [pilot.id]).id, 'teamspeak', target);
    await em.flush();
    return new MemoryTarget('teamspeak', target);
  }

  function daemon(memory: MemoryTarget, clock: ReturnType<typeof fakeClock>, instanceId: string) {
    const process = clock.daemon();
    const reconciler = createReconciler(
      t.db,
      [memory],
      {
        ...permissive,
        instanceId,
        leaseTtlMs: 30_000,
        leaseHeartbeatMs: 10_000,
        now: clock.now,
        timers: process.timers,
      },
      logger,
    );
    const finished: ReconcilerEvents['sync:finished'][0][] = [];
    reconciler.on('sync:finished', (run) => finished.push(run));
    return { reconciler, kill: process.kill, finished };
  }

  it('a live run keeps its target past the TTL; busy names the holder and since when, and is counted', async () => {
    const clock = fakeClock();
    const memory = await world('alive');
    const a = daemon(memory, clock, 'daemon-a');
    const b = daemon(memory, clock, 'daemon-b');
    const hold = memory.hold('listGroups');
    const first = a.reconciler.run('teamspeak', 'alive');
    await hold.reached;

    // Two minutes of a slow run: A's heartbeat renews the lease every 10 s.
    await clock.advance(120_000);
    const busy = await b.reconciler.run('teamspeak', 'alive');
    expect(busy).toMatchObject({
      status: 'busy',
      heldBy: { holder: 'daemon-a', since: clock.at(0).toISOString() },
      reason: `another run of this target is in progress (daemon daemon-a, since ${clock.at(0).toISOString()})`,
    });
    // A busy answer is a finished answer too: metrics count it.
    expect(b.finished.map((r) => r.status)).toEqual(['busy']);
    // A second run inside daemon A is busy as well, named after A.
    expect(await a.reconciler.run('teamspeak', 'alive')).toMatchObject({
      status: 'busy',
      heldBy: { holder: 'daemon-a' },
    });

    hold.release();
    expect((await first).status).toBe('applied');
    expect((await b.reconciler.run('teamspeak', 'alive')).status).toBe('applied');
  });

  it('a killed daemon loses its target within the TTL; the next run takes over and closes the dead run as abandoned', async () => {
    const clock = fakeClock();
    const memory = await world('dead');
    const a = daemon(memory, clock, 'daemon-a');
    const b = daemon(memory, clock, 'daemon-b');
    const hold = memory.hold('listGroups');
    const dying = a.reconciler.run('teamspeak', 'dead');
    await hold.reached;
    const deadRun = (await t.db.fork().findOneOrFail(SyncRun, { target: 'dead', holder: 'daemon-a' })).id;

    await clock.advance(15_000); // A's last heartbeat was at 10 s: its lease lives until 40 s.
    a.kill(); // SIGKILL: no more heartbeats, the run row stays `running`.
    await clock.advance(20_000);
    expect((await b.reconciler.run('teamspeak', 'dead')).status).toBe('busy');
    expect((await t.db.fork().findOneOrFail(SyncRun, { id: deadRun })).status).toBe('running');

    await clock.advance(6_000); // 41 s: lapsed, 26 s after the kill.
    const taken = await b.reconciler.run('teamspeak', 'dead');
    expect(taken.status).toBe('applied');
    const closed = await t.db.fork().findOneOrFail(SyncRun, { id: deadRun });
    expect(closed).toMatchObject({ status: 'abandoned', finishedAt: clock.now() });
    expect(closed.errors).toEqual([
      expect.stringMatching(/^abandoned: daemon daemon-a stopped renewing its lease.*closed by daemon-b$/),
    ]);
    expect(memory.membersOf(memory.idsNamed('Fleet dead')[0]!)).toEqual(['11']);

    // The zombie's run, let go, finds its lease gone: it may not count as applied.
    hold.release();
    const zombie = await dying;
    expect(zombie.status).toBe('failed');
    expect(zombie.errors).toContain(
      'lost the lease of this target during the run (heartbeats failed); another daemon took it',
    );
  });

  it('at start, closes the runs of a daemon whose presence lapsed (dry runs too), and no live one', async () => {
    const clock = fakeClock();
    const memory = await world('start');
    const dead = daemon(memory, clock, 'daemon-dead');
    const live = daemon(memory, clock, 'daemon-live');
    const fresh = daemon(memory, clock, 'daemon-fresh');
    const deadHold = memory.hold('listGroups');
    void dead.reconciler.run('teamspeak', 'start', { dryRun: true });
    await deadHold.reached;
    dead.kill();
    const liveHold = memory.hold('listGroups');
    const liveRun = live.reconciler.run('teamspeak', 'start');
    await liveHold.reached;

    await clock.advance(20_000);
    expect(await fresh.reconciler.closeAbandoned()).toEqual([]);
    await clock.advance(20_000);
    const closed = await fresh.reconciler.closeAbandoned();
    expect(closed.map((r) => [r.holder, r.target])).toEqual([['daemon-dead', 'start']]);
    const rows = await t.db.fork().find(SyncRun, { target: 'start' }, { orderBy: { holder: 'asc' } });
    expect(rows.map((r) => [r.holder, r.dryRun, r.status])).toEqual([
      ['daemon-dead', true, 'abandoned'],
      ['daemon-live', false, 'running'],
    ]);
    liveHold.release();
    expect((await liveRun).status).toBe('applied');
    deadHold.release();
  });
});

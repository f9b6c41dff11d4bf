/**
 * Self-healing with the real daemon as a process, on PostgreSQL, against the fake TeamSpeak: a
 * daemon killed with SIGKILL in the middle of a run is finished within a minute by the restarted
 * daemon, or by a second daemon already running on the same database, and its run is closed as
 * abandoned.
 *
 * Short leases (3 s) keep the test fast; the job heartbeat is pg-boss's minimum (10 s), checked by
 * the supervisor every 5 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDaemonWorld,
  killDaemon,
  rosterClient,
  waitFor,
  type DaemonProcess,
  type DaemonWorld,
} from '../support/daemon.ts';
import { catchRunMidway, daemonPool, landedOnTeamspeak, teamspeakRuns } from '../support/daemon-runs.ts';

/** The bound: the target converges within a minute of the kill. */
const RECOVER_MS = 60_000;
const TEST_MS = 120_000;

let world: DaemonWorld;
const daemons = daemonPool();

beforeAll(async () => {
  world = await createDaemonWorld({
    shutdownTimeoutMs: 5_000,
    sync: { leaseTtlSeconds: 3 },
    jobs: { heartbeatSeconds: 10, retryDelaySeconds: 1 },
  });
});
afterAll(async () => {
  await daemons.killAll();
  await world?.dispose();
});

/** One ServerQuery command per 400 ms: a run over a few groups takes seconds, time to kill it. */
const slowConfig = () => world.writeConfig({ teamspeakPace: { commandsPerWindow: 1, windowMs: 400 } });

/** The dead run as the survivor left it: closed as abandoned, naming the killed daemon. */
async function expectAbandoned(
  deadRunId: string,
  doomed: DaemonProcess,
  began: Date,
  survivor: DaemonProcess,
) {
  // The platform shows the change before the run that made it is recorded: wait for the record.
  const settled = async () => {
    const runs = await teamspeakRuns(world, began);
    return runs.some((r) => r.status === 'applied') && runs.every((r) => r.status !== 'running');
  };
  await waitFor(settled, 10_000, 200);
  const runs = await teamspeakRuns(world, began);
  const closed = runs.find((r) => r.id === deadRunId)!;
  expect(closed.status).toBe('abandoned');
  expect(closed.finishedAt).not.toBeNull();
  expect(closed.errors).toEqual([
    expect.stringMatching(
      new RegExp(`^abandoned: daemon \\S+:${doomed.child.pid}:\\S+ stopped renewing its lease`),
    ),
  ]);
  expect(runs.filter((r) => r.status === 'applied').map((r) => r.holder)).toEqual([
    expect.stringContaining(`:${survivor.child.pid}:`),
  ]);
  expect(runs.filter((r) => r.status === 'running')).toEqual([]);
  // `sync runs` shows it too.
  const listed = await rosterClient(survivor.url, world.token).sync.runs.query({
    platform: 'teamspeak',
    limit: 50,
  });
  expect(listed.items.find((r) => r.id === deadRunId)).toMatchObject({ status: 'abandoned' });
}

describe('a daemon killed mid-run (SIGKILL), on PostgreSQL, against the fake TeamSpeak', () => {
  it(
    'the restarted daemon converges the target within a minute and closes the dead run as abandoned',
    async () => {
      const began = new Date();
      const doomed = await daemons.start(slowConfig());
      const { want } = await catchRunMidway(world, doomed, 'Crash');
      const [dead] = await teamspeakRuns(world, began);
      expect(dead).toMatchObject({
        status: 'running',
        holder: expect.stringContaining(`:${doomed.child.pid}:`),
      });

      await killDaemon(doomed);
      const killedAt = Date.now();
      const again = await daemons.start(world.writeConfig());
      // Nobody touches the control plane: the dead daemon's job is retried once its heartbeat stops.
      expect(await waitFor(() => landedOnTeamspeak(world, want), RECOVER_MS - (Date.now() - killedAt))).toBe(
        true,
      );
      expect(Date.now() - killedAt).toBeLessThan(RECOVER_MS);
      await expectAbandoned(dead!.id, doomed, began, again);
      await killDaemon(again);
    },
    TEST_MS,
  );

  it(
    'a second daemon on the same database, already running, takes the target over within a minute',
    async () => {
      const began = new Date();
      // Two daemons on one database, both with a slow ServerQuery pace; whichever takes the job
      // runs it, holding the target's lease, and is the one killed.
      const pair = [await daemons.start(slowConfig()), await daemons.start(slowConfig())] as const;
      const { want } = await catchRunMidway(world, pair[0], 'Pair');
      const [dead] = await teamspeakRuns(world, began);
      expect(dead).toMatchObject({ status: 'running' });
      const holds = (d: DaemonProcess) => (dead!.holder ?? '').includes(`:${d.child.pid}:`);
      expect(pair.filter(holds)).toHaveLength(1);
      const doomed = pair.find(holds)!;
      const survivor = pair.find((d) => !holds(d))!;
      expect(landedOnTeamspeak(world, want)).toBe(false);

      await killDaemon(doomed);
      const killedAt = Date.now();
      // Nobody touches the control plane: the survivor retries the job the dead daemon held, once
      // its heartbeat stops, and takes over the lease it stopped renewing.
      expect(await waitFor(() => landedOnTeamspeak(world, want), RECOVER_MS - (Date.now() - killedAt))).toBe(
        true,
      );
      expect(Date.now() - killedAt).toBeLessThan(RECOVER_MS);
      await expectAbandoned(dead!.id, doomed, began, survivor);
      const said = survivor.stdout.map((l) => JSON.parse(l) as { msg: string; previousHolder?: string });
      expect(said).toContainEqual(
        expect.objectContaining({
          msg: 'took over the lease of a daemon that stopped renewing it',
          previousHolder: expect.stringContaining(`:${doomed.child.pid}:`),
        }),
      );
      await killDaemon(survivor);
    },
    TEST_MS,
  );
});

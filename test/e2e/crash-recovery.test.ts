/**
 * Self-healing with the real daemon as a process, on PostgreSQL, against the fake TeamSpeak: a
 * daemon killed with SIGKILL in the middle of a run is finished within a minute by the restarted
 * daemon, and its run is closed as abandoned.
 *
 * Short leases (3 s) keep the test fast; the job heartbeat is pg-boss's minimum (10 s), checked by
 * the supervisor every 5 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncRun } from '../../src/store/entities/index.ts';
import {
  createDaemonWorld,
  killDaemon,
  rosterClient,
  sortedCldbids,
  spawnDaemon,
  waitFor,
  type DaemonProcess,
  type DaemonWorld,
  type LinkedUser,
} from '../support/daemon.ts';

/** The bound: the target converges within a minute of the kill. */
const RECOVER_MS = 60_000;
const TEST_MS = 120_000;

let world: DaemonWorld;
const daemons: DaemonProcess[] = [];

beforeAll(async () => {
  world = await createDaemonWorld({
    shutdownTimeoutMs: 5_000,
    sync: { leaseTtlSeconds: 3 },
    jobs: { heartbeatSeconds: 10, retryDelaySeconds: 1 },
  });
});
afterAll(async () => {
  for (const d of daemons) await killDaemon(d);
  await world?.dispose();
});

async function start(config: string): Promise<DaemonProcess> {
  const daemon = await spawnDaemon(config);
  daemons.push(daemon);
  return daemon;
}

/** One ServerQuery command per 400 ms: a run over a few groups takes seconds, time to kill it. */
const slowConfig = () => world.writeConfig({ teamspeakPace: { commandsPerWindow: 1, windowMs: 400 } });

const landedOnTeamspeak = (groups: Record<string, readonly LinkedUser[]>) =>
  Object.entries(groups).every(
    ([name, members]) =>
      JSON.stringify(world.teamspeakMembers(name)) ===
      JSON.stringify(sortedCldbids(members.map((m) => m.cldbid))),
  );

const teamspeakRuns = (since: Date) =>
  world.db.db
    .fork()
    .find(SyncRun, { platform: 'teamspeak', startedAt: { $gte: since } }, { orderBy: { startedAt: 'asc' } });

/** Seeds three mapped groups and asks for a sync through tRPC on `daemon`; resolves mid-run. */
async function changeAndCatchMidRun(daemon: DaemonProcess, prefix: string) {
  const crew = await world.addUsers(4, prefix);
  const want: Record<string, readonly LinkedUser[]> = {
    [`${prefix} A`]: crew,
    [`${prefix} B`]: crew,
    [`${prefix} C`]: crew.slice(0, 2),
  };
  const ids: Record<string, string> = {};
  for (const [name, members] of Object.entries(want))
    ids[name] = await world.seedMappedGroup(name, name.endsWith('A') ? members.slice(1) : members);
  const ts = world.teamspeak;
  ts.clearCommandLog();
  await rosterClient(daemon.url, world.token).group.addMembers.mutate({
    id: ids[`${prefix} A`]!,
    userIds: [crew[0]!.id],
  });
  // The run has begun creating the groups and has not added anyone yet.
  expect(await waitFor(() => ts.commandCount('servergroupadd') >= 1, 20_000)).toBe(true);
  expect(ts.commandCount('servergroupaddclient')).toBe(0);
  return want;
}

describe('a daemon killed mid-run (SIGKILL), on PostgreSQL, against the fake TeamSpeak', () => {
  it(
    'the restarted daemon converges the target within a minute and closes the dead run as abandoned',
    async () => {
      const began = new Date();
      const doomed = await start(slowConfig());
      const want = await changeAndCatchMidRun(doomed, 'Crash');
      const [dead] = await teamspeakRuns(began);
      expect(dead).toMatchObject({
        status: 'running',
        holder: expect.stringContaining(`:${doomed.child.pid}:`),
      });

      await killDaemon(doomed);
      const killedAt = Date.now();
      const again = await start(world.writeConfig());
      // Nobody touches the control plane: the dead daemon's job is retried once its heartbeat stops.
      expect(await waitFor(() => landedOnTeamspeak(want), RECOVER_MS - (Date.now() - killedAt))).toBe(true);
      expect(Date.now() - killedAt).toBeLessThan(RECOVER_MS);

      const runs = await teamspeakRuns(began);
      const closed = runs.find((r) => r.id === dead!.id)!;
      expect(closed.status).toBe('abandoned');
      expect(closed.finishedAt).not.toBeNull();
      expect(closed.errors).toEqual([
        expect.stringMatching(
          new RegExp(`^abandoned: daemon \\S+:${doomed.child.pid}:\\S+ stopped renewing its lease`),
        ),
      ]);
      expect(runs.filter((r) => r.status === 'applied').map((r) => r.holder)).toEqual([
        expect.stringContaining(`:${again.child.pid}:`),
      ]);
      expect(runs.filter((r) => r.status === 'running')).toEqual([]);
      // `sync runs` shows it too.
      const listed = await rosterClient(again.url, world.token).sync.runs.query({
        platform: 'teamspeak',
        limit: 50,
      });
      expect(listed.items.find((r) => r.id === dead!.id)).toMatchObject({ status: 'abandoned' });
      await killDaemon(again);
    },
    TEST_MS,
  );
});

/**
 * The real daemon as a process, on PostgreSQL, against the fake TeamSpeak: a sync run that fails
 * because the ServerQuery connection drops is retried by its job (pg-boss, `jobs.retryDelaySeconds`
 * with backoff) once the daemon has reconnected, and applies within seconds; the scheduled full
 * run never fires here (its cron is set to January 1st), so nothing else can do the work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDaemonWorld,
  rosterClient,
  waitFor,
  type DaemonWorld,
  type LinkedUser,
} from '../support/daemon.ts';
import { daemonPool, landedOnTeamspeak, teamspeakRuns, terminate } from '../support/daemon-runs.ts';

/** A bound for the wait, not a timing asserted: the retry comes a second or two after the failure. */
const RETRY_MS = 30_000;
const TEST_MS = 90_000;

let world: DaemonWorld;
const daemons = daemonPool();

beforeAll(async () => {
  world = await createDaemonWorld({ jobs: { retryDelaySeconds: 1, retryLimit: 5 } });
});
afterAll(async () => {
  await daemons.killAll();
  await world?.dispose();
});

describe('a run failed by a dropped TeamSpeak connection, in the daemon', () => {
  it(
    'is retried by its job after the reconnect and applies, without waiting for the scheduled run',
    async () => {
      const daemon = await daemons.start(world.writeConfig());
      const api = rosterClient(daemon.url, world.token);
      const crew = await world.addUsers(3, 'Drop');
      const groupId = await world.seedMappedGroup('Drop Wing', crew.slice(0, 1));
      const want: Record<string, readonly LinkedUser[]> = { 'Drop Wing': crew };
      const began = new Date();
      world.teamspeak.clearCommandLog();

      // The server destroys the connection at the run's first membership write.
      world.teamspeak.dropOnNext('servergroupaddclient', 1);
      await api.group.addMembers.mutate({ id: groupId, userIds: crew.slice(1).map((u) => u.id) });

      expect(await waitFor(() => landedOnTeamspeak(world, want), RETRY_MS)).toBe(true);
      const settled = async () => {
        const runs = await teamspeakRuns(world, began);
        return runs.some((r) => r.status === 'applied') && runs.every((r) => r.status !== 'running');
      };
      expect(await waitFor(settled, 10_000, 200)).toBe(true);
      const runs = await teamspeakRuns(world, began);
      const failed = runs.filter((r) => r.status === 'failed');
      const applied = runs.filter((r) => r.status === 'applied');
      // The drop failed the first run; the job that asked for it ran again and applied.
      expect(failed.length).toBeGreaterThanOrEqual(1);
      expect(failed[0]!.errors.join('\n')).toMatch(/connection/i);
      expect(applied).toHaveLength(1);
      expect(applied[0]!.startedAt.getTime()).toBeGreaterThan(failed[0]!.finishedAt!.getTime());
      // Both from the control plane's request (the group edit), none from the schedule.
      expect(runs.map((r) => r.trigger)).toEqual(runs.map(() => expect.stringMatching(/^group\./)));
      // The daemon reconnected (a new ServerQuery session logged in) and wrote the members then.
      expect(world.teamspeak.commandCount('login')).toBeGreaterThanOrEqual(1);
      expect(world.teamspeak.commandCount('servergroupaddclient')).toBeGreaterThanOrEqual(2);
      // The retried job ended well: nothing of the sync queue was dead-lettered.
      const queues = await api.system.jobs.query();
      expect(queues.find((q) => q.name === 'sync')).toMatchObject({ deadLettered: 0 });

      expect(await terminate(daemon)).toBe(0);
    },
    TEST_MS,
  );
});

/**
 * What the end-to-end tests of the daemon as a process share beyond the world itself: the daemons
 * a test file started (killed after it), a clean stop, a run caught in its middle, and what the
 * fake TeamSpeak and the `sync_runs` table show afterwards.
 */
import { expect } from 'vitest';
import { SyncRun } from '../../src/store/entities/index.ts';
import {
  killDaemon,
  rosterClient,
  sortedCldbids,
  spawnDaemon,
  waitFor,
  type DaemonProcess,
  type DaemonWorld,
  type LinkedUser,
} from './daemon.ts';

/** Daemons started by one test file; `killAll()` (in afterAll) SIGKILLs those still running. */
export function daemonPool() {
  const started: DaemonProcess[] = [];
  return {
    async start(config: string): Promise<DaemonProcess> {
      const daemon = await spawnDaemon(config);
      started.push(daemon);
      return daemon;
    },
    async killAll(): Promise<void> {
      for (const d of started.splice(0)) await killDaemon(d);
    },
  };
}

/** Sends SIGTERM and waits (at most `withinMs`) for the exit: its code, or 'still running'. */
export async function terminate(daemon: DaemonProcess, withinMs = 30_000): Promise<number | string> {
  daemon.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((done) => (timer = setTimeout(() => done('still running'), withinMs)));
  try {
    return await Promise.race([daemon.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether every server group `name` on the fake TeamSpeak has exactly these members. */
export const landedOnTeamspeak = (world: DaemonWorld, groups: Record<string, readonly LinkedUser[]>) =>
  Object.entries(groups).every(
    ([name, members]) =>
      JSON.stringify(world.teamspeakMembers(name)) ===
      JSON.stringify(sortedCldbids(members.map((m) => m.cldbid))),
  );

/** The TeamSpeak runs recorded since `since`, oldest first. */
export const teamspeakRuns = (world: DaemonWorld, since: Date) =>
  world.db.db
    .fork()
    .find(SyncRun, { platform: 'teamspeak', startedAt: { $gte: since } }, { orderBy: { startedAt: 'asc' } });

/**
 * Seeds three mapped groups named `<prefix> A|B|C` (A one member short), then adds that member
 * through `daemon`'s control plane, which asks for a sync; resolves once the TeamSpeak run has begun
 * creating the groups and has added nobody yet (give the daemon a slow ServerQuery pace). Returns
 * the members each group must end with, and the groups' ids.
 */
export async function catchRunMidway(world: DaemonWorld, daemon: DaemonProcess, prefix: string) {
  const crew = await world.addUsers(4, prefix);
  const want: Record<string, readonly LinkedUser[]> = {
    [`${prefix} A`]: crew,
    [`${prefix} B`]: crew,
    [`${prefix} C`]: crew.slice(0, 2),
  };
  const ids: Record<string, string> = {};
  for (const [name, members] of Object.entries(want))
    ids[name] = await world.seedMappedGroup(name, name.endsWith(' A') ? members.slice(1) : members);
  const ts = world.teamspeak;
  ts.clearCommandLog();
  await rosterClient(daemon.url, world.token).group.addMembers.mutate({
    id: ids[`${prefix} A`]!,
    userIds: [crew[0]!.id],
  });
  expect(await waitFor(() => ts.commandCount('servergroupadd') >= 1, 20_000)).toBe(true);
  expect(ts.commandCount('servergroupaddclient')).toBe(0);
  return { want, ids };
}

/**
 * The whole loop with the real daemon as a process (`node src/main.ts --config <file>`): a change
 * made through the tRPC control plane goes through pg-boss's debounced `sync` queue (on the same
 * PostgreSQL database) and lands on the fake TeamSpeak and the fake Discord. Then SIGTERM in the
 * middle of a slow run: the daemon finishes it, exits 0, loses nothing that was written, and the
 * restarted daemon converges the platforms from the jobs that were left queued.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Group, GroupMapping, GroupMember, SyncRun } from '../../src/store/entities/index.ts';
import {
  createDaemonWorld,
  rosterClient,
  sortedCldbids,
  sortedIds,
  waitFor,
  type DaemonProcess,
  type DaemonWorld,
  type LinkedUser,
} from '../support/daemon.ts';
import { catchRunMidway, daemonPool, terminate } from '../support/daemon-runs.ts';

/** How long a change may take to show on a platform before the test gives up (no timing asserted). */
const CONVERGE_MS = 20_000;
/** Each test starts daemons and waits on runs: more than vitest's default, within its bounded waits. */
const TEST_MS = 55_000;

let world: DaemonWorld;
const daemons = daemonPool();
const start = (config: string) => daemons.start(config);

beforeAll(async () => {
  world = await createDaemonWorld({ shutdownTimeoutMs: 20_000 });
});
afterAll(async () => {
  await daemons.killAll();
  await world?.dispose();
});

/** What both platforms show of these groups: TeamSpeak cldbids and Discord member ids. */
function platforms(groups: Record<string, readonly LinkedUser[]>) {
  const seen: Record<string, { teamspeak: string[] | null; discord: string[] | null }> = {};
  for (const name of Object.keys(groups))
    seen[name] = { teamspeak: world.teamspeakMembers(name), discord: world.discordMembers(name) };
  return seen;
}

/** What the platforms must show once the directory's groups `groups` have landed. */
function expected(groups: Record<string, readonly LinkedUser[]>) {
  const want: Record<string, { teamspeak: string[]; discord: string[] }> = {};
  for (const [name, members] of Object.entries(groups)) {
    want[name] = {
      teamspeak: sortedCldbids(members.map((m) => m.cldbid)),
      discord: sortedIds(members.map((m) => m.discordId)),
    };
  }
  return want;
}

const landed = (groups: Record<string, readonly LinkedUser[]>) =>
  JSON.stringify(platforms(groups)) === JSON.stringify(expected(groups));

/** Every stdout line is one JSON object with pino's fields; no line (nor stderr) holds a secret. */
function expectCleanLogs(daemon: DaemonProcess) {
  expect(daemon.stdout.length).toBeGreaterThan(0);
  for (const text of daemon.stdout) {
    let line: unknown;
    expect(() => (line = JSON.parse(text)), text).not.toThrow();
    expect(line, text).toMatchObject({
      level: expect.any(Number),
      time: expect.any(Number),
      msg: expect.any(String),
    });
  }
  const everything = `${daemon.stdout.join('\n')}\n${daemon.stderr()}`;
  expect(everything).not.toContain(world.secrets.teamspeakPassword);
  expect(everything).not.toContain(world.secrets.discordToken);
}

async function membersInDatabase(groupId: string): Promise<string[]> {
  const rows = await world.db.db.fork().find(GroupMember, { groupId });
  return sortedIds(rows.map((r) => r.userId));
}

describe('the daemon as a process, through pg-boss, against the fake TeamSpeak and Discord', () => {
  it(
    'a group created, mapped and filled through tRPC reaches TeamSpeak and Discord by the debounced sync',
    async () => {
      const began = new Date();
      const pilots = await world.addUsers(3, 'Pilot');
      const daemon = await start(world.writeConfig());
      const api = rosterClient(daemon.url, world.token);

      const group = await api.group.create.mutate({ name: 'Fleet Alpha' });
      await api.group.map.mutate({ id: group.id, platform: 'teamspeak', target: world.targets.teamspeak });
      await api.group.map.mutate({ id: group.id, platform: 'discord', target: world.targets.discord });
      expect(await api.group.addMembers.mutate({ id: group.id, userIds: pilots.map((p) => p.id) })).toEqual({
        added: 3,
      });

      const groups = { 'Fleet Alpha': pilots };
      await waitFor(() => landed(groups), CONVERGE_MS);
      expect(platforms(groups)).toEqual(expected(groups));

      // The runs that did it came from the sync queue (triggered by the control plane), not by hand.
      const finished = async () => {
        const runs = await world.db.db.fork().find(SyncRun, { startedAt: { $gte: began } });
        return runs.length >= 2 && runs.every((r) => r.finishedAt !== null) ? runs : null;
      };
      await waitFor(async () => (await finished()) !== null, CONVERGE_MS);
      const runs = (await finished()) ?? [];
      expect(runs.map((r) => [r.trigger, r.status, r.errors])).toEqual(
        runs.map(() => [expect.stringMatching(/^group\./), 'applied', []]),
      );
      expect(new Set(runs.map((r) => `${r.platform}:${r.target}`))).toEqual(
        new Set(['teamspeak:ts', 'discord:guild']),
      );

      expect(await terminate(daemon)).toBe(0);
      expectCleanLogs(daemon);
      // A full run's lines were among them: the secrets were checked against real sync logging.
      expect(daemon.stdout.some((l) => l.includes('"sync run applied"'))).toBe(true);
    },
    TEST_MS,
  );

  it(
    'SIGTERM during a slow run: exits 0 after the run, keeps every change, and the restarted daemon converges',
    async () => {
      const began = new Date();
      const wing = await world.addUsers(8, 'Wing');
      const [first, late] = [wing.slice(0, 5), wing.slice(5)];
      // Three mapped groups already in the directory; one change through tRPC asks for the sync.
      const ids: Record<string, string> = {
        'Wing A': await world.seedMappedGroup('Wing A', first.slice(1)),
        'Wing B': await world.seedMappedGroup('Wing B', first),
        'Wing C': await world.seedMappedGroup('Wing C', first),
      };
      // One ServerQuery command per 500 ms: this run takes seconds.
      const slow = await start(world.writeConfig({ teamspeakPace: { commandsPerWindow: 1, windowMs: 500 } }));
      const api = rosterClient(slow.url, world.token);
      const ts = world.teamspeak;
      ts.clearCommandLog();
      await api.group.addMembers.mutate({ id: ids['Wing A']!, userIds: [first[0]!.id] });

      // The TeamSpeak run has read the directory and begun creating the groups; then more edits.
      expect(await waitFor(() => ts.commandCount('servergroupadd') >= 1, CONVERGE_MS)).toBe(true);
      const lateGroup = await api.group.create.mutate({ name: 'Wing Late' });
      await api.group.map.mutate({
        id: lateGroup.id,
        platform: 'teamspeak',
        target: world.targets.teamspeak,
      });
      await api.group.map.mutate({ id: lateGroup.id, platform: 'discord', target: world.targets.discord });
      await api.group.addMembers.mutate({ id: lateGroup.id, userIds: late.map((u) => u.id) });
      await api.group.addMembers.mutate({ id: ids['Wing A']!, userIds: late.map((u) => u.id) });
      // Still mid-run: not every group has had its members added yet.
      expect(ts.commandCount('servergroupaddclient')).toBeLessThan(3);

      const signalled = new Date();
      expect(await terminate(slow)).toBe(0);
      expect(slow.stdout.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(
        expect.arrayContaining(['stopping: no new jobs, waiting for running ones', 'stopped']),
      );

      // The run the signal interrupted was finished, not abandoned; no other one started.
      const em = world.db.db.fork();
      const runs = await em.find(SyncRun, { platform: 'teamspeak', startedAt: { $gte: began } });
      expect(runs.map((r) => [r.status, r.errors, r.startedAt < signalled])).toEqual([['applied', [], true]]);
      expect(runs[0]!.finishedAt!.getTime()).toBeGreaterThan(signalled.getTime());
      // It stopped taking jobs: the changes made during the run have not reached TeamSpeak.
      expect(world.teamspeakMembers('Wing Late')).toBeNull();
      expect(world.teamspeakMembers('Wing A')).toEqual(sortedCldbids(first.map((u) => u.cldbid)));

      // Nothing written through the control plane before the signal is lost.
      const want: Record<string, readonly LinkedUser[]> = {
        'Wing A': [...first, ...late],
        'Wing B': first,
        'Wing C': first,
        'Wing Late': late,
      };
      ids['Wing Late'] = lateGroup.id;
      for (const [name, members] of Object.entries(want)) {
        expect(await em.findOne(Group, { id: ids[name]! })).toMatchObject({ name });
        expect(await membersInDatabase(ids[name]!)).toEqual(sortedIds(members.map((m) => m.id)));
        const mappings = await em.find(GroupMapping, { groupId: ids[name]! });
        expect(mappings.map((m) => `${m.platform}:${m.target}`).sort()).toEqual([
          'discord:guild',
          'teamspeak:ts',
        ]);
      }

      // The restarted daemon runs the syncs that were left queued; nobody touches the control plane.
      const again = await start(world.writeConfig());
      await waitFor(() => landed(want), CONVERGE_MS);
      expect(platforms(want)).toEqual(expected(want));
      expect(await terminate(again)).toBe(0);

      expectCleanLogs(slow);
      expectCleanLogs(again);
    },
    TEST_MS,
  );

  it(
    'SIGTERM during a run longer than the shutdown bound: exits 0 at the bound, the cut run is recorded and the restarted daemon converges',
    async () => {
      const began = new Date();
      // The stop waits 1 s for the running sync; the run needs several.
      const slow = await start(
        world.writeConfig({
          teamspeakPace: { commandsPerWindow: 1, windowMs: 400 },
          shutdownTimeoutMs: 1000,
        }),
      );
      const { want, ids } = await catchRunMidway(world, slow, 'Crew');

      const signalled = new Date();
      expect(await terminate(slow)).toBe(0);
      for (const [name, members] of Object.entries(want))
        expect(await membersInDatabase(ids[name]!)).toEqual(sortedIds(members.map((m) => m.id)));
      // The run cut short is recorded as failed, not left "running"; no other one started.
      const runs = await world.db.db
        .fork()
        .find(SyncRun, { platform: 'teamspeak', startedAt: { $gte: began } });
      expect(runs.map((r) => [r.status, r.startedAt < signalled])).toEqual([['failed', true]]);
      expect(runs[0]!.finishedAt).not.toBeNull();

      // The next daemon is not locked out by the run that was cut short: it finishes the job.
      const again = await start(world.writeConfig());
      await waitFor(() => landed(want), CONVERGE_MS);
      expect(platforms(want)).toEqual(expected(want));
      expect(await terminate(again)).toBe(0);
      expectCleanLogs(slow);
      expectCleanLogs(again);
    },
    TEST_MS,
  );
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import { MemoryTarget } from '../support/memory-target.ts';
import {
  addCorporation,
  addGroup,
  addMapping,
  addMember,
  addTeamspeakLink,
  addUser,
} from '../support/rows.ts';
import { main as cliMain } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/io.ts';
import { Group } from '../../src/store/entities/index.ts';
import { emptyHome, rosterctl, type RunOptions } from './run.ts';

/**
 * On teamspeak/main: "Fleet Command" (Alice, Bob; linked as clients 11 and 12) is mapped as "FC"
 * and not yet created; "Old Guard" (no members) is mapped to server group 7, which holds
 * clients 90 and 91. The first run removes 2 of 2 managed memberships, so the guard refuses it.
 */
describe('rosterctl sync and status', () => {
  let api: TestApi;
  let env: Record<string, string>;
  const main = new MemoryTarget('teamspeak', 'main');
  const guild = new MemoryTarget('discord', 'guild');
  const run = (argv: string[], options: RunOptions = {}) => rosterctl(argv, { ...options, env });

  beforeAll(async () => {
    main.addGroup('7', 'Old', ['90', '91']);
    // The share rule applies from the first removal here (the default lets fewer than 10 through).
    api = await startTestApi({ targets: [main, guild], config: { sync: { guardMinRemovals: 0 } } });
    const admin = await api.user({ clearanceLevel: 10 });
    env = { ROSTER_URL: api.url, ROSTER_TOKEN: admin.token };
    const em = api.t.db.fork();
    const corporation = addCorporation(em, 98_100_001, { authorizedToLogin: true });
    const users = ['Alice', 'Bob'].map((n) =>
      addUser(em, `${n} Sync`, { corporationId: corporation.corporationId }),
    );
    users.forEach((u, i) => addTeamspeakLink(em, u.id, 'main', String(11 + i)));
    const fc = addGroup(
      em,
      'Fleet Command',
      users.map((u) => u.id),
    );
    addMapping(em, fc.id, 'teamspeak', 'main', { displayName: 'FC' });
    const old = addGroup(em, 'Old Guard');
    addMapping(em, old.id, 'teamspeak', 'main', { platformGroupId: '7' });
    await em.flush();
  });
  afterAll(async () => api?.stop());

  it('prints a dry run readably, with group names, and changes nothing', async () => {
    const { code, stdout, stderr } = await run([
      'sync',
      'plan',
      '--platform',
      'teamspeak',
      '--target',
      'main',
    ]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout.trimEnd().split('\n')).toEqual([
      'plan for teamspeak target "main":',
      '  create group "FC"',
      '  rename "Old" -> "Old Guard"',
      '  add 2 to "FC":',
      '    11  Alice Sync',
      '    12  Bob Sync',
      '  remove 2 from "Old Guard":',
      '    90  (no directory user)',
      '    91  (no directory user)',
      '  total: +2 -2, 1 to create, 1 to rename, 0 nicknames, 0 held; drift 0; 2 managed memberships',
    ]);
    expect(main.membersOf('7')).toEqual(['90', '91']);
    expect(main.groups.size).toBe(1);
  });

  it('exits 1 on a refused run and says how to force it; force applies it behind a spinner on a terminal', async () => {
    const refused = await run(['sync', 'run', '--platform', 'teamspeak', '--target', 'main']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^refused: teamspeak\/main in \S+ \(run \S+\)\n/);
    expect(refused.stdout).toContain('  refused   the run would remove 2 of 2 managed memberships (100%)');
    expect(refused.stdout).toContain(
      '  to apply anyway: rosterctl sync force --platform teamspeak --target main',
    );
    // Off a terminal there is no spinner.
    expect(refused.stderr).toBe('');
    expect(main.membersOf('7')).toEqual(['90', '91']);

    const forced = await run(['sync', 'force', '--platform', 'teamspeak', '--target', 'main'], { tty: true });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/^applied: teamspeak\/main in \S+ \(run \S+\)\n/);
    // The refused run created and renamed nothing: the forced one does it all.
    expect(forced.stdout).toContain('  changes   +2 added, -2 removed, 1 created, 1 renamed, 0 nicknames\n');
    expect(forced.stdout).toMatch(/^ {2}calls {5}\d+ platform calls$/m);
    // The spinner drew at least its first frame on stderr, and cleared its line at the end.
    expect(forced.stderr).toMatch(/^\r\u001b\[2K⠋ forcing sync of teamspeak\/main \d+\.\ds/);
    expect(forced.stderr.endsWith('\r\u001b[2K')).toBe(true);
    expect(main.membersOf('7')).toEqual([]);
    const fc = [...main.groups].find(([, g]) => g.name === 'FC')!;
    expect(main.membersOf(fc[0])).toEqual(['11', '12']);
  });

  it('gives scripts the run result as JSON', async () => {
    const { code, stdout } = await run([
      'sync',
      'run',
      '--platform',
      'teamspeak',
      '--target',
      'main',
      '--json',
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      platform: 'teamspeak',
      target: 'main',
      status: 'applied',
      plan: { counts: { adds: 0, removes: 0 } },
    });
  });

  it('refuses an unknown target and a bad platform as rejected input (exit 2)', async () => {
    const missing = await run(['sync', 'run', '--platform', 'teamspeak', '--target', 'nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('not found: no teamspeak target named "nope" is configured');
    const bad = await run(['sync', 'plan', '--platform', 'irc', '--target', 'main']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^ {2}platform: Invalid option/m);
  });

  it('shows each target with its connection, last run, changes, calls and drift, then the recent runs', async () => {
    const now = new Date(Date.now() + 5 * 60_000);
    const { code, stdout, stderr } = await run(['status'], { now: () => now });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^TARGET\s+CONNECTION\s+LAST RUN\s+WHEN\s+CHANGES\s+CREATES\s+CALLS\s+DRIFT\s+LAST APPLIED$/,
    );
    expect(lines[1]).toMatch(
      /^teamspeak\/main\s+connected\s+applied\s+5m ago\s+\+0 -0\s+0\s+\d+\s+0\s+5m ago$/,
    );
    expect(lines[2]).toMatch(/^discord\/guild\s+connected\s+never\s+-\s+-\s+-\s+-\s+-\s+never$/);
    const recent = lines.indexOf('recent runs');
    expect(recent).toBeGreaterThan(2);
    expect(lines[recent + 1]).toMatch(
      /^ {2}WHEN\s+TARGET\s+STATUS\s+TRIGGER\s+CHANGES\s+CREATES\s+CALLS\s+DRIFT\s+TOOK$/,
    );
    const runs = lines.slice(recent + 2);
    // Newest first: the JSON run, the forced run, the refused run, the dry run.
    expect(runs).toHaveLength(4);
    expect(runs[0]).toMatch(/^ {2}5m ago\s+teamspeak\/main\s+applied\s+api:\S+\s+\+0 -0\s/);
    expect(runs[1]).toMatch(/^ {2}5m ago\s+teamspeak\/main\s+applied \(forced\)\s+force:\S+\s+\+2 -2\s/);
    expect(runs[2]).toMatch(/^ {2}5m ago\s+teamspeak\/main\s+refused\s+api:\S+\s+\+0 -0\s+1\s/);
    expect(runs[3]).toMatch(/^ {2}5m ago\s+teamspeak\/main\s+planned \(dry run\)\s+api:\S+\s+\+2 -2\s+1\s/);

    const json = await run(['status', '--json']);
    const view = JSON.parse(json.stdout) as {
      targets: { platform: string; target: string; connected: boolean }[];
      runs: unknown[];
    };
    expect(view.targets.map((t) => `${t.platform}/${t.target}:${t.connected}`)).toEqual([
      'teamspeak/main:true',
      'discord/guild:true',
    ]);
    expect(view.runs).toHaveLength(4);

    const usage = await run(['status', '--runs', 'lots']);
    expect(usage.code).toBe(2);
  });

  it('follows a long run to its end: its progress in sync runs and as a bar on a terminal, then the outcome and its exit code', async () => {
    const em = api.t.db.fork();
    const carol = addUser(em, 'Carol Sync', { corporationId: 98_100_001 });
    addTeamspeakLink(em, carol.id, 'main', '13');
    const fc = await em.findOneOrFail(Group, { name: 'Fleet Command' });
    addMember(em, fc.id, carol.id);
    await em.flush();
    const hold = main.hold('apply');
    let stderr = '';
    let stdout = '';
    const io: CliIo = {
      argv: ['sync', 'run', '--platform', 'teamspeak', '--target', 'main'],
      env: { HOME: emptyHome(), ...env },
      stdout: { write: (text: string) => (stdout += text), isTTY: true },
      stderr: { write: (text: string) => (stderr += text), isTTY: true },
      cwd: process.cwd(),
    };
    const exit = cliMain(io);
    await hold.reached;
    // Held in its apply: the run shows where it is in sync runs, and the CLI draws it.
    const runs = await api
      .client(env.ROSTER_TOKEN!)
      .sync.runs.query({ platform: 'teamspeak', target: 'main' });
    expect(runs.items[0]).toMatchObject({
      status: 'running',
      progress: { phase: 'applying', callsPlanned: expect.any(Number) },
    });
    const runId = runs.items[0]!.id;
    await expect
      .poll(() => stderr, { timeout: 10_000 })
      .toMatch(/sync teamspeak\/main \[[#.]{30}\] \d+\/\d+ calls, applying/);
    hold.release();
    expect(await exit).toBe(0);
    expect(stdout).toMatch(new RegExp(`^applied: teamspeak/main in \\S+ \\(run ${runId}\\)\n`));
    expect(stdout).toContain('  changes   +1 added, -0 removed');
    expect(stderr.endsWith('\r\u001b[2K')).toBe(true);
    expect(main.membersOf([...main.groups].find(([, g]) => g.name === 'FC')![0])).toEqual(['11', '12', '13']);
    const done = await api.client(env.ROSTER_TOKEN!).sync.progress.query({ runId });
    expect(done).toMatchObject({ state: 'finished', result: { runId, status: 'applied' } });
  });

  it('takes --all (every member of a long list) as its own flag, not sent to the daemon', async () => {
    const argv = ['sync', 'plan', '--platform', 'teamspeak', '--target', 'main'];
    const some = await run(argv);
    const all = await run([...argv, '--all']);
    expect({ code: all.code, stderr: all.stderr }).toEqual({ code: 0, stderr: '' });
    expect(all.stdout).toBe(some.stdout);
    expect(all.stdout).toContain('plan for teamspeak target "main":');
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/services/auth/tokens.ts';
import { bootstrap } from '../../src/services/bootstrap.ts';
import { SyncRun } from '../../src/store/entities/index.ts';
import { startFakeTeamspeak, type FakeTeamspeak } from '../fakes/teamspeak/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { killDaemon, rosterClient, spawnDaemon, waitFor, type DaemonProcess } from '../support/daemon.ts';
import { addGroup, addMapping, addTeamspeakLink, addUser } from '../support/rows.ts';

const GROUPS = 4;
const USERS = 12;

describe('SIGTERM during a sync run (the daemon as a process)', () => {
  let t: TestDatabase;
  let ts: FakeTeamspeak;
  let token: string;
  let config: string;
  const work = mkdtempSync(join(tmpdir(), 'roster-sigterm-'));
  const target = { platform: 'teamspeak', target: 'main' } as const;
  const running: DaemonProcess[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    ts = await startFakeTeamspeak({ flood: { commands: 100, windowMs: 1000 } });
    const { rootId } = await bootstrap(t.db.fork());
    const em = t.db.fork();
    const users = Array.from({ length: USERS }, (_, i) =>
      addUser(em, `Pilot ${i}`, { authorizedToLogin: true }),
    );
    for (const u of users)
      addTeamspeakLink(em, u.id, 'main', ts.addDbClient({ nickname: u.characterName }).cldbid);
    for (let g = 0; g < GROUPS; g++) {
      const group = addGroup(
        em,
        `Squad ${g}`,
        users.map((u) => u.id),
      );
      addMapping(em, group.id, 'teamspeak', 'main');
    }
    await em.flush();
    token = (
      await createToken(t.db.fork(), { userId: rootId, kind: 'user', comment: 'test', ttlSeconds: 3600 })
    ).secret;
    config = join(work, 'roster.yaml');
    writeFileSync(
      config,
      stringify({
        database: { url: t.url },
        controlPlane: { port: 0 },
        // A slow flood budget (3 commands per 150 ms): the run takes seconds, time to stop it halfway.
        teamspeak: {
          targets: [
            {
              name: 'main',
              host: ts.host,
              queryPort: ts.port,
              username: 'serveradmin',
              password: 'secret',
              commandsPerWindow: 3,
              windowMs: 150,
            },
          ],
        },
        jobs: { reconcileCron: '0 0 1 1 *' },
        log: { level: 'info', pretty: 'never' },
      }),
    );
  });
  afterAll(async () => {
    for (const daemon of running) await killDaemon(daemon);
    await ts?.close();
    await t?.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it('finishes the run it is in, exits 0, and the next daemon finds nothing left to do', async () => {
    const first = await spawnDaemon(config);
    running.push(first);
    const run = rosterClient(first.url, token).sync.run.mutate(target);
    // Halfway: the groups exist and the first batch of members went in, the others not yet.
    expect(await waitFor(() => ts.commandCount('servergroupaddclient') >= 1, 20_000, 10)).toBe(true);
    expect(ts.commandCount('servergroupaddclient')).toBeLessThan(GROUPS);
    first.child.kill('SIGTERM');

    const result = await run;
    expect([result.status, result.report?.added, result.errors]).toEqual(['applied', GROUPS * USERS, []]);
    expect(await first.exited).toBe(0);
    expect(first.stdout.map((l) => (JSON.parse(l) as { msg?: unknown }).msg)).toEqual(
      expect.arrayContaining(['stopping: no new jobs, waiting for running ones', 'stopped']),
    );

    const squads = ts.serverGroups().filter((g) => g.name.startsWith('Squad '));
    expect(squads.map((g) => g.members.length)).toEqual(Array(GROUPS).fill(USERS));
    const runs = await t.db.fork().find(SyncRun, {});
    expect(runs.map((r) => [r.status, r.adds])).toEqual([['applied', GROUPS * USERS]]);

    // The next daemon, with the budget of a whitelisted query client: it only has to look.
    const second = await spawnDaemon(config, {
      env: { ROSTER_TEAMSPEAK__TARGETS__0__COMMANDS_PER_WINDOW: '100' },
    });
    running.push(second);
    const plan = await rosterClient(second.url, token).sync.plan.query(target);
    expect(plan.plan?.counts).toMatchObject({ creates: 0, adds: 0, removes: 0 });
    expect(plan.plan?.adopts).toEqual([]);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/services/tokens.ts';
import { bootstrap } from '../../src/store/bootstrap.ts';
import { SyncRun } from '../../src/store/entities/index.ts';
import type { RunResult } from '../../src/sync/engine.ts';
import { startFakeTeamspeak, type FakeTeamspeak } from '../fakes/teamspeak/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addGroup, addMapping, addTeamspeakLink, addUser } from '../support/rows.ts';

const root = resolve(import.meta.dirname, '../..');
const GROUPS = 4;
const USERS = 12;

interface Daemon {
  readonly child: ChildProcess;
  readonly url: string;
  readonly lines: Record<string, unknown>[];
}

/** `node src/main.ts --config <file>` as systemd runs it, up to its "listening" line. */
async function startDaemon(config: string, env: Record<string, string> = {}): Promise<Daemon> {
  const child = spawn(process.execPath, ['src/main.ts', '--config', config], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Record<string, unknown>[] = [];
  const reader = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((done, fail) => {
    child.once('exit', (code) => fail(new Error(`the daemon exited with ${code} before listening`)));
    reader.on('line', (text) => {
      const line = JSON.parse(text) as Record<string, unknown>;
      lines.push(line);
      if (String(line.msg).startsWith('roster listening')) done(String(line.url));
    });
  });
  return { child, url, lines };
}

async function call<T>(
  d: Daemon,
  token: string,
  path: string,
  input: unknown,
  method: 'GET' | 'POST',
): Promise<T> {
  const query = method === 'GET' ? `?input=${encodeURIComponent(JSON.stringify(input))}` : '';
  const res = await fetch(`${d.url}/trpc/${path}${query}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(method === 'POST' ? { body: JSON.stringify(input) } : {}),
  });
  const body = (await res.json()) as { result?: { data: T }; error?: unknown };
  if (!body.result) throw new Error(`${path}: ${JSON.stringify(body.error)}`);
  return body.result.data;
}

/** Waits for a condition the test cannot be told about by an event (the fake's command log). */
async function until(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error(`never happened: ${what}`);
}

describe('SIGTERM during a sync run (the daemon as a process)', () => {
  let t: TestDatabase;
  let ts: FakeTeamspeak;
  let token: string;
  let config: string;
  const work = mkdtempSync(join(tmpdir(), 'roster-sigterm-'));
  const target = { platform: 'teamspeak', target: 'main' } as const;
  const running: ChildProcess[] = [];

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
    for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
    await ts?.close();
    await t?.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it('finishes the run it is in, exits 0, and the next daemon finds nothing left to do', async () => {
    const first = await startDaemon(config);
    running.push(first.child);
    const run = call<RunResult>(first, token, 'sync.run', target, 'POST');
    // Halfway: the groups exist and the first batch of members went in, the others not yet.
    await until('the first servergroupaddclient', () => ts.commandCount('servergroupaddclient') >= 1);
    expect(ts.commandCount('servergroupaddclient')).toBeLessThan(GROUPS);
    const exited = once(first.child, 'exit');
    first.child.kill('SIGTERM');

    const result = await run;
    expect([result.status, result.report?.added, result.errors]).toEqual(['applied', GROUPS * USERS, []]);
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(first.lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['stopping: no new jobs, waiting for running ones', 'stopped']),
    );

    const squads = ts.serverGroups().filter((g) => g.name.startsWith('Squad '));
    expect(squads.map((g) => g.members.length)).toEqual(Array(GROUPS).fill(USERS));
    const runs = await t.db.fork().find(SyncRun, {});
    expect(runs.map((r) => [r.status, r.adds])).toEqual([['applied', GROUPS * USERS]]);

    // The next daemon, with the budget of a whitelisted query client: it only has to look.
    const second = await startDaemon(config, { ROSTER_TEAMSPEAK__TARGETS__0__COMMANDS_PER_WINDOW: '100' });
    running.push(second.child);
    const plan = await call<RunResult>(second, token, 'sync.plan', target, 'GET');
    expect(plan.plan?.counts).toMatchObject({ creates: 0, adds: 0, removes: 0 });
    expect(plan.plan?.adopts).toEqual([]);
    const secondExit = once(second.child, 'exit');
    second.child.kill('SIGTERM');
    expect((await secondExit)[0]).toBe(0);
  });
});

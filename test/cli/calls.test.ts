import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import { emptyHome, rosterctl, type RunOptions } from './run.ts';

describe('rosterctl against the control plane over HTTP', () => {
  let api: TestApi;
  let admin: { id: string; token: string };
  /** rosterctl as the admin (token from ROSTER_TOKEN). */
  const asAdmin = (argv: string[], options: RunOptions = {}) =>
    rosterctl(argv, { ...options, env: { ROSTER_URL: api.url, ROSTER_TOKEN: admin.token, ...options.env } });

  beforeAll(async () => {
    api = await startTestApi({
      config: { teamspeak: { targets: [{ name: 'main', host: '127.0.0.1', username: 'q', password: 'p' }] } },
    });
    admin = await api.user({ clearanceLevel: 9, characterName: 'Admin Pilot' });
  });
  afterAll(async () => api?.stop());

  it('prints a list as aligned columns for people and as raw JSON with --json', async () => {
    const c = api.client(admin.token);
    await c.group.create.mutate({ name: 'Table Alpha', description: 'first' });
    await c.group.create.mutate({ name: 'Table Beta', description: 'second' });

    const { code, stdout, stderr } = await asAdmin(['group', 'list', '--kind', 'manual']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^ID\s+NAME\s+DESCRIPTION\s+KIND\s+OWNERID\s+AUTHORIZEDTOLOGIN\s+MEMBERCOUNT\s+MAPPINGS\s+CREATEDAT\s+UPDATEDAT$/,
    );
    const alpha = lines.find((l) => l.includes('Table Alpha'))!;
    const beta = lines.find((l) => l.includes('Table Beta'))!;
    // Aligned: every column starts at the same offset on every line.
    expect(alpha.indexOf('first')).toBe(lines[0]!.indexOf('DESCRIPTION'));
    expect(beta.indexOf('second')).toBe(lines[0]!.indexOf('DESCRIPTION'));
    expect(alpha).toContain(admin.id);
    expect(stdout).not.toContain('more:');

    const json = await asAdmin(['group', 'list', '--kind', 'manual', '--json']);
    expect(json.code).toBe(0);
    const page = JSON.parse(json.stdout) as {
      items: { name: string; ownerId: string }[];
      nextCursor: string | null;
    };
    expect(page.nextCursor).toBeNull();
    expect(page.items.map((g) => g.name)).toEqual(expect.arrayContaining(['Table Alpha', 'Table Beta']));
  });

  it('prints the items of a page and the command for the next one', async () => {
    const first = await asAdmin(['group', 'list', '--limit', '1', '--kind', 'manual']);
    expect(first.code).toBe(0);
    const more =
      /^more: --cursor (\S+) {3}\(rosterctl group list --limit 1 --kind manual --cursor \S+\)$/m.exec(
        first.stdout,
      );
    expect(more, first.stdout).not.toBeNull();
    const second = await asAdmin([
      'group',
      'list',
      '--limit',
      '1',
      '--kind',
      'manual',
      '--cursor',
      more![1]!,
      '--json',
    ]);
    const page = JSON.parse(second.stdout) as { items: { id: string }[] };
    expect(page.items).toHaveLength(1);
    expect(page.items[0]!.id > more![1]!).toBe(true);
  });

  it('calls a mutation with flags: strings, booleans, lists by repeating or commas, an id as a lone word', async () => {
    const created = await asAdmin([
      'group',
      'create',
      '--name',
      'Flag Group',
      '--description',
      'made by flags',
      '--json',
    ]);
    expect(created.code).toBe(0);
    const group = JSON.parse(created.stdout) as {
      id: string;
      name: string;
      description: string;
      ownerId: string;
    };
    expect(group).toMatchObject({ name: 'Flag Group', description: 'made by flags', ownerId: admin.id });

    const [a, b, c] = [await api.user(), await api.user(), await api.user()];
    const added = await asAdmin([
      'group',
      'addMembers',
      '--id',
      group.id,
      '--userIds',
      `${a.id},${b.id}`,
      '--user-ids',
      c.id,
    ]);
    expect(added).toMatchObject({ code: 0, stdout: 'added  3\n' });

    const updated = await asAdmin([
      'group',
      'update',
      group.id,
      '--authorizedToLogin',
      'false',
      '--description',
      'changed',
    ]);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toMatch(/^authorizedToLogin\s+false$/m);

    const shown = await asAdmin(['group', 'get', group.id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^description\s+changed$/m);
    // The members are a table of their own under the group.
    expect(shown.stdout).toMatch(/^members:\n {2}ID\s+CHARACTERID\s+CHARACTERNAME$/m);
    const members = await api.client(admin.token).group.get.query({ id: group.id });
    expect(members.members.map((m) => m.id).sort()).toEqual([a.id, b.id, c.id].sort());
    expect(members.authorizedToLogin).toBe(false);
  });

  it('prints the input the daemon rejected as one "key: message" line per problem, exit 2', async () => {
    const { code, stdout, stderr } = await asAdmin([
      'group',
      'map',
      '--id',
      'x',
      '--platform',
      'irc',
      '--target',
      '',
      '--mode',
      'sometimes',
    ]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('rosterctl: the daemon rejected the input:');
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}platform: Invalid option: expected one of "teamspeak"\|"discord"$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}target: Too small/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}mode: Invalid option/));

    const missing = await asAdmin(['group', 'create']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^ {2}name: Invalid input: expected string, received undefined$/m);

    const rule = await asAdmin(['token', 'create', '--kind', 'user', '--ttlSeconds', 'null']);
    expect(rule.code).toBe(2);
    expect(rule.stderr).toBe('rosterctl: rejected: user tokens expire: give ttlSeconds\n');
  });

  it('exits 2 on NOT_FOUND, as input the daemon rejected (the README and --help say so)', async () => {
    const { code, stderr } = await asAdmin(['group', 'get', 'no-such-group']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^rosterctl: not found: .*no-such-group/);
  });

  it('exits 3 without a token, with a refused token, and when the clearance is too low; never prints the token', async () => {
    const anonymous = await rosterctl(['group', 'list'], { env: { ROSTER_URL: api.url } });
    expect(anonymous.code).toBe(3);
    expect(anonymous.stderr).toContain('rosterctl: unauthorized: a bearer token is required');
    expect(anonymous.stderr).toContain('no token: set ROSTER_TOKEN');

    const wrong = 'rst_not-a-real-token-but-secret-looking';
    const refused = await rosterctl(['group', 'list'], { env: { ROSTER_URL: api.url, ROSTER_TOKEN: wrong } });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('rosterctl: unauthorized: unknown token');
    expect(refused.stderr).toContain('the token from ROSTER_TOKEN was refused');
    expect(refused.stdout + refused.stderr).not.toContain(wrong);

    const pilot = await api.user({ clearanceLevel: 0 });
    const forbidden = await rosterctl(
      ['group', 'map', '--id', 'x', '--platform', 'teamspeak', '--target', 'main'],
      {
        env: { ROSTER_URL: api.url, ROSTER_TOKEN: pilot.token },
      },
    );
    expect(forbidden.code).toBe(3);
    expect(forbidden.stderr).toMatch(/^rosterctl: forbidden: clearance 0 does not grant "group.map"/);
    expect(forbidden.stdout + forbidden.stderr).not.toContain(pilot.token);
  });

  it('takes the token from ROSTER_TOKEN over the settings file, and from the settings file otherwise', async () => {
    const home = emptyHome();
    mkdirSync(join(home, '.config', 'roster'), { recursive: true });
    const file = join(home, '.config', 'roster', 'cli.json');
    const pilot = await api.user({ clearanceLevel: 0 });
    writeFileSync(file, JSON.stringify({ url: api.url, token: pilot.token }));
    chmodSync(file, 0o600);

    // From the default settings file: the pilot (level 0 may not list tokens of others, but may list its own).
    const fromFile = await rosterctl(['token', 'list', '--json'], { env: { HOME: home } });
    expect(fromFile).toMatchObject({ code: 0, stderr: '' });
    expect((JSON.parse(fromFile.stdout) as { userId: string }[]).map((t) => t.userId)).toEqual([pilot.id]);

    // ROSTER_TOKEN wins.
    const fromEnv = await rosterctl(['token', 'list', '--json'], {
      env: { HOME: home, ROSTER_TOKEN: admin.token },
    });
    expect((JSON.parse(fromEnv.stdout) as { userId: string }[]).map((t) => t.userId)).toEqual([admin.id]);

    // --cli-config points elsewhere; a token file others can read gets a warning.
    const other = join(emptyHome(), 'other.json');
    writeFileSync(other, JSON.stringify({ url: api.url, token: admin.token }));
    chmodSync(other, 0o644);
    const explicit = await rosterctl(['--cli-config', other, 'token', 'list', '--json'], {
      env: { HOME: home },
    });
    expect(explicit.code).toBe(0);
    expect((JSON.parse(explicit.stdout) as { userId: string }[]).map((t) => t.userId)).toEqual([admin.id]);
    expect(explicit.stderr).toBe(
      `warning: ${other} holds a token and is readable by others; run: chmod 600 ${other}\n`,
    );

    const broken = join(emptyHome(), 'broken.json');
    writeFileSync(broken, '{"url": "ftp://x"}');
    const bad = await rosterctl(['token', 'list', '--cli-config', broken]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${broken}: url:`);
  });

  it('exits 1 when the daemon cannot be reached', async () => {
    const port = await closedPort();
    const { code, stderr } = await rosterctl(['system', 'health'], {
      env: { ROSTER_URL: `http://127.0.0.1:${port}` },
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(
      new RegExp(`^rosterctl: cannot reach the daemon at http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`),
    );
  });

  it('exits with the code through the real entry (node src/cli/main.ts)', async () => {
    const repo = join(import.meta.dirname, '..', '..');
    const exec = (env: Record<string, string>) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['src/cli/main.ts', 'token', 'list', '--json'],
          { cwd: repo, env: { PATH: process.env.PATH, HOME: emptyHome(), ...env } },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
        );
      });
    const denied = await exec({ ROSTER_URL: api.url });
    expect(denied.code).toBe(3);
    expect(denied.stderr).toContain('rosterctl: unauthorized');
    const ok = await exec({ ROSTER_URL: api.url, ROSTER_TOKEN: admin.token });
    expect(ok.code, ok.stderr).toBe(0);
    expect((JSON.parse(ok.stdout) as { userId: string }[])[0]!.userId).toBe(admin.id);
  });

  it('prints one object as key and value lines', async () => {
    const { code, stdout } = await rosterctl(['system', 'health'], {
      env: { ROSTER_URL: `${api.url}/trpc/` },
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^status {9}ok\nversion {8}test\nuptimeSeconds {2}\d+\n$/);
  });
});

/** A loopback port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

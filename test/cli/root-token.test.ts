import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_CHARACTER_ID } from '../../src/domain/index.ts';
import { verifyToken } from '../../src/services/auth/tokens.ts';
import { AuditEntry } from '../../src/store/entities/index.ts';
import { openDatabase } from '../../src/store/orm.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { emptyHome, rosterctl } from './run.ts';

const repo = join(import.meta.dirname, '..', '..');
const tempDir = () => mkdtempSync(join(tmpdir(), 'rosterctl-root-'));

function writeConfig(dir: string, yaml: string): string {
  const path = join(dir, 'roster.yaml');
  writeFileSync(path, yaml);
  return path;
}

describe('rosterctl token create --root on PostgreSQL', () => {
  let t: TestDatabase;
  let config: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    config = writeConfig(tempDir(), `database:\n  url: ${t.url}\n`);
  });
  afterAll(async () => t?.dispose());

  it("creates an application token for root in the daemon's database and prints the secret once, on stdout only", async () => {
    const { code, stdout, stderr } = await rosterctl([
      'token',
      'create',
      '--root',
      '--config',
      config,
      '--comment',
      'first light',
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^rst_[\w-]+\n$/);
    const secret = stdout.trim();
    expect(stderr).not.toContain(secret);
    expect(stderr).toMatch(
      /^created application token \S+ for root \(no expiry\) in the postgresql database postgres:\/\/postgres@/,
    );

    const check = await verifyToken(t.db.fork(), secret);
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.user.characterId).toBe(ROOT_CHARACTER_ID);
    expect(check.token).toMatchObject({ kind: 'application', comment: 'first light', expiresAt: null });
    const audit = await t.db.fork().find(AuditEntry, { subject: `token:${check.token.id}` });
    expect(audit.map((a) => a.action)).toEqual(['token.create']);
    expect(JSON.stringify(audit)).not.toContain(secret);
  });

  it('takes a lifetime and answers --json; a second token is a new one', async () => {
    const { code, stdout } = await rosterctl([
      'token',
      'create',
      '--root',
      '--config',
      config,
      '--ttl-seconds',
      '3600',
      '--json',
    ]);
    expect(code).toBe(0);
    const created = JSON.parse(stdout) as { id: string; secret: string; expiresAt: string; userId: string };
    const check = await verifyToken(t.db.fork(), created.secret);
    expect(check.ok && check.token.id).toBe(created.id);
    expect(new Date(created.expiresAt).getTime()).toBeGreaterThan(Date.now() + 3000_000);
  });

  it('works as a real process: exit 0 and nothing but the secret on stdout', () => {
    const result = spawnSync(
      process.execPath,
      ['src/cli/main.ts', 'token', 'create', '--root', '--config', config],
      {
        cwd: repo,
        env: { PATH: process.env.PATH, HOME: emptyHome() },
        encoding: 'utf8',
      },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^rst_[\w-]+\n$/);
    expect(result.stderr).not.toContain(result.stdout.trim());
  });

  it('refuses bad flags and a missing config with exit 2', async () => {
    const flag = await rosterctl(['token', 'create', '--root', '--kind', 'user']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain(
      'unexpected flag --kind; token create --root takes --config, --comment and --ttlSeconds',
    );
    const missing = await rosterctl(['token', 'create', '--root', '--config', join(tempDir(), 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^rosterctl: config file not found: /);
    const short = await rosterctl(['token', 'create', '--root', '--ttlSeconds', '5']);
    expect(short.code).toBe(2);
  });
});

describe('rosterctl token create --root on the embedded database', () => {
  let holder: ChildProcess | null = null;
  afterEach(async () => {
    if (holder && holder.exitCode === null) {
      holder.kill('SIGTERM');
      await once(holder, 'exit');
    }
    holder = null;
  });

  /** A process that keeps the embedded database open (migrated), as the running daemon does. */
  async function holdDatabase(dataDir: string): Promise<ChildProcess> {
    const script = [
      "import { openDatabase } from './src/store/orm.ts';",
      `const db = await openDatabase({ url: '', dataDir: ${JSON.stringify(dataDir)} });`,
      'await db.migrate();',
      "process.on('SIGTERM', async () => { await db.close(); process.exit(0); });",
      "process.stdout.write('ready\\n');",
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout!.setEncoding('utf8');
    while (!output.includes('ready')) {
      const [chunk] = (await Promise.race([
        once(child.stdout!, 'data'),
        once(child, 'exit').then(() => ['exited']),
      ])) as [string];
      if (chunk === 'exited') throw new Error('the PGlite holder exited');
      output += chunk;
    }
    return child;
  }

  it('detects that another process (the daemon) holds the database, and works once it is gone', async () => {
    const dir = tempDir();
    const config = writeConfig(dir, `database:\n  url: ""\n  dataDir: ${join(dir, 'data')}\n`);
    holder = await holdDatabase(join(dir, 'data'));

    const busy = await rosterctl(['token', 'create', '--root', '--config', config]);
    expect(busy.code).toBe(1);
    expect(busy.stdout).toBe('');
    expect(busy.stderr).toContain(
      `the embedded database in ${join(dir, 'data', 'pglite')} is open in another process (pid ${holder.pid})`,
    );
    expect(busy.stderr).toContain('stop the daemon');
    expect(busy.stderr).toContain('or use the API with an existing token');

    holder.kill('SIGTERM');
    await once(holder, 'exit');
    const created = await rosterctl(['token', 'create', '--root', '--config', config]);
    expect(created.code, created.stderr).toBe(0);
    const secret = created.stdout.trim();
    const db = await openDatabase({ url: '', dataDir: join(dir, 'data') });
    try {
      const check = await verifyToken(db.fork(), secret);
      expect(check.ok && check.user.characterId).toBe(ROOT_CHARACTER_ID);
    } finally {
      await db.close();
    }
  }, 90_000);

  it('on a fresh install creates and migrates the database, checking only the database section of the config', async () => {
    const dir = tempDir();
    // A config still missing a Discord token and carrying an unknown key elsewhere: the daemon
    // would refuse it, the first token needs none of it.
    const config = writeConfig(
      dir,
      [
        'database:',
        '  dataDir: ./elsewhere',
        'discord:',
        '  targets:',
        '    - name: main',
        '      guildId: "123456789012345678"',
        'controlPlane:',
        '  nonsense: 1',
        '',
      ].join('\n'),
    );
    const { code, stdout, stderr } = await rosterctl(['token', 'create', '--root', '--config', config], {
      cwd: dir,
    });
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(`in the new embedded database in ${join(dir, 'elsewhere', 'pglite')}`);
    const db = await openDatabase({ url: '', dataDir: join(dir, 'elsewhere') });
    try {
      const check = await verifyToken(db.fork(), stdout.trim());
      expect(check.ok && check.user.characterId).toBe(ROOT_CHARACTER_ID);
    } finally {
      await db.close();
    }
  }, 90_000);

  it('still names a bad database section (exit 2)', async () => {
    const dir = tempDir();
    const config = writeConfig(dir, 'database:\n  url: mysql://x\n');
    const { code, stderr } = await rosterctl(['token', 'create', '--root', '--config', config], { cwd: dir });
    expect(code).toBe(2);
    expect(stderr).toContain('database.url: empty (embedded), postgres://... or mongodb://...');
  });
});

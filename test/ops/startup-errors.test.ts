import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'roster-startup-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the daemon as systemd does, with only this config (no ROSTER_* from the test runner). */
function runDaemon(config: string): Promise<{ code: number | null; stderr: string }> {
  const file = join(work, `${crypto.randomUUID()}.yaml`);
  writeFileSync(file, config);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('ROSTER_')) env[key] = value;
  return new Promise((done) => {
    const child = spawn(process.execPath, ['src/main.ts', '--config', file], { cwd: root, env });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdout.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, stderr: stderr.replaceAll(file, '<file>') });
    });
  });
}

describe('the daemon at start, with a configuration it cannot run', () => {
  it('refuses a cron line that is no cron expression before touching the database (exit 2, key and file named)', async () => {
    const dataDir = join(work, 'never-created');
    const { code, stderr } = await runDaemon(
      `database:\n  dataDir: ${dataDir}\njobs:\n  reconcileCron: "every tuesday"\ncontrolPlane:\n  port: 0\n`,
    );
    expect(code).toBe(2);
    expect(stderr).toContain('<file>');
    expect(stderr).toMatch(/jobs\.reconcileCron: not a cron expression \("every tuesday"\)/);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('says in one line that database.url cannot be reached, and why (no stack below debug)', async () => {
    const { code, stderr } = await runDaemon(
      'database:\n  url: postgres://roster@127.0.0.1:1/roster\ncontrolPlane:\n  port: 0\n',
    );
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/database\.url/);
    expect(stderr).toMatch(/ECONNREFUSED|connection refused/i);
    expect(stderr).toContain('127.0.0.1:1');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('adds the stack when log.level is debug', async () => {
    const { code, stderr } = await runDaemon(
      'database:\n  url: postgres://roster@127.0.0.1:1/roster\ncontrolPlane:\n  port: 0\nlog:\n  level: debug\n',
    );
    expect(code).toBe(1);
    expect(stderr).toMatch(/database\.url/);
    expect(stderr).toMatch(/\n\s+at /);
  });
});

/**
 * `npm start` under a supervisor that signals only npm's own PID: the daemon gets the SIGTERM (npm
 * forwards it to the script's process, which `exec` makes the daemon itself), stops cleanly, and
 * npm waits for it. Before `exec`, npm's shell died at once and left the daemon running.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/daemon.ts';

const root = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'roster-npm-start-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** PIDs of the children of `pid` (the daemon is npm's script process). */
function children(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Whether a process with this PID still exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start', () => {
  it('SIGTERM to npm reaches the daemon, which stops cleanly before npm exits', async () => {
    const config = join(work, 'roster.yaml');
    writeFileSync(
      config,
      stringify({
        database: { dataDir: join(work, 'data') },
        controlPlane: { host: '127.0.0.1', port: 0 },
        esi: { baseUrl: 'http://127.0.0.1:9/latest' },
        log: { level: 'info' },
      }),
    );
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('ROSTER_')) env[key] = value;
    const npm = spawn('npm', ['start', '--silent', '--', '--config', config], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: { msg?: string }[] = [];
    let daemonPids: number[] = [];
    createInterface({ input: npm.stdout! }).on('line', (text) => {
      try {
        lines.push(JSON.parse(text) as { msg?: string });
      } catch {
        // npm's own lines, if any
      }
    });
    const exited = new Promise<number | string>((done) =>
      npm.once('exit', (code, signal) => done(code ?? signal ?? 'unknown')),
    );
    try {
      expect(await waitFor(() => lines.some((l) => l.msg?.startsWith('roster listening')), 60_000)).toBe(
        true,
      );
      // The script's process, and whatever it started: with `exec` it is the daemon itself.
      daemonPids = children(npm.pid!).flatMap((pid) => [pid, ...children(pid)]);
      expect(daemonPids.length).toBeGreaterThan(0);

      npm.kill('SIGTERM');
      const code = await exited;
      // The daemon stopped (and said so) before npm exited, and is gone.
      expect(lines.map((l) => l.msg)).toContain('stopped');
      for (const pid of daemonPids) expect(alive(pid), `process ${pid} outlived npm`).toBe(false);
      // npm re-raises the signal its script's process ended with; the daemon itself exited 0.
      expect([0, 'SIGTERM', 143]).toContain(code);
    } finally {
      if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
      await exited;
      for (const pid of daemonPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 90_000);
});

import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatabaseInUseError, lockDataDir } from '../../src/store/embedded-lock.ts';

const fresh = () => mkdtempSync(join(tmpdir(), 'roster-lock-'));

describe('embedded database lock', () => {
  it('writes our pid and removes the lock on release', () => {
    const dir = fresh();
    const release = lockDataDir(dir);
    expect(readFileSync(join(dir, 'roster.lock'), 'utf8')).toBe(String(process.pid));
    release();
    expect(existsSync(join(dir, 'roster.lock'))).toBe(false);
  });

  it('refuses a data directory held by another live process', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'roster.lock'), String(process.ppid));
    expect(() => lockDataDir(dir)).toThrow(DatabaseInUseError);
    expect(() => lockDataDir(dir)).toThrow(new RegExp(`in use by process ${process.ppid}`));
  });

  it('takes over a lock left by a process that died', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'roster.lock'), '2147483646');
    const release = lockDataDir(dir);
    expect(readFileSync(join(dir, 'roster.lock'), 'utf8')).toBe(String(process.pid));
    release();
  });
});

import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';

const root = resolve(import.meta.dirname, '../..');
const unitText = readFileSync(join(root, 'systemd/roster.service'), 'utf8');

/** `[Section]` -> key -> values (a key may repeat), comments and blank lines dropped. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new Error(`unparsable unit line: ${line}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

const unit = parseUnit(unitText);

/** Directives systemd 252 documents, per section: the ones this unit may use. */
const knownKeys: Record<string, string[]> = {
  Unit: ['Description', 'Documentation', 'Wants', 'After', 'StartLimitIntervalSec', 'StartLimitBurst'],
  Service: (
    'Type ExecStart WorkingDirectory EnvironmentFile Environment Restart RestartSec KillMode TimeoutStopSec DynamicUser ' +
    'StateDirectory StateDirectoryMode UMask NoNewPrivileges ProtectSystem ProtectHome PrivateTmp PrivateDevices PrivateUsers ' +
    'ProtectKernelTunables ProtectKernelModules ProtectKernelLogs ProtectControlGroups ProtectClock ProtectHostname ProtectProc ' +
    'RestrictAddressFamilies RestrictNamespaces RestrictRealtime RestrictSUIDSGID LockPersonality RemoveIPC CapabilityBoundingSet ' +
    'AmbientCapabilities SystemCallFilter SystemCallArchitectures SystemCallErrorNumber'
  ).split(' '),
  Install: ['WantedBy'],
};
const service = unit.get('Service')!;
const one = (key: string) => service.get(key)?.at(-1);

const analyze = spawnSync('sh', ['-c', 'command -v systemd-analyze']).status === 0;
const nodeBin = join(root, 'node_modules/node/bin/node');
const work = mkdtempSync(join(tmpdir(), 'roster-unit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The unit as installed would be, but runnable here: ExecStart on this checkout's Node. */
function localCopy(name: string, extra = ''): string {
  const path = join(work, name);
  writeFileSync(
    path,
    unitText
      .replace('/opt/roster/node_modules/node/bin/node', nodeBin)
      .replace('[Service]\n', `[Service]\n${extra}`),
  );
  return path;
}

describe('systemd/roster.service', () => {
  it('runs the built daemon with the Node.js 24 binary the `node` npm package installs', () => {
    const [node, script, ...args] = one('ExecStart')!.split(' ');
    expect(node).toBe('/opt/roster/node_modules/node/bin/node');
    const pkg = JSON.parse(readFileSync(join(root, 'node_modules/node/package.json'), 'utf8')) as {
      version: string;
      bin: { node: string };
    };
    expect(`node_modules/node/${pkg.bin.node}`).toBe('node_modules/node/bin/node');
    expect(pkg.version).toMatch(/^24\./);
    accessSync(nodeBin, constants.X_OK);
    // `npm run build` compiles src/ into dist/: src/main.ts becomes dist/main.js.
    const build = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as {
      compilerOptions: { rootDir: string; outDir: string };
    };
    expect(script).toBe(`/opt/roster/${build.compilerOptions.outDir}/main.js`);
    expect(build.compilerOptions.rootDir).toBe('src');
    expect(args).toEqual(['--config', '/etc/roster/roster.yaml']);
  });

  it('restarts on failure, reads secrets from an optional env file, keeps state in its StateDirectory', () => {
    expect(one('Type')).toBe('exec');
    expect(one('Restart')).toBe('on-failure');
    expect(one('EnvironmentFile')).toBe('-/etc/roster/roster.env');
    expect(one('DynamicUser')).toBe('yes');
    expect(one('StateDirectory')).toBe('roster');
    expect(service.get('Environment')).toContain('ROSTER_DATABASE__DATA_DIR=%S/roster');
  });

  it('gives a graceful stop more time than the daemon waits for running jobs', () => {
    const waitMs = configSchema.parse({}).jobs.shutdownTimeoutMs;
    expect(Number(one('TimeoutStopSec')!.replace(/s$/, '')) * 1000).toBeGreaterThan(waitMs);
    expect(one('KillMode')).toBe('mixed');
  });

  it('carries the hardening of a network daemon, and not MemoryDenyWriteExecute (V8 JIT)', () => {
    const expected: Record<string, string> = {
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      ProtectKernelTunables: 'yes',
      ProtectKernelModules: 'yes',
      ProtectKernelLogs: 'yes',
      ProtectControlGroups: 'yes',
      RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6',
      LockPersonality: 'yes',
      RestrictRealtime: 'yes',
      RestrictNamespaces: 'yes',
      CapabilityBoundingSet: '',
    };
    for (const [key, value] of Object.entries(expected)) expect([key, one(key)]).toEqual([key, value]);
    expect(service.get('SystemCallFilter')?.[0]).toBe('@system-service');
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it(
    analyze
      ? 'passes `systemd-analyze verify` with no warning (on a copy whose ExecStart is this checkout’s node binary, since verify checks that it exists), and verify does flag a broken copy'
      : 'systemd-analyze is not installed here, so `systemd-analyze verify` did not run (.ci/run installs Debian’s systemd package); the unit parses and every key is one systemd knows from the list above',
    () => {
      if (!analyze) {
        // A misspelt key is only a warning to systemd: without verify, every key must be a known one.
        for (const [section, keys] of unit)
          for (const key of keys.keys())
            expect([section, key]).toEqual([section, knownKeys[section]?.find((k) => k === key)]);
        return;
      }
      const good = spawnSync('systemd-analyze', ['verify', localCopy('roster.service')], {
        encoding: 'utf8',
      });
      expect({ status: good.status, stderr: good.stderr.trim() }).toEqual({ status: 0, stderr: '' });
      const bad = spawnSync(
        'systemd-analyze',
        ['verify', localCopy('roster-broken.service', 'ProtectSystm=strict\n')],
        { encoding: 'utf8' },
      );
      expect(bad.stderr).toContain("Unknown key 'ProtectSystm'");
    },
  );

  it(
    analyze
      ? 'rates as exposure level OK in `systemd-analyze security --offline`'
      : 'systemd-analyze is not installed here, so the exposure level was not measured; the sandboxing directives are checked above',
    () => {
      if (!analyze) {
        expect(one('ProtectSystem')).toBe('strict');
        return;
      }
      const out = execFileSync(
        'systemd-analyze',
        ['security', '--offline=true', localCopy('roster.service')],
        { encoding: 'utf8' },
      );
      const level = /Overall exposure level for roster\.service: ([\d.]+) (\w+)/.exec(out);
      expect(level?.[2]).toBe('OK');
      expect(Number(level?.[1])).toBeLessThanOrEqual(2);
    },
  );
});

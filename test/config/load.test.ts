import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.ts';

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'roster-config-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('starts from documented defaults when no file exists', () => {
    const { config, file } = loadConfig({ cwd: dirWith({}), env: {} });
    expect(file).toBeNull();
    expect(config.database.url).toBe('');
    expect(config.controlPlane).toMatchObject({ host: '127.0.0.1', port: 8380 });
    expect(config.teamspeak.targets).toEqual([]);
    expect(config.sync).toEqual({
      maxRemovalShare: 0.25,
      maxRemovals: 1000,
      guardMinRemovals: 10,
      removalGraceMinutes: 0,
      leaseTtlSeconds: 30,
    });
  });

  it('finds ./roster.yaml and fills target defaults', () => {
    const cwd = dirWith({
      'roster.yaml':
        'teamspeak:\n  targets:\n    - { name: main, host: ts.example, username: q, password: pw }\n',
    });
    const { config, file } = loadConfig({ cwd, env: {} });
    expect(file).toBe(join(cwd, 'roster.yaml'));
    expect(config.teamspeak.targets[0]).toMatchObject({
      name: 'main',
      queryPort: 10011,
      serverId: 1,
      commandsPerWindow: 10,
      windowMs: 3000,
    });
  });

  it('names the key, the file and what was expected', () => {
    const cwd = dirWith({
      'bad.yaml': 'controlPlane:\n  port: "eighty"\nsync:\n  maxRemovalShare: 2\nbogus: 1\n',
    });
    const error = errorOf(() => loadConfig({ cwd, path: 'bad.yaml', env: {} }));
    expect(error.message).toContain(join(cwd, 'bad.yaml'));
    expect(error.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^controlPlane\.port: .*expected number/),
        expect.stringMatching(/^sync\.maxRemovalShare: /),
        expect.stringMatching(/unknown key "bogus"/),
      ]),
    );
  });

  it('checks every cron expression with the config, naming the key and the file', () => {
    const cwd = dirWith({
      'cron.yaml':
        'jobs:\n  reconcileCron: "every tuesday"\n  cleanupCron: "61 * * * *"\n  autogroupCron: ""\n',
    });
    const error = errorOf(() => loadConfig({ cwd, path: 'cron.yaml', env: {} }));
    expect(error.message).toContain(join(cwd, 'cron.yaml'));
    expect(error.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^jobs\.reconcileCron: not a cron expression .*every tuesday/),
        expect.stringMatching(/^jobs\.cleanupCron: not a cron expression .*0-59/),
        expect.stringMatching(/^jobs\.autogroupCron: /),
      ]),
    );
    expect(error.problems).toHaveLength(3);
    const fromEnv = errorOf(() =>
      loadConfig({ cwd: dirWith({}), env: { ROSTER_JOBS__ESI_REFRESH_CRON: 'daily' } }),
    );
    expect(fromEnv.problems).toEqual([
      expect.stringMatching(/^jobs\.esiRefreshCron .*ROSTER_JOBS__ESI_REFRESH_CRON/),
    ]);
  });

  it('reports a missing explicit file and broken YAML', () => {
    const cwd = dirWith({ 'broken.yaml': 'a: [1, 2' });
    expect(errorOf(() => loadConfig({ cwd, path: 'nope.yaml', env: {} })).message).toMatch(
      /config file not found/,
    );
    expect(errorOf(() => loadConfig({ cwd, path: 'broken.yaml', env: {} })).message).toMatch(
      /not valid YAML/,
    );
  });

  it('applies ROSTER_ env overrides with coercion, into arrays too', () => {
    const cwd = dirWith({
      'roster.yaml':
        'teamspeak:\n  targets:\n    - { name: main, host: ts.example, username: q, password: from-file }\n',
    });
    const { config } = loadConfig({
      cwd,
      env: {
        ROSTER_CONTROL_PLANE__PORT: '9001',
        ROSTER_TEAMSPEAK__TARGETS__0__PASSWORD: '12345',
        ROSTER_TEAMSPEAK__TARGETS__0__MESSAGE_NICKNAMES: 'false',
        ROSTER_DATABASE__URL: 'postgres://db/roster',
      },
    });
    expect(config.controlPlane.port).toBe(9001);
    expect(config.teamspeak.targets[0]!.password).toBe('12345');
    expect(config.teamspeak.targets[0]!.messageNicknames).toBe(false);
    expect(config.database.url).toBe('postgres://db/roster');
  });

  it('names the environment variable behind a bad value', () => {
    const error = errorOf(() => loadConfig({ cwd: dirWith({}), env: { ROSTER_CONTROL_PLANE__PORT: 'abc' } }));
    expect(error.problems.join('\n')).toMatch(/controlPlane\.port \(from ROSTER_CONTROL_PLANE__PORT\)/);
  });

  it('uses ROSTER_CONFIG as the file path', () => {
    const cwd = dirWith({ 'elsewhere.yaml': 'log:\n  level: debug\n' });
    expect(loadConfig({ cwd, env: { ROSTER_CONFIG: 'elsewhere.yaml' } }).config.log.level).toBe('debug');
  });
});

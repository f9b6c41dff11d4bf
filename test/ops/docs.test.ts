import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { configSchema } from '../../src/config/schema.ts';
import { scopeRules } from '../../src/domain/index.ts';
import { requiredPermissions } from '../../src/sync/teamspeak/index.ts';
import {
  clearanceChangeTable,
  clearanceTable,
  guestTable,
  configKeys,
  configTable,
  envName,
  examplePath,
  exampleYaml,
  generatedReadme,
  readmePath,
} from '../../scripts/gen-config-docs.ts';

const work = mkdtempSync(join(tmpdir(), 'roster-docs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const fix = 'out of date: run `npm run docs:config` and commit the result';

/** The commented target entries of the example, uncommented as an operator would. */
function uncommentExamples(text: string): string {
  const out: string[] = [];
  let inBlock = false;
  for (const line of text.split('\n')) {
    if (line === '  targets: []' || line === '  # Each entry (there may be several), e.g.:') continue;
    if (line === '  # targets:') {
      out.push('  targets:');
      inBlock = true;
      continue;
    }
    if (inBlock && line.startsWith('  #   ')) {
      out.push(`  ${line.slice(4)}`);
      continue;
    }
    inBlock = false;
    out.push(line);
  }
  return out.join('\n');
}

describe('generated documentation', () => {
  it(`config/roster.example.yaml is what the schema generates (else ${fix})`, () => {
    expect(readFileSync(examplePath, 'utf8'), fix).toBe(exampleYaml());
  });

  it(`the README's configuration reference and clearance table are what the code generates (else ${fix})`, () => {
    const readme = readFileSync(readmePath, 'utf8');
    expect(readme, fix).toBe(generatedReadme(readme));
    expect(readme).toContain(configTable());
    expect(readme).toContain(clearanceTable());
    expect(readme).toContain(clearanceChangeTable());
    expect(readme).toContain(guestTable());
  });

  it('documents every key of the schema, and every right of scopeRules', () => {
    const table = configTable();
    const keys = configKeys().map((k) => k.path.join('.'));
    for (const key of [
      'database.url',
      'sync.maxRemovalShare',
      'teamspeak.targets[].password',
      'discord.targets[].guildId',
    ]) {
      expect(keys).toContain(key);
    }
    for (const key of keys) expect(table).toContain(`| \`${key}\` |`);
    for (const scope of Object.keys(scopeRules)) expect(clearanceTable()).toContain(`| \`${scope}\` |`);
  });

  it('names the environment variables the loader reads', () => {
    expect(envName(['controlPlane', 'port'])).toBe('ROSTER_CONTROL_PLANE__PORT');
    expect(envName(['teamspeak', 'targets[]', 'password'])).toBe('ROSTER_TEAMSPEAK__TARGETS__0__PASSWORD');
    const { config } = loadConfig({
      env: { ROSTER_CONTROL_PLANE__MAX_AUTH_FAILURES_PER_MINUTE: '7' },
      cwd: work,
    });
    expect(config.controlPlane.maxAuthFailuresPerMinute).toBe(7);
  });

  it('the example loads as it is and gives exactly the defaults', () => {
    const file = join(work, 'example.yaml');
    writeFileSync(file, readFileSync(examplePath, 'utf8'));
    expect(loadConfig({ path: file, env: {}, cwd: work }).config).toEqual(configSchema.parse({}));
  });

  it('the commented target entries, once uncommented, load with their secrets from the environment', () => {
    const file = join(work, 'targets.yaml');
    writeFileSync(file, uncommentExamples(readFileSync(examplePath, 'utf8')));
    const { config } = loadConfig({
      path: file,
      env: { ROSTER_TEAMSPEAK__TARGETS__0__PASSWORD: 'pw', ROSTER_DISCORD__TARGETS__0__TOKEN: 'tok' },
      cwd: work,
    });
    expect(config.teamspeak.targets).toEqual([
      expect.objectContaining({ name: 'main', host: 'ts.example.org', password: 'pw', queryPort: 10011 }),
    ]);
    expect(config.discord.targets).toEqual([
      expect.objectContaining({ name: 'guild', token: 'tok', guildId: '123456789012345678' }),
    ]);
  });

  it("the README's TeamSpeak setup lists every permission the adapter requires", () => {
    const readme = readFileSync(readmePath, 'utf8');
    for (const permission of Object.keys(requiredPermissions))
      expect(readme).toContain(`| \`${permission}\` |`);
  });
});

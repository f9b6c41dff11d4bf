import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { User } from '../../src/store/entities/index.ts';
import { AA, allianceAuthDump, sniExport, writeSniFolder } from '../import/fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { rosterctl } from './run.ts';

describe('rosterctl import', () => {
  let t: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'rosterctl-aa-'));
  const dump = join(dir, 'dump.json');
  const config = join(dir, 'roster.yaml');
  beforeAll(async () => {
    t = await createTestDatabase();
    writeFileSync(dump, JSON.stringify(allianceAuthDump()));
    writeFileSync(
      config,
      [
        `database: { url: "${t.url}" }`,
        'discord: { targets: [{ name: guild, token: x, guildId: "123456789012345678" }] }',
      ].join('\n'),
    );
  });
  afterAll(async () => t?.dispose());

  it('prints the dry run and writes nothing without --yes off a terminal; --yes writes; again is up to date', async () => {
    const dry = await rosterctl(['import', 'alliance-auth', '--file', dump, '--config', config]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('import from alliance-auth (dry run):');
    expect(dry.stdout).toMatch(/users\s+5\s+0\s+0/);
    expect(dry.stdout).toContain('user without a main character');
    expect(dry.stderr).toContain('run again with --yes');
    expect(await t.db.fork().count(User, { characterId: AA.alice })).toBe(0);

    const run = await rosterctl(['import', 'alliance-auth', '--file', dump, '--config', config, '--yes']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('import from alliance-auth:');
    expect(await t.db.fork().count(User, { characterId: AA.alice })).toBe(1);

    const again = await rosterctl([
      'import',
      'alliance-auth',
      '--file',
      dump,
      '--config',
      config,
      '--yes',
      '--json',
    ]);
    expect(JSON.parse(again.stdout)).toMatchObject({ applied: false, upToDate: true });
  });

  it('asks on a terminal; reads an SNI export folder; names a bad record and writes nothing', async () => {
    const folder = writeSniFolder(sniExport());
    let asked = '';
    const declined = await rosterctl(['import', 'sni', '--dir', folder, '--config', config], {
      tty: true,
      ask: async (q) => ((asked = q), 'n'),
    });
    expect(asked).toContain('write this import?');
    expect(declined.stderr).toContain('nothing written');
    expect(await t.db.fork().count(User, { characterName: 'Erin Sni' })).toBe(0);
    const accepted = await rosterctl(['import', 'sni', '--dir', folder, '--config', config], {
      tty: true,
      ask: async () => 'y',
    });
    expect(accepted.code).toBe(0);
    expect(await t.db.fork().count(User, { characterName: 'Erin Sni' })).toBe(1);

    writeFileSync(
      join(dir, 'bad.json'),
      '[{"model": "eveonline.evecharacter", "pk": 1, "fields": {"character_id": "x"}}]',
    );
    const bad = await rosterctl([
      'import',
      'alliance-auth',
      '--file',
      join(dir, 'bad.json'),
      '--config',
      config,
      '--yes',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('eveonline.evecharacter pk=1: character_id is not an EVE id');
    expect((await rosterctl(['import', 'sni', '--config', config])).code).toBe(2);
  });
});

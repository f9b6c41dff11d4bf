import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TeamspeakLink, User } from '../../src/store/entities/index.ts';
import { startFakeTeamspeak } from '../fakes/teamspeak/index.ts';
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

  it('resolves TeamSpeak identities on the configured target into links; an unreachable target writes nothing', async () => {
    const fake = await startFakeTeamspeak({ flood: { commands: 20, windowMs: 500 } });
    const bob = fake.addDbClient({ nickname: 'Bob', custom: { sso_uid: AA.bobSsoUid } });
    const db = await createTestDatabase();
    const withTeamspeak = (port: number) => {
      const file = join(dir, `roster-ts-${port}.yaml`);
      writeFileSync(
        file,
        [
          `database: { url: "${db.url}" }`,
          `teamspeak: { targets: [{ name: ts, host: "${fake.host}", queryPort: ${port}, username: serveradmin, password: secret, commandsPerWindow: 20, windowMs: 500 }] }`,
        ].join('\n'),
      );
      return file;
    };
    try {
      const down = await rosterctl([
        'import',
        'alliance-auth',
        '--file',
        dump,
        '--config',
        withTeamspeak(1),
        '--yes',
      ]);
      expect(down.code).toBe(1);
      expect(down.stderr).toMatch(
        /nothing imported: TeamSpeak target "ts" could not be reached.*--no-teamspeak-links/,
      );
      expect(await db.db.fork().count(User, { characterId: AA.bob })).toBe(0);

      const run = await rosterctl([
        'import',
        'alliance-auth',
        '--file',
        dump,
        '--config',
        withTeamspeak(fake.port),
        '--yes',
      ]);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toMatch(/teamspeakLinks\s+1\s+0\s+0/);
      expect(fake.commandLog().map((e) => e.name)).toEqual(
        expect.arrayContaining(['customsearch', 'clientdbinfo']),
      );
      const em = db.db.fork();
      const user = await em.findOneOrFail(User, { characterId: AA.bob });
      expect(await em.find(TeamspeakLink, { target: 'ts' })).toEqual([
        expect.objectContaining({ userId: user.id, clientDbId: bob.cldbid, uniqueId: bob.uid }),
      ]);
    } finally {
      await fake.close();
      await db.dispose();
    }
  });
});

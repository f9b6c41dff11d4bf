import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryEsiOf } from '../../src/directory/index.ts';
import { User } from '../../src/store/entities/index.ts';
import { clientFor, seedStandard } from '../esi/fixtures.ts';
import { startFakeEsi, type FakeEsi } from '../fakes/esi/index.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { freshCharacterId } from '../support/rows.ts';
import { rosterctl } from './run.ts';

describe('rosterctl user import', () => {
  let fake: FakeEsi;
  let api: TestApi;
  let env: Record<string, string>;
  let generated: number[];
  const dir = mkdtempSync(join(tmpdir(), 'rosterctl-import-'));

  beforeAll(async () => {
    fake = await startFakeEsi();
    seedStandard(fake);
    generated = fake.seedGenerated({ characters: 2_100, corporations: 3, alliances: 1 });
    api = await startTestApi({ directoryEsi: directoryEsiOf(clientFor(fake)) });
    const admin = await api.user({ characterId: freshCharacterId(), clearanceLevel: 9 });
    env = { ROSTER_URL: api.url, ROSTER_TOKEN: admin.token };
  });
  afterAll(async () => {
    await api?.stop();
    await fake?.close();
  });

  it('sends a file of 2,101 lines in parts of 1,000 with a progress bar on a terminal, and says what happened', async () => {
    const file = join(dir, 'pilots.txt');
    const lines = ['# pilots to add', ...generated.map(String), '', 'Nobody Known Here'];
    writeFileSync(file, lines.join('\n'));
    const { code, stdout, stderr } = await rosterctl(['user', 'import', '--file', file], { env, tty: true });
    expect(stdout.split('\n')).toEqual([
      '2100 created, 0 already users (unchanged), 1 unknown to EVE, 0 refused',
      '  unknown   Nobody Known Here',
      '',
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain('] 1,000/2,101 characters');
    expect(stderr).toContain('[##############################] 2,101/2,101 characters');
    // 3 parts: each one affiliation and one names call; the one name cost one /universe/ids/.
    expect(fake.counts().byRoute).toMatchObject({
      '/characters/affiliation/': 3,
      '/universe/names/': 3,
      '/universe/ids/': 1,
    });
    expect(await api.t.db.fork().count(User, { characterId: { $in: generated } })).toBe(2_100);
  });

  it('reads stdin, and a second import of the same list changes nothing', async () => {
    const io = await rosterctl(['user', 'import', '--json'], {
      env,
      stdin: generated.slice(0, 10).join('\n'),
    });
    expect(io.code).toBe(0);
    expect(JSON.parse(io.stdout)).toMatchObject({ created: [], unknown: [], refused: [] });
    expect(JSON.parse(io.stdout).unchanged).toHaveLength(10);
    expect(io.stderr).toBe('');
  });

  it('refuses an empty list or a missing file as a usage error', async () => {
    expect((await rosterctl(['user', 'import'], { env, stdin: '\n# nothing\n' })).code).toBe(2);
    const missing = await rosterctl(['user', 'import', '--file', join(dir, 'missing.txt')], { env });
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot read') });
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discover, jsonValues, runBenchmark } from '../../scripts/bench/index.ts';

const work = mkdtempSync(join(tmpdir(), 'roster-bench-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const path = join(work, name);
  writeFileSync(path, body);
  return path;
}

describe('the bench harness', () => {
  it('knows every expected benchmark, present or not', () => {
    const all = discover();
    for (const name of ['esi-affiliation', 'discord', 'teamspeak', 'planner', 'latency', 'load-api'])
      expect(all.has(name)).toBe(true);
    expect(all.get('planner')).toBe('scripts/bench/planner.ts');
    expect(all.has('index')).toBe(false);
  });

  it('reads compact lines and pretty-printed blocks, ignoring other output', () => {
    const text = 'starting [phase 1]\n{"a":1}\n{\n  "b": "x}y",\n  "c": [1, 2]\n}\ndone\n';
    expect(jsonValues(text)).toEqual([{ a: 1 }, { b: 'x}y', c: [1, 2] }]);
  });

  it("reports a benchmark's JSON, a failing one with its error, and a missing one, skipping none", async () => {
    const ok = await runBenchmark(
      'ok',
      script('ok.ts', 'process.stdout.write(JSON.stringify({ seconds: 1.5 }, null, 2));'),
      20_000,
    );
    expect(ok).toMatchObject({ benchmark: 'ok', ok: true, result: { seconds: 1.5 } });
    const failing = await runBenchmark(
      'bad',
      script('bad.ts', 'console.error("fake ESI did not start"); process.exit(3);'),
      20_000,
    );
    expect(failing).toMatchObject({ ok: false, error: 'exited with 3: fake ESI did not start' });
    const silent = await runBenchmark(
      'silent',
      script('silent.ts', 'console.log("nothing measured");'),
      20_000,
    );
    expect(silent).toMatchObject({ ok: false, error: 'printed no JSON' });
    const missing = await runBenchmark('gone', 'scripts/bench/does-not-exist.ts', 20_000);
    expect(missing).toEqual({
      benchmark: 'gone',
      script: 'scripts/bench/does-not-exist.ts',
      ok: false,
      error: 'missing: scripts/bench/does-not-exist.ts does not exist',
    });
  });
});

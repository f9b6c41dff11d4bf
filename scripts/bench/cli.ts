/**
 * Benchmark: how long a `rosterctl` call takes to start and finish. Runs `rosterctl --help` and
 * `rosterctl system version` (against a loopback tRPC server that answers like the daemon) each
 * several times in fresh processes on this Node, and prints, per command, the modules it loaded
 * (all of src/, and those outside src/cli/ that are not pure), the CPU time and the wall time
 * (median and worst). Goal: well under 0.7 s each, loading none of the server.
 *
 *   npx node scripts/bench/cli.ts [runs=7]
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initTRPC } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';

const [runs = 7] = process.argv.slice(2).map(Number);
const root = resolve(import.meta.dirname, '../..');

// Loaded into each rosterctl process: records the modules of src/ it resolves and its CPU time.
const probe = join(tmpdir(), `rosterctl-probe-${process.pid}.mjs`);
writeFileSync(
  probe,
  `import { registerHooks } from 'node:module';
const seen = new Set();
registerHooks({ resolve(spec, ctx, next) { const r = next(spec, ctx); const i = r.url.indexOf('/src/'); if (i !== -1) seen.add(r.url.slice(i + 5)); return r; } });
process.on('exit', () => { const c = process.cpuUsage(); process.stderr.write('\\n@@probe ' + JSON.stringify({ modules: [...seen], cpuMs: (c.user + c.system) / 1000 }) + '\\n'); });
`,
);

const t = initTRPC.create();
const server = createHTTPServer({
  router: t.router({ system: t.router({ version: t.procedure.query(() => ({ version: 'bench' })) }) }),
  basePath: '/trpc/',
});
await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
const address = server.address();
const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly modules: readonly string[];
  readonly code: number | null;
}

function once(args: readonly string[]): Promise<Sample> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', probe, join(root, 'src/cli/main.ts'), ...args], {
    env: { ...process.env, ROSTER_URL: url, ROSTER_TOKEN: 'bench', HOME: tmpdir() },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) =>
    child.on('close', (code) => {
      const line = stderr.split('\n').find((l) => l.startsWith('@@probe '));
      const probed = line ? (JSON.parse(line.slice(8)) as { modules: string[]; cpuMs: number }) : null;
      done({
        wallMs: performance.now() - started,
        cpuMs: probed?.cpuMs ?? NaN,
        modules: probed?.modules ?? [],
        code,
      });
    }),
  );
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round = (n: number) => Math.round(n);

const commands: Record<string, string[]> = { help: ['--help'], 'system version': ['system', 'version'] };
const results: Record<string, unknown> = {};
for (const [name, args] of Object.entries(commands)) {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) samples.push(await once(args));
  const modules = samples[0]!.modules;
  results[name] = {
    exitCodes: [...new Set(samples.map((s) => s.code))],
    srcModules: modules.length,
    // Anything loaded from outside the CLI's own folder; the pure planner summary is expected.
    outsideCli: modules.filter((m) => !m.startsWith('cli/')),
    cpuMsMedian: round(median(samples.map((s) => s.cpuMs))),
    wallMsMedian: round(median(samples.map((s) => s.wallMs))),
    wallMsWorst: round(Math.max(...samples.map((s) => s.wallMs))),
  };
}
server.close();
console.log(JSON.stringify({ benchmark: 'cli', runs, goalMs: 700, commands: results }, null, 2));

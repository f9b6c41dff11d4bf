/**
 * `npm run bench`: runs every benchmark, one after the other (so they do not compete for the
 * CPU), each in its own process on this Node (`process.execPath`), and prints one JSON object
 * per benchmark on stdout. Progress goes to stderr. A benchmark that is expected but missing, or
 * that fails, is reported as such (and the exit code is 1); none is skipped silently.
 *
 *   npm run bench                       every benchmark
 *   npm run bench -- planner discord    only these
 *   npm run bench -- --timeout=1200     per-benchmark limit in seconds (default 900)
 *
 * A benchmark is a script in scripts/bench/ (not this file, not a file starting with `_`) or one
 * of the extra scripts below; it prints its figures as JSON on stdout. Run one directly to pass
 * it arguments: `npx node scripts/bench/planner.ts 50000`.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const benchDir = join(root, 'scripts/bench');

/** Benchmarks the project expects; any other script in scripts/bench/ runs too. */
const expected: Record<string, string> = {
  'esi-affiliation': 'scripts/bench/esi-affiliation.ts',
  discord: 'scripts/bench/discord.ts',
  teamspeak: 'scripts/bench/teamspeak.ts',
  planner: 'scripts/bench/planner.ts',
  latency: 'scripts/bench/latency.ts',
  import: 'scripts/bench/import.ts',
  cli: 'scripts/bench/cli.ts',
  soak: 'scripts/bench/soak.ts',
  'load-api': 'scripts/load-api.ts',
};

export interface BenchReport {
  readonly benchmark: string;
  readonly script: string;
  readonly ok: boolean;
  /** Wall time of the whole process. */
  readonly seconds?: number;
  /** What the script printed as JSON (one value, or a list when it printed several). */
  readonly result?: unknown;
  readonly error?: string;
}

/** Every benchmark, by name: the expected ones and whatever else is in scripts/bench/. */
export function discover(): Map<string, string> {
  const found = new Map(Object.entries(expected));
  for (const file of readdirSync(benchDir)) {
    if (!file.endsWith('.ts') || file === 'index.ts' || file.startsWith('_')) continue;
    const name = basename(file, '.ts');
    if (!found.has(name)) found.set(name, `scripts/bench/${file}`);
  }
  return found;
}

/** The top-level JSON values in a text (scripts print one compact line or pretty-printed blocks). */
export function jsonValues(text: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"' && depth > 0) inString = true;
    else if (c === '{' || c === '[') {
      if (depth++ === 0) start = i;
    } else if ((c === '}' || c === ']') && depth > 0 && --depth === 0) {
      try {
        values.push(JSON.parse(text.slice(start, i + 1)));
      } catch {
        // Not JSON after all (a bracket in a log line): ignore it.
      }
    }
  }
  return values;
}

export function runBenchmark(name: string, script: string, timeoutMs: number): Promise<BenchReport> {
  const path = isAbsolute(script) ? script : join(root, script);
  if (!existsSync(path))
    return Promise.resolve({
      benchmark: name,
      script,
      ok: false,
      error: `missing: ${script} does not exist`,
    });
  const started = performance.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, [path], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const seconds = Math.round((performance.now() - started) / 100) / 10;
      const values = jsonValues(stdout);
      const result = values.length === 1 ? values[0] : values;
      const tail = stderr.trim().split('\n').slice(-5).join('\n');
      if (code === 0 && values.length > 0)
        return done({ benchmark: name, script, ok: true, seconds, result });
      const why =
        signal === 'SIGKILL'
          ? `killed after the ${timeoutMs / 1000} s limit`
          : code === 0
            ? 'printed no JSON'
            : `exited with ${code ?? signal}`;
      done({
        benchmark: name,
        script,
        ok: false,
        seconds,
        ...(values.length ? { result } : {}),
        error: tail ? `${why}: ${tail}` : why,
      });
    });
  });
}

async function main() {
  const args = process.argv.slice(2);
  const timeoutArg = args.find((a) => a.startsWith('--timeout='));
  const timeoutMs = (timeoutArg ? Number(timeoutArg.slice('--timeout='.length)) : 900) * 1000;
  const wanted = args.filter((a) => !a.startsWith('--'));
  const all = discover();
  const unknown = wanted.filter((w) => !all.has(w));
  if (unknown.length) {
    process.stderr.write(
      `bench: unknown benchmark ${unknown.join(', ')} (known: ${[...all.keys()].join(', ')})\n`,
    );
    process.exit(2);
  }
  let failed = 0;
  for (const [name, script] of all) {
    if (wanted.length && !wanted.includes(name)) continue;
    process.stderr.write(`bench: ${name} (${relative(root, resolve(root, script))}) ...\n`);
    const report = await runBenchmark(name, script, timeoutMs);
    if (!report.ok) failed++;
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }
  if (failed) process.stderr.write(`bench: ${failed} benchmark(s) missing or failed\n`);
  process.exitCode = failed ? 1 : 0;
}

if (import.meta.main) await main();

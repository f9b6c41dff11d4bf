import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, defaultConfigPaths, loadConfig } from './config/load.ts';
import { createLogger } from './logger.ts';
import { createRoster, type Roster } from './app.ts';

/** Whether a failure to start shows its stack (log.level debug or trace), or one line. */
let verbose = false;

/** The daemon's entry: the only place that reads process, handles signals and exits. */
async function main() {
  const { values } = parseArgs({
    options: { config: { type: 'string', short: 'c' } },
    allowPositionals: false,
  });
  let loaded;
  try {
    loaded = loadConfig({ path: values.config, env: process.env, cwd: process.cwd() });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`roster: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const { config, file } = loaded;
  verbose = config.log.level === 'debug' || config.log.level === 'trace';
  const pretty =
    config.log.pretty === 'always' || (config.log.pretty === 'auto' && process.stdout.isTTY === true);
  const logger = createLogger({ level: config.log.level, pretty });

  // Names this daemon in leases and runs, so `busy` and abandoned runs say which process it was.
  const instanceId = `${hostname().slice(0, 40)}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`;
  const roster = await createRoster({ config, logger, instanceId });
  const collect = collectAfterRuns(roster);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: no new jobs, waiting for running ones');
    try {
      await roster.stop();
      logger.info('stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'stop failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  await roster.start();
  // Start-up read the whole directory (bootstrap, autogroups): its garbage goes too.
  collect();
  logger.info(
    {
      url: roster.url(),
      config: file ?? `none found (looked for --config, ROSTER_CONFIG, ${defaultConfigPaths.join(', ')})`,
      database:
        roster.db.kind === 'embedded' ? `embedded PGlite in ${config.database.dataDir}` : roster.db.kind,
      teamspeakTargets: config.teamspeak.targets.length,
      discordTargets: config.discord.targets.length,
    },
    `roster listening on ${roster.url()} (control plane: ${roster.url()}/trpc); configure it with a YAML file (see config/roster.example.yaml)`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`roster: failed to start: ${startFailure(error)}\n`);
  process.exit(1);
});

/**
 * A full garbage collection after every sync run, when node runs with `--expose-gc` (as `npm start`
 * and the systemd unit run it). A run reads the whole directory and the whole target (at 10,000
 * users x 50 groups, some 100 MB that live as long as the run) and drops it all at the end; left
 * to its heuristics, V8 lets such garbage pile up to several times the live heap before it
 * collects, and keeps the memory it grew (RSS 550 MB for a 60 MB live heap). Collected after each
 * run, with a small young generation (`--max-semi-space-size=4`), the heap stays near its live
 * size: `npm run bench -- soak` measures it. The pause is that of one full collection of the live
 * heap (tens of milliseconds at that size), once per run.
 */
function collectAfterRuns(roster: Roster): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return () => undefined;
  roster.reconciler.on('sync:finished', (run) => {
    if (run.status !== 'busy') setImmediate(gc);
  });
  return gc;
}

/** One line (the message, and its cause's), unless debugging: then every stack. */
function startFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (verbose) {
    const cause =
      error.cause instanceof Error ? `\ncaused by: ${error.cause.stack ?? error.cause.message}` : '';
    return `${error.stack ?? error.message}${cause}`;
  }
  const line = error.message.split('\n')[0];
  return `${line} (log.level debug shows the stack)`;
}

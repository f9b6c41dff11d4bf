import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, defaultConfigPaths, loadConfig } from './config/load.ts';
import { createLogger } from './logger.ts';
import { createRoster } from './app.ts';

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

/**
 * `npm run migrate [-- --config /etc/roster/roster.yaml]`: brings the directory database's schema
 * up to date without starting the daemon (the daemon also does it at every start), and makes sure
 * `root` exists. PostgreSQL: the SQL migrations; MongoDB: the indexes; the embedded PGlite: the SQL
 * migrations, with the daemon stopped (one process at a time may open it). pg-boss migrates its
 * own schema when the daemon starts.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../src/config/load.ts';
import { createLogger } from '../src/logger.ts';
import { bootstrap } from '../src/services/bootstrap.ts';
import { openDatabase } from '../src/store/orm.ts';

async function main() {
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' } } });
  const { config, file } = loadConfig({ path: values.config, env: process.env, cwd: process.cwd() });
  const logger = createLogger({ level: 'warn', pretty: process.stdout.isTTY === true });
  const db = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir, logger });
  try {
    const where = db.kind === 'embedded' ? `embedded PGlite in ${config.database.dataDir}` : db.kind;
    console.log(`config: ${file ?? 'none found (defaults and ROSTER_* environment)'}; database: ${where}`);
    const applied = await db.migrate();
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'the schema is up to date');
    await bootstrap(db.fork());
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => {
  console.error(
    `migrate: ${error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exit(1);
});

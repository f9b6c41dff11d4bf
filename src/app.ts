import type { Config } from './config/schema.ts';
import type { Logger } from './logger.ts';
import { createControlPlane, type ControlPlane, type HttpRoute } from './api/http.ts';
import type { ApiDeps } from './api/deps.ts';
import { createBoss } from './jobs/boss.ts';
import { createJobs, type Jobs } from './jobs/index.ts';
import { bootstrap } from './store/bootstrap.ts';
import { rebuildAutogroups } from './store/autogroups.ts';
import { openDatabase, type Database } from './store/orm.ts';
import { createReconciler, type Reconciler } from './sync/engine.ts';
import { createTargets } from './sync/targets.ts';
import type { PlatformTarget } from './sync/target.ts';
import { cleanupExpired } from './services/cleanup.ts';
import { version } from './version.ts';

export interface Roster {
  readonly db: Database;
  readonly reconciler: Reconciler;
  readonly jobs: Jobs;
  readonly controlPlane: ControlPlane;
  readonly targets: readonly PlatformTarget[];
  /** Where the control plane listens, once started. */
  url(): string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface RosterOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Extra HTTP routes (health, metrics, OAuth callbacks) put before tRPC. */
  readonly routes?: (roster: Omit<Roster, 'start' | 'stop'>) => HttpRoute[];
}

/**
 * Wires the parts: database -> targets -> reconciler -> jobs -> control plane. Nothing else;
 * start() and stop() are idempotent (a second call returns the first one's promise).
 */
export async function createRoster(options: RosterOptions): Promise<Roster> {
  const { config, logger } = options;
  const db = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir, logger });
  const configured = createTargets(config, logger);
  const targets: PlatformTarget[] = [...configured.teamspeak, ...configured.discord];
  const reconciler = createReconciler(db, targets, { ...config.sync }, logger.child({ area: 'sync' }));
  const jobsUrl = config.jobs.databaseUrl || (db.kind === 'postgresql' ? config.database.url : '');
  let jobsPglite = db.pglite;
  if (!jobsUrl && !jobsPglite) {
    // MongoDB directory without a jobs database: pg-boss gets an embedded PGlite of its own.
    const { PGlite } = await import('@electric-sql/pglite');
    jobsPglite = new PGlite(`${config.database.dataDir}/jobs-pglite`);
  }
  const boss = createBoss({ connectionString: jobsUrl, pglite: jobsPglite, schema: config.jobs.schema });
  const jobs = createJobs(
    boss,
    config,
    {
      sync: ({ platform, target, trigger }) => reconciler.run(platform, target, { trigger }),
      targets: () => targets.map((t) => ({ platform: t.platform, target: t.name })),
      affiliations: async () => logger.debug('ESI affiliation refresh is not configured yet'),
      esiRefresh: async () => logger.debug('ESI refresh is not configured yet'),
      autogroups: () => rebuildAutogroups(db.fork()),
      cleanup: () => cleanupExpired(db.fork()),
    },
    logger,
  );
  const deps: ApiDeps = {
    db,
    config,
    logger,
    reconciler,
    jobs: jobs.control,
    links: {
      async findTeamspeakClients(target, nickname) {
        const t = configured.teamspeak.find((x) => x.name === target);
        if (!t) return [];
        return t.findOnlineClientsByNickname(nickname);
      },
    },
    version,
    startedAt: new Date(),
  };
  const partial = { db, reconciler, jobs, targets, url: () => controlPlane.url(), controlPlane: undefined as unknown as ControlPlane };
  const controlPlane = createControlPlane(deps, options.routes?.({ ...partial, controlPlane: undefined as unknown as ControlPlane }) ?? []);

  let starting: Promise<void> | null = null;
  let stopping: Promise<void> | null = null;
  return {
    db,
    reconciler,
    jobs,
    controlPlane,
    targets,
    url: () => controlPlane.url(),
    start() {
      starting ??= (async () => {
        const applied = await db.migrate();
        if (applied.length) logger.info({ migrations: applied }, 'database migrated');
        await bootstrap(db.fork());
        await rebuildAutogroups(db.fork());
        await Promise.all(targets.map((t) => t.start()));
        await jobs.start();
        await controlPlane.start();
      })();
      return starting;
    },
    stop() {
      stopping ??= (async () => {
        await starting?.catch(() => undefined);
        await controlPlane.stop();
        await jobs.stop();
        await Promise.all(targets.map((t) => t.stop()));
        if (jobsPglite && jobsPglite !== db.pglite) await jobsPglite.close();
        await db.close();
      })();
      return stopping;
    },
  };
}

import type { Config } from './config/schema.ts';
import type { Logger } from './logger.ts';
import { createControlPlane, type ControlPlane } from './api/http.ts';
import { observabilityRoutes, procedureNames } from './api/observability.ts';
import { createMetrics, type Metrics } from './metrics/metrics.ts';
import type { ApiDeps } from './api/deps.ts';
import { createBoss } from './jobs/boss.ts';
import { createJobs, type Jobs } from './jobs/index.ts';
import { bootstrap } from './services/bootstrap.ts';
import { rebuildDerivedMembership } from './services/autogroups.ts';
import { openDatabase, type Database } from './store/orm.ts';
import { createReconciler, type Reconciler } from './sync/engine.ts';
import { deliverNotices } from './sync/notices.ts';
import { createTargets } from './sync/targets.ts';
import type { PlatformTarget } from './sync/target.ts';
import { cleanupExpired } from './services/cleanup.ts';
import { createTeamspeakLinkPoller } from './services/links/teamspeak-poller.ts';
import { discordLinkRoutes } from './api/discord-routes.ts';
import { createDirectory } from './directory/index.ts';
import { ssoCallbackRoute } from './api/sso-callback.ts';
import { createAuthLimiter } from './services/auth/rate-limit.ts';
import { portalRoutes } from './web/routes.ts';
import { version } from './version.ts';
import { createNotifier } from './services/notifier.ts';
import { linkPorts } from './domain/link-ports.ts';

export interface Roster {
  readonly db: Database;
  readonly reconciler: Reconciler;
  readonly jobs: Jobs;
  readonly controlPlane: ControlPlane;
  /** This daemon's Prometheus registry (served at /metrics). */
  readonly metrics: Metrics;
  readonly targets: readonly PlatformTarget[];
  /** Where the control plane listens, once started. */
  url(): string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface RosterOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** This daemon's name in leases and sync runs (main.ts: host and pid); default a random id. */
  readonly instanceId?: string;
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
  const reconciler = createReconciler(
    db,
    targets,
    {
      ...config.sync,
      leaseTtlMs: config.sync.leaseTtlSeconds * 1000,
      ...(options.instanceId ? { instanceId: options.instanceId } : {}),
    },
    logger.child({ area: 'sync' }),
  );
  const jobsUrl = config.jobs.databaseUrl || (db.kind === 'postgresql' ? config.database.url : '');
  let jobsPglite = db.pglite;
  if (!jobsUrl && !jobsPglite) {
    // MongoDB directory without a jobs database: pg-boss gets an embedded PGlite of its own.
    const { PGlite } = await import('@electric-sql/pglite');
    jobsPglite = new PGlite(`${config.database.dataDir}/jobs-pglite`);
  }
  const boss = createBoss({
    connectionString: jobsUrl,
    pglite: jobsPglite,
    schema: config.jobs.schema,
    // The supervisor fails a dead worker's jobs (no heartbeat for heartbeatSeconds) on its next pass.
    superviseSeconds: Math.max(5, Math.floor(config.jobs.heartbeatSeconds / 2)),
  });
  // Whom every use case tells what its change causes: the jobs, once they exist (built below).
  const notifier = createNotifier({
    requestSync: (...request) => jobs.control.requestSync(...request),
    requestRebuild: (...request) => jobs.control.requestRebuild(...request),
  });
  // ESI refresh jobs, EVE SSO login, ESI facts for the control plane; a login asks for a sync.
  const directory = createDirectory({
    db,
    config,
    logger,
    notifier,
  });
  const jobs = createJobs(
    boss,
    config,
    {
      sync: async ({ platform, target, trigger }, scope) => {
        const run = await reconciler.run(platform, target, { trigger, ...(scope ? { scope } : {}) });
        // Notices before removal go out after each run of the target (a TeamSpeak member offline now
        // is tried at the next one).
        const on = targets.filter((t) => t.platform === platform && t.name === target);
        await deliverNotices(db.fork(), on, logger).catch((error: unknown) =>
          logger.warn({ err: error, platform, target }, 'notices not delivered'),
        );
        return run;
      },
      targets: () => targets.map((t) => ({ platform: t.platform, target: t.name })),
      affiliations: () => directory.jobs.affiliations(),
      esiRefresh: () => directory.jobs.esiRefresh(),
      autogroups: () => rebuildDerivedMembership(db.fork(), logger),
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
    notifier,
    // The adapters are the link ports; the link flows ask for them by target name.
    links: linkPorts(configured),
    directoryEsi: directory.facts,
    sso: directory.sso,
    loginStarts: createAuthLimiter(config.controlPlane.maxLoginStartsPerMinute),
    version,
    startedAt: new Date(),
  };
  const metrics = createMetrics({
    reconciler,
    targets,
    jobs: jobs.control,
    version,
    procedures: procedureNames,
    esi: directory.esi,
  });
  const probes = observabilityRoutes({
    db,
    jobs: jobs.control,
    targets,
    version,
    startedAt: deps.startedAt,
    metrics,
  });
  // The member portal answers browsers; the API routes behind it keep JSON for API clients.
  const [portal, portalNotFound] = portalRoutes({
    db,
    config,
    logger,
    links: deps.links,
    login: directory.login,
    notifier,
    loginStarts: deps.loginStarts,
  });
  const controlPlane = createControlPlane(
    deps,
    [...probes, portal!, ...discordLinkRoutes(deps), ssoCallbackRoute(directory.login), portalNotFound!],
    { onRequest: (info) => metrics.observeRequest(info) },
  );

  const linkPoller = createTeamspeakLinkPoller({
    db,
    links: deps.links,
    intervalMs: config.teamspeak.targets.length ? config.teamspeak.linkPollSeconds * 1000 : 0,
    logger,
    notifier,
  });

  let starting: Promise<void> | null = null;
  let stopping: Promise<void> | null = null;
  return {
    db,
    reconciler,
    jobs,
    controlPlane,
    metrics,
    targets,
    url: () => controlPlane.url(),
    start() {
      starting ??= (async () => {
        const applied = await db.migrate();
        if (applied.length) logger.info({ migrations: applied }, 'database migrated');
        await bootstrap(db.fork());
        await rebuildDerivedMembership(db.fork(), logger);
        // Runs a killed daemon left `running` are closed now if its leases have lapsed, else by the
        // run that takes its target over.
        await reconciler.closeAbandoned();
        await Promise.all(targets.map((t) => t.start()));
        await jobs.start();
        await controlPlane.start();
        linkPoller.start();
      })();
      return starting;
    },
    stop() {
      stopping ??= (async () => {
        await starting?.catch(() => undefined);
        await linkPoller.stop();
        await controlPlane.stop();
        await jobs.stop();
        await Promise.all(targets.map((t) => t.stop()));
        // A run that outlasted the jobs' shutdown bound now fails fast on its stopped target; let it
        // record itself and release its lease, or the next daemon could not sync that target until
        // the lease expires.
        await reconciler.idle(5_000);
        if (jobsPglite && jobsPglite !== db.pglite) await jobsPglite.close();
        await db.close();
      })();
      return stopping;
    },
  };
}

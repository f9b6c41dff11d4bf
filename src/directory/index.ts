/**
 * The directory-keeping half of the daemon, built from the configuration: one ESI client (one
 * error-limit budget, one cache) shared by the refresh jobs, the SSO login and the control plane.
 */
import type { EntityManager } from '@mikro-orm/core';
import type { Config } from '../config/schema.ts';
import type { EsiClient } from '../esi/client.ts';
import { EsiNotFoundError } from '../esi/errors.ts';
import type { SsoClient } from '../esi/sso.ts';
import type { Logger } from '../logger.ts';
import type { DirectoryEsi } from '../services/directory-esi.ts';
import type { Notifier } from '../services/notifier.ts';
import { usersScope } from '../sync/scope.ts';
import { resolveCharacters } from './characters.ts';
import { esiClientFromConfig, ssoClientFromConfig } from './clients.ts';
import { createDirectoryJobs, type DirectoryJobs } from './jobs.ts';
import { createSsoLogin, loginSettingsOf, type SsoLogin } from '../services/auth/sso-login.ts';
import { applyCorporationRefresh, readCorporationRefresh } from './corporations.ts';
import { applyAllianceMembers, readAllianceMembers } from './members.ts';
import type { FailureCounts } from './records.ts';
import { Alliance, Corporation } from '../store/entities/index.ts';
import { createLogger } from '../logger.ts';

const silentLogger = createLogger({ level: 'silent' });

export interface DirectoryOptions {
  readonly db: { fork(): EntityManager };
  readonly config: Config;
  readonly logger: Logger;
  /** Told after a login changed the directory (new user, corporation, guest). */
  readonly notifier?: Notifier;
}

export interface Directory {
  readonly esi: EsiClient;
  readonly sso: SsoClient | null;
  readonly jobs: DirectoryJobs;
  /** Null when EVE SSO is not configured. */
  readonly login: SsoLogin | null;
  /** ESI facts for the control plane's `corporation.track` / `alliance.track` (null: EVE knows no such id). */
  readonly facts: DirectoryEsi;
}

const nullIfNotFound = <T>(work: Promise<T>): Promise<T | null> =>
  work.catch((error: unknown) => {
    if (error instanceof EsiNotFoundError) return null;
    throw error;
  });

export function createDirectory(options: DirectoryOptions): Directory {
  const { db, config } = options;
  const logger = options.logger.child({ area: 'directory' });
  const esi = esiClientFromConfig(config, logger);
  const sso = ssoClientFromConfig(config, logger);
  const jobs = createDirectoryJobs({ db, config, logger, esi, sso });
  const login = sso
    ? createSsoLogin({
        db,
        sso,
        esi,
        settings: loginSettingsOf(config),
        logger,
        afterLogin: async (login) => {
          // The user who logged in (a new corporation, a new link of scopes), and whoever the
          // rebuild moves.
          await options.notifier?.directoryChanged('sso.login', usersScope([login.user.id]));
        },
      })
    : null;
  if (!sso)
    logger.info(
      'EVE SSO login is disabled (set sso.clientId, sso.clientSecret and sso.callbackUrl to enable it)',
    );
  return {
    esi,
    sso,
    jobs,
    login,
    facts: directoryEsiOf(esi, logger),
  };
}

/** The control plane's view of ESI (see DirectoryEsi), over one client. */
export function directoryEsiOf(esi: EsiClient, logger: Logger = silentLogger): DirectoryEsi {
  const fresh = { fresh: true };
  const unread = (r: FailureCounts) => r.notFound + r.transientFailures + r.failed;
  return {
    // What an operator tracks is asked of ESI, not of the local cache: a ticker changed an hour
    // ago is the ticker recorded now.
    async fetchCorporation(corporationId) {
      const c = await nullIfNotFound(esi.getCorporation(corporationId, fresh));
      return (
        c && { name: c.name, ticker: c.ticker, ceoCharacterId: c.ceoCharacterId, allianceId: c.allianceId }
      );
    },
    async fetchAlliance(allianceId) {
      const a = await nullIfNotFound(esi.getAlliance(allianceId, fresh));
      return a && { name: a.name, ticker: a.ticker, executorCorporationId: a.executorCorporationId };
    },
    async fetchCorporationRefresh(em, corporationId) {
      const fetched = await readCorporationRefresh(em, esi, logger, {
        corporationIds: [corporationId],
        allianceIds: [],
        fresh: true,
      });
      return {
        async apply(tx) {
          const r = await applyCorporationRefresh(tx, fetched, logger);
          return { changed: r.changed, corporationsLeft: 0, corporationsJoined: 0, unread: unread(r) };
        },
      };
    },
    async fetchAllianceRefresh(em, allianceId) {
      const alliance = await em.findOne(Alliance, { allianceId });
      const members = await em.find(Corporation, { allianceId }, { fields: ['corporationId'] });
      const ids = members.map((c) => c.corporationId);
      const fetched = await readCorporationRefresh(em.fork(), esi, logger, {
        corporationIds: ids,
        allianceIds: [allianceId],
        fresh: true,
      });
      // A tracked alliance's corporations are tracked records: its fresh list adds the new ones.
      // What the refresh just read of its corporations is not asked again.
      const listed = alliance?.tracked
        ? await readAllianceMembers(
            em.fork(),
            esi,
            logger,
            { allianceIds: [allianceId], fresh: true },
            new Map([...fetched.corporations, ...fetched.executors]),
          )
        : null;
      return {
        async apply(tx) {
          const r = await applyCorporationRefresh(tx, fetched, logger);
          const joined = listed ? await applyAllianceMembers(tx, listed, logger) : null;
          const still = await tx.count(Corporation, { corporationId: { $in: ids }, allianceId });
          return {
            changed: r.changed,
            corporationsLeft: ids.length - still,
            corporationsJoined: joined ? joined.corporationsCreated + joined.corporationsUpdated : 0,
            unread: unread(r) + (joined ? unread(joined) : 0),
          };
        },
      };
    },
    resolveCharacters: (input) => resolveCharacters(esi, input),
  };
}

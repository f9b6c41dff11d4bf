/**
 * The directory's job handlers: what the `esi.affiliations` and `esi.refresh` queues run.
 * A transient ESI failure is reported as an error after everything else was done, so pg-boss
 * retries the job with backoff; an ESI refusal that retrying cannot fix is a PermanentJobError.
 */
import type { EntityManager } from '@mikro-orm/core';
import type { Config } from '../config/schema.ts';
import type { EsiClient } from '../esi/client.ts';
import { EsiError } from '../esi/errors.ts';
import type { SsoClient } from '../esi/sso.ts';
import { PermanentJobError } from '../services/job-control.ts';
import type { Logger } from '../logger.ts';
import { createAccessTokens, type AccessTokens } from './access-tokens.ts';
import { refreshAffiliations, type AffiliationRefresh } from './affiliations.ts';
import { refreshCorporationsAndAlliances, type CorporationRefresh } from './corporations.ts';
import {
  ensureAllianceMembers,
  ensureCorporationMembers,
  type AllianceMembersResult,
  type CorporationMembersResult,
} from './members.ts';

/** Some ESI reads failed transiently; what could be read was saved. The job is retried. */
export class IncompleteRefreshError extends Error {
  override readonly name = 'IncompleteRefreshError';
}

export interface DirectoryJobsOptions {
  readonly db: { fork(): EntityManager };
  readonly config: Config;
  readonly logger: Logger;
  /** The daemon's one ESI client and one SSO client, built by createDirectory (null: no director tokens). */
  readonly esi: EsiClient;
  readonly sso: SsoClient | null;
}

export interface DirectoryJobs {
  readonly esi: EsiClient;
  /** Null when EVE SSO or `sso.encryptionKey` is not configured. */
  readonly accessTokens: AccessTokens | null;
  affiliations(): Promise<AffiliationRefresh>;
  esiRefresh(): Promise<{
    corporations: CorporationRefresh;
    allianceMembers: AllianceMembersResult;
    corporationMembers: CorporationMembersResult;
  }>;
}

export function createDirectoryJobs(options: DirectoryJobsOptions): DirectoryJobs {
  const { db, config } = options;
  const logger = options.logger.child({ area: 'directory' });
  const { esi, sso } = options;
  const accessTokens =
    sso && config.sso.encryptionKey
      ? createAccessTokens({ sso, encryptionKey: config.sso.encryptionKey, logger })
      : null;

  return {
    esi,
    accessTokens,
    async affiliations() {
      const result = await permanentUnlessTransient(() => refreshAffiliations(db.fork(), esi, logger));
      throwIfIncomplete('affiliation refresh', result.transientFailures);
      return result;
    },
    async esiRefresh() {
      const corporations = await permanentUnlessTransient(() =>
        refreshCorporationsAndAlliances(db.fork(), esi, logger),
      );
      const allianceMembers = await permanentUnlessTransient(() =>
        ensureAllianceMembers(db.fork(), esi, logger),
      );
      const corporationMembers = await permanentUnlessTransient(() =>
        ensureCorporationMembers(db.fork(), esi, accessTokens, logger),
      );
      throwIfIncomplete(
        'ESI refresh',
        corporations.transientFailures +
          allianceMembers.transientFailures +
          corporationMembers.transientFailures,
      );
      return { corporations, allianceMembers, corporationMembers };
    },
  };
}

async function permanentUnlessTransient<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof EsiError && !error.transient)
      throw new PermanentJobError(error.message, { cause: error });
    throw error;
  }
}

function throwIfIncomplete(what: string, transientFailures: number): void {
  if (transientFailures > 0) {
    throw new IncompleteRefreshError(
      `${what}: ${transientFailures} ESI read(s) failed transiently; what was read is saved, the rest is retried`,
    );
  }
}

import type { Config } from '../config/schema.ts';
import type { SsoClient } from '../esi/sso.ts';
import type { AuthLimiter } from '../services/auth/rate-limit.ts';
import type { Logger } from '../logger.ts';
import type { Database } from '../store/orm.ts';
import type { Reconciler } from '../sync/engine.ts';
import type { JobControl } from '../services/job-control.ts';
import type { Notifier } from '../services/notifier.ts';
import type { DirectoryEsi } from '../services/directory-esi.ts';
import type { LinkPorts } from '../domain/link-ports.ts';

export type { DirectoryEsi, JobControl };

export interface ApiDeps {
  /**
   * The daemon's one EVE SSO client, built by the wiring (null when SSO is not configured: logins
   * are refused as a precondition), and the one limiter of login starts per address, shared with
   * the portal's login button.
   */
  readonly sso: SsoClient | null;
  readonly loginStarts: AuthLimiter;
  readonly db: Database;
  readonly config: Config;
  readonly logger: Logger;
  readonly reconciler: Reconciler;
  readonly jobs: JobControl;
  /** Whom use cases tell what their changes cause (services/notifier.ts over `jobs`), built once. */
  readonly notifier: Notifier;
  /** The platform adapters' link ports by target name (domain/link-ports.ts), without api/ importing them. */
  readonly links: LinkPorts;
  /** Absent when ESI is not wired (tests, offline): see DirectoryEsi. */
  readonly directoryEsi?: DirectoryEsi;
  readonly version: string;
  readonly startedAt: Date;
}

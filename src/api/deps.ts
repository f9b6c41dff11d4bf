import type { Config } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import type { Database } from '../store/orm.ts';
import type { Reconciler } from '../sync/engine.ts';
import type { DirectoryScope } from '../sync/scope.ts';
import type { Platform } from '../sync/target.ts';
import type { DirectoryEsi } from '../services/directory-esi.ts';
import type { LinkPlatformFunctions } from '../services/links/platforms.ts';

/** What the control plane asks of the job system; api/ never imports jobs/ itself. */
export interface JobControl {
  /**
   * Asks for a sync of every target of the platform (or of one target), starting at once or
   * merged into the run that follows the one in progress. With a scope, that run observes and
   * fixes only what the change touched; without one, everything.
   */
  requestSync(
    platform: Platform,
    target: string | null,
    trigger: string,
    scope?: DirectoryScope,
  ): Promise<void>;
  list(): Promise<
    {
      name: string;
      queued: number;
      active: number;
      failed: number;
      deadLettered: number;
      schedule: string | null;
    }[]
  >;
  trigger(name: string, data?: Record<string, unknown>): Promise<string | null>;
  ready(): Promise<boolean>;
}

/** What the link flows need from the platform adapters, without api/ importing them (see services/links/platforms.ts). */
export type LinkPlatforms = LinkPlatformFunctions;

export type { DirectoryEsi };

export interface ApiDeps {
  readonly db: Database;
  readonly config: Config;
  readonly logger: Logger;
  readonly reconciler: Reconciler;
  readonly jobs: JobControl;
  readonly links: LinkPlatforms;
  /** Absent when ESI is not wired (tests, offline): see DirectoryEsi. */
  readonly directoryEsi?: DirectoryEsi;
  readonly version: string;
  readonly startedAt: Date;
}

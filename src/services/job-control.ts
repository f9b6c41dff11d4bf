import type { DirectoryScope } from '../sync/scope.ts';
import type { Platform } from '../sync/target.ts';

/**
 * What the application asks of the job system. Defined here and implemented by src/jobs, so
 * use cases, the control plane and metrics never import the job system itself.
 */
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
  /**
   * Asks for a rebuild of derived membership (autogroups, rule-built groups, expiry), then a sync
   * of every target scoped to what the rebuild moved and to `scope` (what the change itself
   * named). Level-triggered and debounced like syncs: the rebuild reads the whole directory, so
   * the one that starts next covers every request made before it; a burst costs one rebuild now
   * and one after it. A rebuild that renamed or removed a group asks for full runs.
   */
  requestRebuild(trigger: string, scope?: DirectoryScope): Promise<void>;
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

/** A failure that retrying cannot fix (bad input, missing configuration): dead-lettered at once. */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}

import { emptyScope, mergeScopes, type DirectoryScope } from '../sync/scope.ts';
import type { Platform } from '../sync/target.ts';
import type { JobControl } from './job-control.ts';

/**
 * How a use case tells the rest of the daemon what it changed, after its transaction committed.
 * The one place that says which changes need derived membership rebuilt before the targets sync:
 * the control plane, the portal and the SSO login all go through it.
 */
export interface Notifier {
  /** Platform membership may have changed: every target syncs; with a scope, only what it names. */
  membershipChanged(trigger: string, scope?: DirectoryScope): Promise<void>;
  /**
   * What one platform (every target of it, when `target` is null) must show changed: a mapping,
   * a link or an unlink there.
   */
  targetChanged(
    platform: Platform,
    target: string | null,
    trigger: string,
    scope?: DirectoryScope,
  ): Promise<void>;
  /**
   * Login flags, levels or affiliations changed: autogroups and rule-built groups are rebuilt (a
   * job: JobControl.requestRebuild), then every target syncs, scoped to the users the rebuild
   * moved and to `scope` (what the change itself names).
   */
  directoryChanged(trigger: string, scope?: DirectoryScope): Promise<void>;
}

export function createNotifier(jobs: Pick<JobControl, 'requestSync' | 'requestRebuild'>): Notifier {
  return {
    async membershipChanged(trigger, scope) {
      await Promise.all([
        jobs.requestSync('teamspeak', null, trigger, scope),
        jobs.requestSync('discord', null, trigger, scope),
      ]);
    },
    targetChanged: (platform, target, trigger, scope) => jobs.requestSync(platform, target, trigger, scope),
    directoryChanged: (trigger, scope) => jobs.requestRebuild(trigger, scope),
  };
}

/**
 * What the targets sync after a rebuild: what it moved (null: it renamed or removed a group, so
 * everything) and what the changes that asked for it named.
 */
export function syncScopeAfterRebuild(
  rebuilt: DirectoryScope | null,
  asked: DirectoryScope | undefined,
): DirectoryScope | null {
  return rebuilt ? mergeScopes(rebuilt, asked ?? emptyScope) : null;
}

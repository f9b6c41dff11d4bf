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

/** Which request a forgiving notifier could not make. */
export interface FailedNotice {
  readonly trigger: string;
  /** The target it named; null for every target (or a rebuild). */
  readonly target: string | null;
}

/**
 * A notifier that reports a request it could not make to `failed` instead of throwing: for a
 * caller whose change stands whatever becomes of its sync (a link made by the Discord callback or
 * by the periodic check), so the person still learns it worked and the scheduled run catches up.
 */
export function forgivingNotifier(
  notifier: Notifier,
  failed: (error: unknown, notice: FailedNotice) => void,
): Notifier {
  const forgive = async (notice: FailedNotice, request: () => Promise<void>) => {
    try {
      await request();
    } catch (error) {
      failed(error, notice);
    }
  };
  return {
    membershipChanged: (trigger, scope) =>
      forgive({ trigger, target: null }, () => notifier.membershipChanged(trigger, scope)),
    targetChanged: (platform, target, trigger, scope) =>
      forgive({ trigger, target }, () => notifier.targetChanged(platform, target, trigger, scope)),
    directoryChanged: (trigger, scope) =>
      forgive({ trigger, target: null }, () => notifier.directoryChanged(trigger, scope)),
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

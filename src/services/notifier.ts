import type { EntityManager } from '@mikro-orm/core';
import { emptyScope, mergeScopes, rebuildScope, type DirectoryScope } from '../sync/scope.ts';
import { rebuildAutogroups } from './autogroups.ts';
import type { JobControl } from './job-control.ts';

/**
 * How a use case tells the rest of the daemon what it changed, after its transaction committed.
 * The one place that says "rebuild derived membership, then sync every target": the control
 * plane, the portal and the SSO login all go through it.
 */
export interface Notifier {
  /** Platform membership may have changed: every target syncs; with a scope, only what it names. */
  membershipChanged(trigger: string, scope?: DirectoryScope): Promise<void>;
  /**
   * Login flags, levels or affiliations changed: autogroups and rule-built groups are rebuilt now,
   * then every target syncs, scoped to the users the rebuild moved and to `scope` (what the change
   * itself names). A rebuild that renamed or removed a group asks for full runs.
   */
  directoryChanged(trigger: string, scope?: DirectoryScope): Promise<void>;
}

export function createNotifier(
  db: { fork(): EntityManager },
  jobs: Pick<JobControl, 'requestSync'>,
): Notifier {
  const membershipChanged = async (trigger: string, scope?: DirectoryScope) => {
    await Promise.all([
      jobs.requestSync('teamspeak', null, trigger, scope),
      jobs.requestSync('discord', null, trigger, scope),
    ]);
  };
  return {
    membershipChanged,
    async directoryChanged(trigger, scope = emptyScope) {
      const rebuilt = rebuildScope(await rebuildAutogroups(db.fork()));
      await membershipChanged(trigger, rebuilt ? mergeScopes(rebuilt, scope) : undefined);
    },
  };
}

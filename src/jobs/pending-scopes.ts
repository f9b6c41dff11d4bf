import { mergeScopes, type DirectoryScope } from '../sync/scope.ts';

/** What the next run of a target owes: a merged scope, or everything (`'full'`). */
export type Pending = DirectoryScope | 'full';

/**
 * The scopes of changes asked for on this daemon and not yet run, merged per target. The sync
 * queue keeps one queued job per target and drops the sends that find it there, so the scope of
 * a burst cannot travel in the job: it waits here, and the run that starts next takes all of it.
 * A job from another daemon (whose scopes are not here) runs full, which covers everything.
 */
export interface PendingScopes {
  add(key: string, pending: Pending): void;
  /** Everything owed to the key, now cleared; undefined when nothing is owed. */
  take(key: string): Pending | undefined;
  /** Gives back what a run took and did not finish, merged with what arrived since. */
  restore(key: string, pending: Pending): void;
}

export function createPendingScopes(): PendingScopes {
  const owed = new Map<string, Pending>();
  const add = (key: string, pending: Pending) => {
    const before = owed.get(key);
    owed.set(
      key,
      before === undefined
        ? pending
        : before === 'full' || pending === 'full'
          ? 'full'
          : mergeScopes(before, pending),
    );
  };
  return {
    add,
    take(key) {
      const pending = owed.get(key);
      owed.delete(key);
      return pending;
    },
    restore: add,
  };
}

import type { ChangeAuthor, UseCaseContext } from '../services/use-case.ts';
import type { WebDeps } from './deps.ts';
import type { SignedIn } from './request.ts';

/** Who the portal's use cases audit as the author: the signed-in pilot (a page has no request id). */
const authorOf = (me: SignedIn): ChangeAuthor => ({ actorId: me.user.id, requestId: null });

/** What a portal page calls its use cases with: the database, the pilot as author, the notifier. */
export const useCaseOf = (deps: WebDeps, me: SignedIn): UseCaseContext => ({
  db: deps.db,
  author: authorOf(me),
  notifier: deps.notifier,
});

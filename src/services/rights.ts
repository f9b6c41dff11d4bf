import { may, type Actor, type Scope, type ScopeTarget } from '../domain/index.ts';
import { ForbiddenError } from '../domain/errors.ts';

/**
 * Throws ForbiddenError unless the actor holds the scope over the target: the one wording of a
 * refused scope, for the control plane's middleware and the use cases that check after a lookup.
 */
export function requireMay(actor: Actor, scope: Scope, target?: ScopeTarget): void {
  if (!may(actor, scope, target))
    throw new ForbiddenError(`clearance ${actor.clearanceLevel} does not grant "${scope}" here`);
}

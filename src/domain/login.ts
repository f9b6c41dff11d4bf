import { allianceIdOf, coalitionsOf } from './affiliation.ts';
import { ROOT_CHARACTER_ID, type Directory, type UserFacts } from './types.ts';

export type LoginDecision =
  | { readonly allowed: true; readonly reason: 'root' | 'allowed' }
  | { readonly allowed: false; readonly reason: 'denied' | 'not-authorized'; readonly by?: string };

/**
 * The login cascade: any explicit false on the user, its corporation, alliance, coalitions or
 * (manual) groups denies; otherwise any true allows; all null denies. Root is always allowed.
 * Autogroups carry no flag of their own: they are derived from the very things checked here.
 */
export function loginDecision(user: UserFacts, dir: Directory): LoginDecision {
  if (user.characterId === ROOT_CHARACTER_ID) return { allowed: true, reason: 'root' };
  // Runs for every user on every sync: labels are only built for the one flag that denies.
  let allowed = false;
  const check = (value: boolean | null, by: () => string): LoginDecision | null => {
    if (value === false) return { allowed: false, reason: 'denied', by: by() };
    if (value === true) allowed = true;
    return null;
  };
  let denial = check(user.authorizedToLogin, () => 'user');
  if (denial) return denial;
  const corporation = user.corporationId === null ? undefined : dir.corporations.get(user.corporationId);
  if (
    corporation &&
    (denial = check(corporation.authorizedToLogin, () => `corporation ${corporation.ticker}`))
  )
    return denial;
  const allianceId = allianceIdOf(user.corporationId, dir);
  const alliance = allianceId === null ? undefined : dir.alliances.get(allianceId);
  if (alliance && (denial = check(alliance.authorizedToLogin, () => `alliance ${alliance.ticker}`)))
    return denial;
  for (const coalition of coalitionsOf(user.corporationId, allianceId, dir.coalitions)) {
    if ((denial = check(coalition.authorizedToLogin, () => `coalition ${coalition.name}`))) return denial;
  }
  for (const groupId of dir.groupsOfUser.get(user.id) ?? []) {
    const group = dir.groups.get(groupId);
    if (group?.kind === 'manual' && (denial = check(group.authorizedToLogin, () => `group ${group.name}`)))
      return denial;
  }
  return allowed ? { allowed: true, reason: 'allowed' } : { allowed: false, reason: 'not-authorized' };
}

export const mayLogin = (user: UserFacts, dir: Directory): boolean => loginDecision(user, dir).allowed;

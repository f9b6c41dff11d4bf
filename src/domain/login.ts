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
  const flags: { by: string; value: boolean | null }[] = [{ by: 'user', value: user.authorizedToLogin }];
  const corporation = user.corporationId === null ? undefined : dir.corporations.get(user.corporationId);
  if (corporation) flags.push({ by: `corporation ${corporation.ticker}`, value: corporation.authorizedToLogin });
  const allianceId = allianceIdOf(user.corporationId, dir);
  const alliance = allianceId === null ? undefined : dir.alliances.get(allianceId);
  if (alliance) flags.push({ by: `alliance ${alliance.ticker}`, value: alliance.authorizedToLogin });
  for (const coalition of coalitionsOf(user.corporationId, allianceId, dir.coalitions)) {
    flags.push({ by: `coalition ${coalition.name}`, value: coalition.authorizedToLogin });
  }
  for (const groupId of dir.groupsOfUser.get(user.id) ?? []) {
    const group = dir.groups.get(groupId);
    if (group?.kind === 'manual') flags.push({ by: `group ${group.name}`, value: group.authorizedToLogin });
  }
  const denial = flags.find((f) => f.value === false);
  if (denial) return { allowed: false, reason: 'denied', by: denial.by };
  if (flags.some((f) => f.value === true)) return { allowed: true, reason: 'allowed' };
  return { allowed: false, reason: 'not-authorized' };
}

export const mayLogin = (user: UserFacts, dir: Directory): boolean => loginDecision(user, dir).allowed;

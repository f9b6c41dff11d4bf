import { GUEST, type AllianceFacts, type CorporationFacts, type UserFacts } from './types.ts';

/** What marks a guest's name (first, so that a platform's length limit never cuts it off). */
export const GUEST_NAME_MARK = '(guest)';

/**
 * `[ALLIANCE] Name`, else `[CORP] Name`, else `Name`. A guest's corporation is the host's, whose
 * ticker would pass for membership: a guest is `(guest) Name` instead.
 */
export function tickeredName(
  user: Pick<UserFacts, 'characterName' | 'clearanceLevel'>,
  corporation: Pick<CorporationFacts, 'ticker'> | undefined,
  alliance: Pick<AllianceFacts, 'ticker'> | undefined,
): string {
  const { characterName } = user;
  if (user.clearanceLevel <= GUEST) return `${GUEST_NAME_MARK} ${characterName}`;
  const ticker = alliance?.ticker ?? corporation?.ticker;
  return ticker ? `[${ticker}] ${characterName}` : characterName;
}

/** Cuts a name to `max` characters (code points, not UTF-16 units), ending with "…" when cut. */
export function truncateName(name: string, max: number): string {
  const chars = [...name.trim()];
  if (chars.length <= max) return chars.join('');
  return `${chars
    .slice(0, max - 1)
    .join('')
    .trimEnd()}…`;
}

/**
 * Truncates every name to `max` and keeps them unique, predictably: names are handled in the
 * order of their keys; a clash gets " 2", " 3", ... with the base cut further to fit. The same
 * input always yields the same output, so a platform group keeps its name from run to run.
 */
export function uniqueTruncatedNames(
  entries: readonly { key: string; name: string }[],
  max: number,
): Map<string, string> {
  const sorted = [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const taken = new Set<string>();
  const result = new Map<string, string>();
  for (const { key, name } of sorted) {
    let candidate = truncateName(name, max);
    for (let n = 2; taken.has(candidate.toLowerCase()); n++) {
      const suffix = ` ${n}`;
      candidate = `${truncateName(name, max - suffix.length)}${suffix}`;
    }
    taken.add(candidate.toLowerCase());
    result.set(key, candidate);
  }
  return result;
}

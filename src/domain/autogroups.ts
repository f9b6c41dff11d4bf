import { allianceIdOf, coalitionsOf } from './affiliation.ts';
import { mayLogin } from './login.ts';
import { GUEST, SUPERUSER, type Directory } from './types.ts';

/**
 * Autogroups are derived, never edited: one per corporation, alliance and coalition (their
 * non-guest users) and three built-ins: superusers, members (non-guests who may log in) and guests
 * (guests who may log in), so that a "Member" role mapped to `members` never reaches a guest. Each has a stable key (what the store tracks it by) and a
 * name. Names of autogroups contain a colon or are one of the built-in names; manual group names
 * may contain neither, so the two can never collide.
 */
export const BUILTIN_SUPERUSERS = 'superusers';
export const BUILTIN_MEMBERS = 'members';
export const BUILTIN_GUESTS = 'guests';
export const reservedGroupNames: readonly string[] = [BUILTIN_SUPERUSERS, BUILTIN_MEMBERS, BUILTIN_GUESTS];

export interface AutogroupSpec {
  /** Stable identity: `corporation:<id>`, `alliance:<id>`, `coalition:<uuid>`, `builtin:<name>`. */
  readonly key: string;
  readonly name: string;
  readonly description: string;
  readonly memberIds: ReadonlySet<string>;
}

export function manualGroupNameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed.length === 0) return 'a group name cannot be empty';
  if (trimmed.length > 100) return 'a group name has at most 100 characters';
  if (trimmed.includes(':'))
    return 'a group name cannot contain ":" (reserved for autogroups such as corp:TICKER)';
  if (reservedGroupNames.includes(trimmed.toLowerCase()))
    return `"${trimmed}" is the name of a built-in group`;
  return null;
}

/** Every autogroup with its members, rebuilt from scratch from the directory. */
export function deriveAutogroups(dir: Directory): AutogroupSpec[] {
  const byKey = new Map<string, { name: string; description: string; memberIds: Set<string> }>();
  const ensure = (key: string, name: string, description: string) => {
    let spec = byKey.get(key);
    if (!spec) byKey.set(key, (spec = { name, description, memberIds: new Set() }));
    return spec;
  };
  for (const corp of dir.corporations.values()) {
    ensure(`corporation:${corp.corporationId}`, `corp:${corp.ticker}`, `Members of ${corp.name}`);
  }
  for (const alliance of dir.alliances.values()) {
    ensure(`alliance:${alliance.allianceId}`, `alliance:${alliance.ticker}`, `Members of ${alliance.name}`);
  }
  for (const coalition of dir.coalitions) {
    ensure(`coalition:${coalition.id}`, `coalition:${coalition.ticker}`, `Members of ${coalition.name}`);
  }
  const superusers = ensure(`builtin:${BUILTIN_SUPERUSERS}`, BUILTIN_SUPERUSERS, 'Users of clearance 10');
  const members = ensure(
    `builtin:${BUILTIN_MEMBERS}`,
    BUILTIN_MEMBERS,
    'Every member who may log in (no guests)',
  );
  const guests = ensure(`builtin:${BUILTIN_GUESTS}`, BUILTIN_GUESTS, 'Every guest who may log in');

  for (const user of dir.users.values()) {
    if (user.clearanceLevel >= SUPERUSER) superusers.memberIds.add(user.id);
    if (mayLogin(user, dir)) (user.clearanceLevel <= GUEST ? guests : members).memberIds.add(user.id);
    if (user.clearanceLevel <= GUEST || user.corporationId === null) continue;
    byKey.get(`corporation:${user.corporationId}`)?.memberIds.add(user.id);
    const allianceId = allianceIdOf(user.corporationId, dir);
    if (allianceId !== null) byKey.get(`alliance:${allianceId}`)?.memberIds.add(user.id);
    for (const coalition of coalitionsOf(user.corporationId, allianceId, dir.coalitions)) {
      byKey.get(`coalition:${coalition.id}`)?.memberIds.add(user.id);
    }
  }
  return withUniqueNames([...byKey].map(([key, spec]) => ({ key, ...spec })));
}

/** The id part of an autogroup key (`corporation:98000001` -> `98000001`). */
export const autogroupKeyId = (key: string) => key.slice(key.indexOf(':') + 1);

const byAge = (a: string, b: string) => {
  const [x, y] = [Number(autogroupKeyId(a)), Number(autogroupKeyId(b))];
  if (Number.isFinite(x) && Number.isFinite(y) && x !== y) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
};

/**
 * Group names are unique, tickers are not quite: EVE hands the ticker of a closed corporation to a
 * new one, and the directory may know both. The oldest source (lowest EVE id) keeps `corp:TICKER`;
 * the others become `corp:TICKER (id)`, the same on every rebuild.
 */
function withUniqueNames(specs: AutogroupSpec[]): AutogroupSpec[] {
  const byName = new Map<string, string[]>();
  for (const spec of specs) byName.set(spec.name, [...(byName.get(spec.name) ?? []), spec.key]);
  const renamed = new Map<string, string>();
  for (const [name, keys] of byName) {
    for (const key of [...keys].sort(byAge).slice(1)) renamed.set(key, `${name} (${autogroupKeyId(key)})`);
  }
  return renamed.size ? specs.map((s) => ({ ...s, name: renamed.get(s.key) ?? s.name })) : specs;
}

import { z } from 'zod';
import { allianceIdOf, coalitionsOf } from './affiliation.ts';
import { mayLogin } from './login.ts';
import { GUEST, SUPERUSER, type Directory, type UserFacts } from './types.ts';

/**
 * A membership rule: an expression over directory facts. Rule-built groups are rebuilt from one,
 * and a manual group's eligibility (who may join or ask) is one. Each clause is an object with
 * exactly one key, so a rule reads as JSON:
 *
 *   { "all": [ { "coalition": ["<id>"] }, { "clearance": { "min": 2 } }, { "not": { "guest": true } } ] }
 */
export type GroupRule =
  | { readonly corporation: readonly number[] }
  | { readonly alliance: readonly number[] }
  | { readonly coalition: readonly string[] }
  | { readonly clearance: { readonly min?: number | undefined; readonly max?: number | undefined } }
  | { readonly guest: boolean }
  | { readonly mayLogin: boolean }
  | { readonly memberOf: readonly string[] }
  | { readonly daysInCorporation: number }
  | { readonly all: readonly GroupRule[] }
  | { readonly any: readonly GroupRule[] }
  | { readonly not: GroupRule };

export type ClauseName = keyof UnionToRecord<GroupRule>;
type UnionToRecord<U> = { [K in U extends unknown ? keyof U : never]: true };

const eveIds = z.array(z.number().int().positive()).min(1).max(1000);
const ids = z.array(z.string().min(1).max(64)).min(1).max(1000);
const level = z.number().int().min(GUEST).max(SUPERUSER);

/** The value each leaf clause takes. Composite clauses (all, any, not) are walked by parseRule. */
const leafSchemas = {
  corporation: eveIds,
  alliance: eveIds,
  coalition: ids,
  clearance: z
    .strictObject({ min: level.optional(), max: level.optional() })
    .refine((c) => c.min !== undefined || c.max !== undefined, 'give min, max or both')
    .refine((c) => c.min === undefined || c.max === undefined || c.min <= c.max, 'min is above max'),
  guest: z.boolean(),
  mayLogin: z.boolean(),
  memberOf: ids,
  daysInCorporation: z.number().int().min(0).max(100_000),
} as const;

export const clauseNames: readonly ClauseName[] = [
  ...Object.keys(leafSchemas),
  'all',
  'any',
  'not',
] as ClauseName[];

/** Rules nest at most this deep, and hold at most this many clauses: a saved rule is evaluated for everyone on every rebuild. */
export const MAX_RULE_DEPTH = 8;
export const MAX_RULE_CLAUSES = 200;

export type RuleParse =
  | { readonly ok: true; readonly rule: GroupRule }
  | { readonly ok: false; readonly path: string; readonly problem: string };

/**
 * Validates a rule as given (JSON). A refusal names the clause by its path (`all[1].clearance`)
 * and says what is wrong with it, so a person can fix the one clause.
 */
export function parseRule(input: unknown): RuleParse {
  let clauses = 0;
  const walk = (value: unknown, path: string, depth: number): RuleParse => {
    const here = path || 'the rule';
    if (++clauses > MAX_RULE_CLAUSES)
      return { ok: false, path: here, problem: `a rule has at most ${MAX_RULE_CLAUSES} clauses` };
    if (depth > MAX_RULE_DEPTH)
      return { ok: false, path: here, problem: `a rule nests at most ${MAX_RULE_DEPTH} levels` };
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return {
        ok: false,
        path: here,
        problem: `a clause is an object with one key (${clauseNames.join(', ')})`,
      };
    const keys = Object.keys(value);
    if (keys.length !== 1)
      return {
        ok: false,
        path: here,
        problem: `a clause has exactly one key, this one has ${keys.length ? keys.join(', ') : 'none'}`,
      };
    const key = keys[0]!;
    const inner = (value as Record<string, unknown>)[key];
    const at = path ? `${path}.${key}` : key;
    if (key === 'all' || key === 'any') {
      if (!Array.isArray(inner) || inner.length === 0)
        return { ok: false, path: at, problem: `"${key}" takes a non-empty list of clauses` };
      const parts: GroupRule[] = [];
      for (const [i, part] of inner.entries()) {
        const parsed = walk(part, `${at}[${i}]`, depth + 1);
        if (!parsed.ok) return parsed;
        parts.push(parsed.rule);
      }
      return { ok: true, rule: key === 'all' ? { all: parts } : { any: parts } };
    }
    if (key === 'not') {
      const parsed = walk(inner, at, depth + 1);
      return parsed.ok ? { ok: true, rule: { not: parsed.rule } } : parsed;
    }
    if (!(key in leafSchemas))
      return { ok: false, path: here, problem: `unknown clause "${key}" (known: ${clauseNames.join(', ')})` };
    const result = leafSchemas[key as keyof typeof leafSchemas].safeParse(inner);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      const where = issue.path.length ? ` (${issue.path.join('.')})` : '';
      return { ok: false, path: at, problem: `${issue.message}${where}` };
    }
    return { ok: true, rule: { [key]: result.data } as GroupRule };
  };
  return walk(input, '', 0);
}

/** The group ids a rule reads (memberOf clauses), for reference checks and rebuild order. */
export function groupsReadBy(rule: GroupRule): Set<string> {
  const out = new Set<string>();
  const walk = (r: GroupRule): void => {
    if ('memberOf' in r) for (const id of r.memberOf) out.add(id);
    else if ('all' in r) r.all.forEach(walk);
    else if ('any' in r) r.any.forEach(walk);
    else if ('not' in r) walk(r.not);
  };
  walk(rule);
  return out;
}

/** The coalition ids a rule names, for reference checks when it is saved. */
export function coalitionsReadBy(rule: GroupRule): Set<string> {
  const out = new Set<string>();
  const walk = (r: GroupRule): void => {
    if ('coalition' in r) for (const id of r.coalition) out.add(id);
    else if ('all' in r) r.all.forEach(walk);
    else if ('any' in r) r.any.forEach(walk);
    else if ('not' in r) walk(r.not);
  };
  walk(rule);
  return out;
}

/** What a rule reads besides the directory: current memberships and the clock. */
export interface RuleFacts {
  readonly dir: Directory;
  /** Group ids each user belongs to; defaults to the directory's. */
  readonly groupsOfUser?: ReadonlyMap<string, ReadonlySet<string>>;
  readonly now: Date;
}

const DAY_MS = 86_400_000;

/** Whether the user matches the rule. */
export function matchesRule(rule: GroupRule, user: UserFacts, facts: RuleFacts): boolean {
  return failingClause(rule, user, facts) === null;
}

export interface FailedClause {
  /** Where the clause is in the rule: `all[1].clearance`, or `the rule` for the whole of it. */
  readonly path: string;
  /** Why the user fails it, for people: "clearance 1 is below 2". */
  readonly reason: string;
}

/**
 * The first clause the user fails, or null when the user matches. For `all` it is the failing
 * part; `any` and `not` fail as a whole (no single part is to blame), and the reason says why.
 */
export function failingClause(rule: GroupRule, user: UserFacts, facts: RuleFacts): FailedClause | null {
  const check = (r: GroupRule, path: string): FailedClause | null => {
    if ('all' in r) {
      for (const [i, part] of r.all.entries()) {
        const failed = check(part, `${path ? `${path}.` : ''}all[${i}]`);
        if (failed) return failed;
      }
      return null;
    }
    const reason = leafFailure(r, user, facts);
    return reason === null ? null : { path: path ? `${path}.${clauseKey(r)}` : clauseKey(r), reason };
  };
  return check(rule, '');
}

const clauseKey = (r: GroupRule): string => Object.keys(r)[0]!;

/** Why the user fails a clause that is not `all`, or null when they satisfy it. */
function leafFailure(r: GroupRule, user: UserFacts, facts: RuleFacts): string | null {
  const { dir } = facts;
  let reason: string | null;
  if ('corporation' in r) {
    reason =
      user.corporationId !== null && r.corporation.includes(user.corporationId)
        ? null
        : `corporation ${user.corporationId ?? 'none'} is not one of ${r.corporation.join(', ')}`;
  } else if ('alliance' in r) {
    const allianceId = allianceIdOf(user.corporationId, dir);
    reason =
      allianceId !== null && r.alliance.includes(allianceId)
        ? null
        : `alliance ${allianceId ?? 'none'} is not one of ${r.alliance.join(', ')}`;
  } else if ('coalition' in r) {
    const mine = coalitionsOf(user.corporationId, allianceIdOf(user.corporationId, dir), dir.coalitions);
    reason = mine.some((c) => r.coalition.includes(c.id))
      ? null
      : `not in coalition ${r.coalition.map((id) => dir.coalitions.find((c) => c.id === id)?.name ?? id).join(' or ')}`;
  } else if ('clearance' in r) {
    const { min, max } = r.clearance;
    const l = user.clearanceLevel;
    reason =
      min !== undefined && l < min
        ? `clearance ${l} is below ${min}`
        : max !== undefined && l > max
          ? `clearance ${l} is above ${max}`
          : null;
  } else if ('guest' in r) {
    const guest = user.clearanceLevel <= GUEST;
    reason = guest === r.guest ? null : guest ? 'is a guest' : 'is not a guest';
  } else if ('mayLogin' in r) {
    const may = mayLogin(user, dir);
    reason = may === r.mayLogin ? null : may ? 'may log in' : 'may not log in';
  } else if ('memberOf' in r) {
    const mine = (facts.groupsOfUser ?? dir.groupsOfUser).get(user.id);
    reason = r.memberOf.some((id) => mine?.has(id))
      ? null
      : `not a member of ${r.memberOf.map((id) => dir.groups.get(id)?.name ?? id).join(' or ')}`;
  } else if ('daysInCorporation' in r) {
    const since = user.corporationSince ?? null;
    const days = since === null ? null : Math.floor((facts.now.getTime() - since.getTime()) / DAY_MS);
    reason =
      user.corporationId === null
        ? 'in no corporation'
        : days === null
          ? 'time in corporation is not known'
          : days < r.daysInCorporation
            ? `${days} days in corporation, fewer than ${r.daysInCorporation}`
            : null;
  } else if ('any' in r) {
    const reasons = r.any.map((part) => failingClause(part, user, facts)?.reason ?? null);
    reason = reasons.includes(null) ? null : `none of: ${reasons.join('; ')}`;
  } else if ('not' in r) {
    reason = failingClause(r.not, user, facts) === null ? `matches what "not" excludes` : null;
  } else {
    // `all` is walked part by part in failingClause.
    reason = failingClause(r, user, facts)?.reason ?? null;
  }
  return reason;
}

/** The clause at a path that failingClause returned, so a test can check it on its own. */
export function clauseAt(rule: GroupRule, path: string): GroupRule | null {
  let r: GroupRule = rule;
  const steps = path.split('.');
  for (const [i, step] of steps.entries()) {
    const m = /^(all)\[(\d+)\]$/.exec(step);
    if (m) {
      if (!('all' in r)) return null;
      const next = r.all[Number(m[2])];
      if (!next) return null;
      r = next;
    } else if (i === steps.length - 1 && clauseKey(r) === step) return r;
    else return null;
  }
  return r;
}

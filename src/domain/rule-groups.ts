import { groupsReadBy, matchesRule, type GroupRule } from './group-rule.ts';
import type { Directory } from './types.ts';

/**
 * Rule-built groups: a group whose members are exactly the users its rule matches, rebuilt from
 * the directory like autogroups (so removals happen too). A rule may read other groups
 * (`memberOf`), rule-built ones included: those are built first, and rules that read each other in
 * a circle are refused when saved.
 */
export interface RuleGroupSpec {
  readonly id: string;
  readonly rule: GroupRule;
}

export interface RuleGroupOrder {
  /** Each group after every rule-built group its rule reads. */
  readonly order: readonly RuleGroupSpec[];
  /** Groups on (or behind) a circle of rules reading each other: not rebuilt, their members kept. */
  readonly cyclic: readonly string[];
}

/** Orders rule-built groups so that each is built after the rule-built groups it reads. */
export function ruleGroupOrder(specs: readonly RuleGroupSpec[]): RuleGroupOrder {
  const byId = new Map(specs.map((s) => [s.id, s]));
  const state = new Map<string, 'visiting' | 'done' | 'cyclic'>();
  const order: RuleGroupSpec[] = [];
  const visit = (id: string): boolean => {
    const seen = state.get(id);
    if (seen === 'done') return true;
    if (seen === 'visiting' || seen === 'cyclic') return false;
    state.set(id, 'visiting');
    const spec = byId.get(id)!;
    let ok = true;
    for (const dep of groupsReadBy(spec.rule)) if (byId.has(dep) && !visit(dep)) ok = false;
    state.set(id, ok ? 'done' : 'cyclic');
    if (ok) order.push(spec);
    return ok;
  };
  for (const s of [...specs].sort((a, b) => a.id.localeCompare(b.id))) visit(s.id);
  return { order, cyclic: specs.filter((s) => state.get(s.id) === 'cyclic').map((s) => s.id) };
}

/**
 * The circle of rule-built groups that saving `rule` on group `id` would close (`[id, a, b, id]`),
 * or null when there is none. A group reading itself is a circle of one.
 */
export function ruleCycle(
  specs: readonly RuleGroupSpec[],
  id: string,
  rule: GroupRule,
): readonly string[] | null {
  const rules = new Map(specs.map((s) => [s.id, s.rule]));
  rules.set(id, rule);
  const path: string[] = [];
  const onPath = new Set<string>();
  const done = new Set<string>();
  const walk = (at: string): string[] | null => {
    if (onPath.has(at)) return [...path.slice(path.indexOf(at)), at];
    if (done.has(at)) return null;
    const r = rules.get(at);
    if (!r) return null;
    path.push(at);
    onPath.add(at);
    for (const dep of groupsReadBy(r)) {
      const found = walk(dep);
      if (found) return found;
    }
    path.pop();
    onPath.delete(at);
    done.add(at);
    return null;
  };
  return walk(id);
}

export interface RuleGroupBuild {
  /** The members each rebuilt group should have. */
  readonly members: ReadonlyMap<string, ReadonlySet<string>>;
  /** Groups left as they are (their rules read each other in a circle). */
  readonly cyclic: readonly string[];
  /** Every user's groups once the rule-built groups are rebuilt (what later rules read). */
  readonly groupsOfUser: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * The members of every rule-built group: the users its rule matches, reading the memberships in
 * `groupsOfUser` (manual and rebuilt autogroups; a rule-built group's own entries there are its
 * current members, which only cyclic groups keep) and the rule-built groups built before it.
 */
export function buildRuleGroups(
  specs: readonly RuleGroupSpec[],
  dir: Directory,
  groupsOfUser: ReadonlyMap<string, ReadonlySet<string>>,
  now: Date,
): RuleGroupBuild {
  const { order, cyclic } = ruleGroupOrder(specs);
  const rebuilt = new Set(order.map((s) => s.id));
  const current = new Map<string, Set<string>>();
  for (const userId of dir.users.keys()) {
    const mine = [...(groupsOfUser.get(userId) ?? [])].filter((g) => !rebuilt.has(g));
    current.set(userId, new Set(mine));
  }
  const facts = { dir, groupsOfUser: current, now };
  const members = new Map<string, Set<string>>();
  for (const spec of order) {
    const set = new Set<string>();
    for (const user of dir.users.values()) if (matchesRule(spec.rule, user, facts)) set.add(user.id);
    for (const userId of set) current.get(userId)!.add(spec.id);
    members.set(spec.id, set);
  }
  return { members, cyclic, groupsOfUser: current };
}
